"""Starting workers without paying for a Python interpreter and numpy each time.

Most of a worker's start is an interpreter importing numpy, and none of that depends on the
spec or the submission. So each grader process keeps one *zygote*: a process that has
imported the worker's modules (numpy with them) and then only forks, on request, a copy of
itself that confines itself and becomes a worker (``grader.sandbox.zygote``). The zygote
never runs student code, never receives a spec, and holds nothing of one submission that
the next could read; each worker is confined as before (its own namespaces, root, user and
limits), and the zygote's socket is closed in it before anything else.

``prestart`` spawns the zygote ahead of time: ``grade run`` does it before it imports numpy,
so the zygote loads while the grader reads the spec. ``launch`` forks a worker from it (and
spawns it first if there is none yet); a batch's pool process keeps its zygote for all its
submissions. This module imports nothing heavy: it must be cheap to call first.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from grader.sandbox.processes import become_subreaper, zombie_children

ENV = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8"}
MESSAGE_BYTES = 1 << 20


class Launched:
    """A worker forked from the zygote, as the grader sees it: its pid (the head of its own
    session, reparented to this process: see ``Zygote``), its exit status, and the grader's
    ends of its pipes: requests go to ``to_worker``, replies come from ``from_worker``, what
    it prints comes from ``output``. Offers what the Sandbox used of a Popen."""

    def __init__(self, pid: int, to_worker: int, from_worker: int, output: int,
                 popen: subprocess.Popen | None = None):
        self.pid, self.returncode, self.popen = pid, None, popen
        self.to_worker, self.from_worker, self.output = to_worker, from_worker, output
        _running.add(pid)

    def poll(self) -> int | None:
        if self.popen is not None:
            self.returncode = self.popen.poll()
        elif self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:  # collected elsewhere (a sweep reaps every orphan)
                self.returncode = -signal.SIGKILL
        if self.returncode is not None:
            _running.discard(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        return self.returncode


_running: set[int] = set()  # workers of this process not yet waited for


def collect_orphans() -> None:
    """Collect the exited processes that were reparented to this process (the subreaper) and
    are no worker of its own: a worker's first process inside its namespace, which outlives
    the worker by a moment when both are killed. Left uncollected they would count against
    the worker user's process limit."""
    for pid in zombie_children():
        if pid not in _running:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


class Zygote:
    """The zygote process and the grader's end of its socket. Workers it forks are the
    grandchildren of the zygote's fork (which exits at once), so they are reparented to this
    process, made a subreaper for it: the grader waits for them as for its own children."""

    def __init__(self) -> None:
        if not become_subreaper():
            raise OSError("this system cannot make the grader a subreaper for its workers")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.printed = tempfile.TemporaryFile()  # what the zygote says if it fails, never the grader's stderr
        try:
            # in the grader's own session: a sweep of the workers' leftovers spares it
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-u", "-B", "-m", "grader.sandbox.zygote", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=self.printed, stderr=self.printed,
                pass_fds=(theirs.fileno(),), env=ENV, cwd="/")
        except OSError:
            ours.close()
            self.printed.close()
            raise
        finally:
            theirs.close()
        self.socket = ours

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self, config: dict, worker_args: list[str], timeout: float = 60.0) -> Launched:
        """A worker confined by ``config`` (see ``confine``), serving on fresh pipes."""
        pipes = Pipes()
        try:
            command = ["-m", "grader.sandbox.worker", *worker_args]  # the zygote adds the two pipes
            message = json.dumps({"config": config, "command": command,
                                  "env": {**ENV, "HOME": config["cwd"]}}).encode()
            self.socket.settimeout(timeout)
            socket.send_fds(self.socket, [message], list(pipes.worker))
            reply = self.socket.recv(MESSAGE_BYTES)
            pid = int(json.loads(reply)["pid"]) if reply else None
            if pid is None:
                raise OSError("it ended")
        except (OSError, ValueError, KeyError, TypeError) as e:
            pipes.close()
            self.printed.seek(0)
            said = self.printed.read()[-2000:].decode("utf-8", "replace").strip()
            raise OSError(f"the zygote did not fork a worker ({said or e})") from None
        return pipes.launched(pid)

    def close(self) -> None:
        self.socket.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.printed.close()


