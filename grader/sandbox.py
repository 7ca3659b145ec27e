"""The grader's side of the worker: start it in a private folder, talk to it with deadlines,
and kill it (with everything it started) when it hangs, crashes or is done.

Student code never runs in the grader's process. The worker gets a copy of the submission
in a fresh temporary folder, an empty stdin, its output captured to a file, and two
dedicated pipes for the protocol.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.protocol import ProtocolError, encode, receive

OUTPUT_LIMIT = 64 * 1024


class WorkerFailure(Exception):
    """The worker died, hung past its deadline, or broke the protocol."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "timeout", "crash" or "protocol"
        self.message = message


class Sandbox:
    """One worker process serving one submission; restartable after a failure."""

    def __init__(self, files: dict[str, Path], *, timeout: float = 30.0):
        self.files = files
        self.timeout = timeout
        self.folder = Path(tempfile.mkdtemp(prefix="grader-work-"))
        self.output_path = self.folder.parent / (self.folder.name + ".out")
        self.proc: subprocess.Popen | None = None
        self.loaded: dict | None = None
        self._load_request: dict | None = None
        for name, source in files.items():
            shutil.copyfile(source, self.folder / name)

    # -- life cycle --------------------------------------------------------------------------------

    def start(self) -> None:
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        self._output = open(self.output_path, "ab")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "HOME": str(self.folder)}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-u", "-B", "-m", "grader.worker", str(to_worker_r), str(from_worker_w)],
            cwd=self.folder, stdin=subprocess.DEVNULL, stdout=self._output, stderr=subprocess.STDOUT,
            pass_fds=(to_worker_r, from_worker_w), start_new_session=True, env=env,
            preexec_fn=None)
        os.close(to_worker_r)
        os.close(from_worker_w)
        if self._load_request is not None:  # a restart: load the student files again
            self.loaded = self.request(self._load_request)

    def load(self, symbols: dict[str, str]) -> dict:
        """Import the student files in the worker and say which symbols exist."""
        self._load_request = {"op": "load", "files": list(self.files), "symbols": symbols}
        if self.proc is None:
            self.start()
        self.loaded = self.request(self._load_request)
        return self.loaded

    def restart(self) -> None:
        self.kill()
        self.start()

    def kill(self) -> None:
        """End the worker and every process in its session."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self._to_worker, self._from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        self._output.close()
        self.proc = None

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
        try:
            self.output_path.unlink()
        except OSError:
            pass

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def output(self) -> str:
        """What student code printed so far (the first OUTPUT_LIMIT bytes)."""
        try:
            with open(self.output_path, "rb") as f:
                data = f.read(OUTPUT_LIMIT + 1)
        except OSError:
            return ""
        text = data[:OUTPUT_LIMIT].decode("utf-8", "replace")
        return text + ("\n[output cut at 64 KiB]" if len(data) > OUTPUT_LIMIT else "")

    # -- requests ------------------------------------------------------------------------------------

    def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send one request and return the reply; WorkerFailure (and a dead worker) otherwise."""
        if self.proc is None:
            self.start()
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            self._write(encode(message), deadline)
            reply = receive(lambda n: self._read(n, deadline))
        except WorkerFailure:
            self.kill()
            raise
        except ProtocolError as e:
            code = self.proc.poll() if self.proc else None
            self.kill()
            if code is not None or (e.args and "closed" in str(e)):
                raise WorkerFailure("crash", self._death()) from None
            raise WorkerFailure("protocol", f"the worker's reply was garbled ({e})") from None
        if not isinstance(reply, dict):
            self.kill()
            raise WorkerFailure("protocol", "the worker's reply was not a mapping")
        return reply

    def _death(self) -> str:
        return "the worker process ended unexpectedly (it crashed, or student code exited it)"

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self._to_worker, deadline, write=True)
            try:
                written = os.write(self._to_worker, view[:65536])
            except BrokenPipeError:
                raise WorkerFailure("crash", self._death()) from None
            view = view[written:]

    def _read(self, count: int, deadline: float) -> bytes:
        chunks, left = [], count
        while left:
            self._wait(self._from_worker, deadline, write=False)
            chunk = os.read(self._from_worker, min(left, 8 << 20))
            if not chunk:
                raise WorkerFailure("crash", self._death())
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _wait(self, fd: int, deadline: float, write: bool) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WorkerFailure("timeout", "")
        ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
        if not any(ready):
            raise WorkerFailure("timeout", "")
