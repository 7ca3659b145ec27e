"""The grader's side of the worker: start it confined, talk to it with deadlines, and make
sure that when it is done (or hangs, or crashes) nothing it started is left running.

Student code never runs in the grader's process. The worker gets a copy of the submission
in a fresh private folder, an empty stdin, a pipe for its output (of which the first
``output_kb`` are kept), two dedicated pipes for the protocol, hard resource limits, and,
when the grader runs as root, its own namespaces, root and a dedicated unprivileged user
(see ``confine`` and ``accounts``). The pipes themselves are a ``channel``; ``protections``
says what the launcher could enforce.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GraderFault
from grader.sandbox import cgroup
from grader.sandbox.accounts import worker_account
from grader.sandbox.capture import Capture
from grader.sandbox.channel import DEATH, Channel, Outgoing, Pending, WorkerFailure
from grader.sandbox.launcher import Launched, collect_orphans, launch
from grader.sandbox.limits import DEFAULT_LIMITS
from grader.sandbox.processes import TIMEOUT_EXIT, become_subreaper, sweep, user_processes
from grader.sandbox.protocol import ProtocolError, encode, receive
from grader.sandbox.workfolder import fresh_copy, remove

START_SECONDS = 60.0  # for a worker to start and say it is ready, before any student code runs


@dataclass
class Protections:
    """What the sandbox could enforce on this machine, for the report."""

    on: list[str] = field(default_factory=list)
    off: list[str] = field(default_factory=list)


class Sandbox:
    """One worker process serving one submission; restartable after a failure."""

    def __init__(self, files: dict[str, Path], *, limits: dict[str, Any] | None = None,
                 hide: list[Path] = (), forbidden: list[str] = (), timeout: float | None = None):
        self.files = files
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        if timeout is not None:
            self.limits["call_seconds"] = timeout
        self.forbidden = list(forbidden)
        try:
            self.account = worker_account()
        except OSError as e:
            raise GraderFault(f"no user account to run student code as: {e}") from None
        self.cgroups: list[str] = []
        self._oom_kills = 0  # the cgroup's count of OOM kills so far (see _crashed)
        if self.account is not None:
            self.cgroups = cgroup.prepare(pwd.getpwuid(self.account[0]).pw_name,
                                          int(self.limits["memory_mb"]), int(self.limits["processes"]))
            self._oom_kills = cgroup.oom_kills(self.cgroups)
        self.subreaper = self.account is None and become_subreaper()
        self.folder: Path | None = None
        self.hide = [str(Path(p).resolve()) for p in hide if Path(p).exists()]
        self.proc: Launched | None = None
        self.loaded: dict | None = None
        self._load_request: dict | None = None
        self.printed = Capture(int(self.limits["output_kb"] * 1024))
        self._next_id = 0
        self.started = time.monotonic()
        self.isolated = False  # a forked child of the worker is serving
        self._forking: Forking | None = None  # a fork asked for, its reply not read yet
        self.generation = 0  # how many workers have been ended: a request sent before is void
        self.ready: dict | None = None  # the running worker's first message: it started
        self.cell: dict = {}  # what the launcher could enforce, as the last worker reported it

    @property
    def protections(self) -> Protections:
        """The protections in force, as the launcher of the last worker reported them."""
        always = ["separate worker process", "private copy of the submission", "resource limits",
                  "time limits", "forbidden imports blocked"]
        return Protections(always + [str(x) for x in self.cell.get("on", [])], [str(x) for x in self.cell.get("off", [])])

    # -- life cycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        """A worker in its cell, forked from this process's zygote (``launcher``), with a
        fresh copy of the submission."""
        try:
            if self.folder is not None:
                remove(self.folder)
            self.folder = fresh_copy(self.files, self.account[:2] if self.account else None)
        except OSError as e:
            raise GraderFault(f"cannot make the worker's folder in {tempfile.gettempdir()}: "
                              f"{e.strerror or e}") from None
        self.isolated = False
        self.ready = None
        config = {"limits": {k: v for k, v in self.limits.items()
                             if k in ("cpu_seconds", "memory_mb", "file_mb", "open_files", "processes")},
                  "cwd": str(self.folder), "hide": self.hide, "forbidden": self.forbidden,
                  "disk_mb": self.limits["disk_mb"], "cgroups": self.cgroups}
        if self.account is not None:
            config["uid"], config["gid"] = self.account[:2]
        elif self.limits.get("processes") is not None:
            # without a user of its own, the process limit counts all of our user's processes
            config["limits"]["processes"] = self.limits["processes"] + (user_processes(os.getuid()) or 256)
        try:
            worker = launch(config, [str(self.limits["call_seconds"]), json.dumps(self.forbidden)])
        except OSError as e:
            raise GraderFault(f"cannot start the worker ({sys.executable}): {e.strerror or e}") from None
        self.proc = worker
        self.channel = Channel(worker.to_worker, worker.from_worker)
        self._reader = threading.Thread(target=self._drain, args=(worker.output,), daemon=True)
        self._reader.start()
        if self._load_request is not None:  # a restart: load the student files again
            self.finish_load(self.send(self._load_request))

    def _drain(self, fd: int) -> None:
        """Read everything student code prints (see ``capture``), so the worker never blocks
        on a full pipe."""
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    self.printed.close()
                    return
                self.printed.feed(chunk)

    def load(self, symbols: dict[str, str]) -> dict:
        """Import the student files in the worker and say which symbols exist."""
        return self.finish_load(self.begin_load(symbols))

    def begin_load(self, symbols: dict[str, str]) -> Pending:
        """Start the worker and ask it to load the files; the grader can work meanwhile."""
        if self.proc is None:
            self._load_request = None
            self.start()
        self._load_request = {"op": "load", "files": list(self.files), "symbols": symbols}
        return self.send(self._load_request)

    def finish_load(self, pending: Pending) -> dict:
        loaded = self.receive(pending)
        files, symbols = loaded.get("files"), loaded.get("symbols")
        if not (isinstance(files, dict) and isinstance(symbols, dict)
                and all(v is None or isinstance(v, dict) for v in files.values())
                and all(isinstance(v, dict) for v in symbols.values())):
            self.kill()  # import-time code wrote a reply of its own
            raise WorkerFailure("protocol", "the worker's reply to loading the files was malformed")
        self.loaded = loaded
        return loaded

    def restart(self) -> None:
        self.kill()
        self.start()

    def isolate(self) -> None:
        """Serve the next requests from a fresh fork of the loaded worker (cheap: no new
        interpreter), ending any earlier fork first. Nothing is waited for here: the end of
        the old fork and the start of the new one go out at once, and their replies are read
        before the next reply (``settle``), so the worker forks while the grader plans."""
        if self._forking is not None:
            self.settle()  # the replies of an earlier fork come first
        nonce = os.urandom(8).hex() if self.isolated else None  # one the old fork never saw
        data = encode({"op": "release"}) + encode({"op": "ping", "nonce": nonce}) if nonce else b""
        try:
            if self.proc is None:
                self.start()
            self.channel.write(data + encode({"op": "fork"}), time.monotonic() + 5)
        except WorkerFailure:
            self._refork()
            return
        self.isolated = True
        self._forking = Forking(nonce)

    def settle(self) -> None:
        """Read what the last ``isolate`` asked for: skip to the old fork's end, then the new
        fork's start. A worker that did not fork is replaced (``_refork``), and the new one
        gets again the requests sent since."""
        forking, self._forking = self._forking, None
        if forking is None:
            return
        if self.ready is None:
            self._await_ready()
        deadline = time.monotonic() + 5
        try:
            for _ in range(1000 if forking.nonce else 0):  # past what the old fork left, to the pong
                reply = receive(lambda n: self.channel.read(n, deadline))
                if isinstance(reply, dict) and reply.get("pong") == forking.nonce:
                    break
            else:  # no pong (or no old fork to end)
                if forking.nonce:
                    raise WorkerFailure("protocol", "the worker's channel did not settle")
            reply = receive(lambda n: self.channel.read(n, deadline))
            if not (isinstance(reply, dict) and reply.get("forked") is True):
                raise WorkerFailure("protocol", "the worker did not fork")
        except (WorkerFailure, ProtocolError):
            self._refork()
            for out, pending in forking.sent:
                try:
                    self.channel.write(out.data, time.monotonic() + self.limits["call_seconds"] + 2.0)
                except WorkerFailure:
                    self.kill()
                    raise
                pending.generation = self.generation

    def _refork(self) -> None:
        """A new worker, forked at once (waiting for it); if even that one does not fork,
        another new worker that serves unforked: the node's tests still run, in a process
        no earlier node's code has touched."""
        self.restart()
        try:
            if self.request({"op": "fork"}).get("forked") is True:
                self.isolated = True
                return
        except WorkerFailure:
            pass
        self.restart()

    def kill(self) -> None:
        """End the worker, everything in its session, and everything it left behind."""
        if self.proc is None:
            return
        self.generation += 1
        self._forking = None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.account is not None or self.subreaper:
            sweep(self.account[0] if self.account else None)
        collect_orphans()
        self.channel.close()
        self._reader.join(timeout=2)
        self.proc = None

    def close(self) -> None:
        self.kill()
        if self.folder is not None:
            remove(self.folder)
        if self.account is not None:
            self.account[2].close()  # releases the user for the next grading

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def output(self) -> str:
        """What student code printed (the first output_kb)."""
        return self.printed.text()

    def time_left(self) -> float:
        return self.limits["total_seconds"] - (time.monotonic() - self.started)

    # -- requests -----------------------------------------------------------------------------------

    def request(self, message: dict, calls: int = 1) -> dict:
        """Send one request (``calls`` student calls) and return the reply; WorkerFailure (and
        a dead worker) when it breaks the protocol, dies, or runs past its deadline."""
        return self.receive(self.send(message, calls))

    PIPELINE_BYTES = 32768  # a request this small fits in the pipe while the worker is busy

    def outgoing(self, message: dict, calls: int = 1) -> "Outgoing":
        """Encode a request (a run request gets its id here). ``small`` says whether it may go
        out while the worker is still busy with the last one: it then fits in the pipe, so
        neither side can block the other on a full pipe."""
        if message.get("op") == "run":
            self._next_id += 1
            message = {**message, "id": self._next_id}
            self.printed.issued = self._next_id
        data = encode(message)
        return Outgoing(data, message.get("op"), calls, message.get("id"), len(data) <= self.PIPELINE_BYTES)

    def send(self, message: "dict | Outgoing", calls: int = 1) -> "Pending":
        """Write one request without waiting for its reply (``receive`` gets it). Requests
        are answered in order; while the worker answers one, the grader can send the next
        (a small one) and judge the last."""
        out = message if isinstance(message, Outgoing) else self.outgoing(message, calls)
        if self.time_left() <= 0:
            raise WorkerFailure("total", self._past_total())
        if self.proc is None:
            self.start()
        try:
            self.channel.write(out.data, time.monotonic() + self.limits["call_seconds"] + 2.0)
        except WorkerFailure:
            self.kill()
            raise
        pending = Pending(out.calls, self.generation)
        if self._forking is not None:
            self._forking.sent.append((out, pending))
        return pending

    def answers(self, pending: "Pending") -> bool:
        """Whether the worker a request went to is still there to reply to it."""
        return pending.generation == self.generation and self.proc is not None

    def receive(self, pending: "Pending") -> dict:
        """The reply to a request sent with ``send``."""
        if not self.answers(pending):
            raise WorkerFailure("crash", "the worker this request went to is gone")
        if self.ready is None:
            self._await_ready()
        if self._forking is not None and any(p is pending for _, p in self._forking.sent):
            self.settle()
            if not self.answers(pending):
                raise WorkerFailure("crash", "the worker this request went to is gone")
        # the worker times each call itself; this deadline only backs it up (student code
        # may block the timer's signal), so it need not grow with every call of a request
        budget = self.limits["call_seconds"] * min(max(1, pending.calls), 6) + 2.0
        deadline = time.monotonic() + min(budget, max(self.time_left(), 0.1))
        try:
            reply = receive(lambda n: self.channel.read(n, deadline))
        except WorkerFailure as e:
            watchdog = e.kind == "crash" and self._exit_status() == TIMEOUT_EXIT
            self.kill()
            if watchdog:
                raise WorkerFailure("timeout", "") from None
            if e.kind == "timeout" and self.time_left() <= 0:
                raise WorkerFailure("total", self._past_total()) from None
            if e.kind == "crash":
                raise self._crashed() from None
            raise
        except ProtocolError as e:
            self.kill()
            if "closed" in str(e):
                raise self._crashed() from None
            raise WorkerFailure("protocol", f"the worker's reply was garbled ({e})") from None
        if not isinstance(reply, dict):
            self.kill()
            raise WorkerFailure("protocol", "the worker's reply was not a mapping")
        if "child_ended" in reply and self.isolated:
            self.isolated = False  # the loaded worker itself is still there, untouched
            if reply["child_ended"] == TIMEOUT_EXIT:
                raise WorkerFailure("timeout", "")
            raise self._crashed()
        return reply

    def _await_ready(self) -> None:
        """Read the worker's first message, sent once it has imported numpy and the grader and
        before it reads any request. Until then nothing of the student's has run: a worker
        that does not get there is the grader's failure (GraderFault), never the student's."""
        deadline = time.monotonic() + START_SECONDS
        try:
            hello = receive(lambda n: self.channel.read(n, deadline))
        except (WorkerFailure, ProtocolError) as e:
            hello = e
        if isinstance(hello, dict) and isinstance(hello.get("ready"), dict):
            self.ready = hello["ready"]
            self.cell = self.ready.get("cell") if isinstance(self.ready.get("cell"), dict) else {}
            return
        status = self._exit_status()
        self.kill()  # and wait for its output to be read to the end
        output = self.printed.text().strip()
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        said = next((line for line in lines if line.startswith("grader: could not")), lines[-1] if lines else "")
        if said:
            why = said
        elif isinstance(hello, WorkerFailure) and hello.kind == "timeout":
            why = f"it did not answer within {START_SECONDS:g} s"
        else:
            why = f"it exited with status {status}" if status is not None else "it closed its channel"
        raise GraderFault(f"the grader's worker process could not start: {why}", output)

    def _exit_status(self) -> int | None:
        """The status of a worker that closed its end of the channel (it is about to exit)."""
        try:
            return self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None

    def _crashed(self) -> WorkerFailure:
        """How to report a worker that died: ended by the kernel for want of memory when its
        cgroup counted a new OOM kill, otherwise a crash."""
        if self.cgroups:
            kills = cgroup.oom_kills(self.cgroups)
            new, self._oom_kills = kills > self._oom_kills, kills
            if new:
                return WorkerFailure("memory", f"ran out of memory: the limit is {self.limits['memory_mb']:g} MB "
                                               "for all of its processes together")
        return WorkerFailure("crash", DEATH)

    def _past_total(self) -> str:
        return f"the submission ran past its total time limit of {self.limits['total_seconds']:g} s"


@dataclass
class Forking:
    """A fork asked of the worker whose replies are still to be read (see ``Sandbox.settle``)."""

    nonce: str | None  # the ping that follows the old fork's release, if there was one
    sent: list = field(default_factory=list)  # (Outgoing, Pending) sent since: the new fork's, resent on a restart