_zygote: Zygote | None = None
_lock = threading.Lock()  # one request at a time on the socket: threads grade in parallel too


def prestart() -> None:
    """Spawn this process's zygote now, if it has none, so it loads while the grader works.
    One that cannot be spawned here is tried again, and explained, by ``launch``."""
    with _lock:
        try:
            _live_zygote()
        except OSError:
            pass  # launch tries again


def launch(config: dict, worker_args: list[str]) -> Launched:
    """Fork a worker from this process's zygote (spawned now if it has none or it died).
    Where there can be no zygote (no subreapers: not Linux) or it fails, the worker gets an
    interpreter of its own (``spawn``); OSError when that fails too."""
    global _zygote
    with _lock:
        try:
            return _live_zygote().fork(config, worker_args)
        except OSError:
            if _zygote is not None:
                _zygote.close()
            _zygote = None
    return spawn(config, worker_args)


def _live_zygote() -> Zygote:
    """This process's zygote, spawned now if it has none or it died (the caller holds the lock)."""
    global _zygote
    if _zygote is None or not _zygote.alive():
        if _zygote is not None:
            _zygote.close()  # it died: its socket and output file go with it
        _zygote = None
        _zygote = Zygote()
    return _zygote


def spawn(config: dict, worker_args: list[str]) -> Launched:
    """A worker started the slow way: a new interpreter running the launcher (``confine``)."""
    pipes = Pipes()
    to_worker_r, from_worker_w, out_w = pipes.worker
    try:
        command = ["-m", "grader.sandbox.worker", str(to_worker_r), str(from_worker_w), *worker_args]
        popen = subprocess.Popen(
            [sys.executable, "-I", "-u", "-B", "-m", "grader.sandbox.confine", json.dumps(config), "--", *command],
            cwd=config["cwd"], stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
            pass_fds=(to_worker_r, from_worker_w), start_new_session=True, env={**ENV, "HOME": config["cwd"]})
    except OSError:
        pipes.close()
        raise
    return pipes.launched(popen.pid, popen)


def shutdown() -> None:
    """End this process's zygote (it ends by itself when the grader's process does)."""
    global _zygote
    with _lock:
        zygote, _zygote = _zygote, None
    if zygote is not None:
        zygote.close()


def _forget_in_child() -> None:
    """A process forked from this one (a batch's pool) must not share the parent's zygote:
    two graders on one socket would mix their requests. It makes its own when it needs one."""
    global _zygote, _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    if _zygote is not None:
        _zygote.socket.close()
        _zygote = None


os.register_at_fork(after_in_child=_forget_in_child)


class Pipes:
    """A new worker's three pipes: its ends (``worker``: requests in, replies out, what it
    prints) and the grader's (``grader``: the other ends, in the same order)."""

    def __init__(self) -> None:
        made: list[tuple[int, int]] = []
        try:
            for _ in range(3):
                made.append(os.pipe())
        except OSError:
            for pair in made:
                for fd in pair:
                    os.close(fd)
            raise
        (to_r, to_w), (from_r, from_w), (out_r, out_w) = made
        self.worker, self.grader = (to_r, from_w, out_w), (to_w, from_r, out_r)

    def launched(self, pid: int, popen: subprocess.Popen | None = None) -> Launched:
        """The worker, started with its ends (which this process closes now)."""
        for fd in self.worker:
            os.close(fd)
        return Launched(pid, *self.grader, popen)

    def close(self) -> None:
        for fd in (*self.worker, *self.grader):
            os.close(fd)
