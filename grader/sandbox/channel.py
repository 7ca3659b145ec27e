"""The two pipes between the grader and its worker, each way with a deadline: a write never
blocks past it (the grader's end is non-blocking), a read gives up at it. Whatever goes
wrong (a closed pipe, a worker gone, a deadline passed) is a WorkerFailure."""

from __future__ import annotations

import os
import select
import time
from dataclasses import dataclass

DEATH = "the worker process ended unexpectedly (it crashed, or student code exited it)"


class WorkerFailure(Exception):
    """The worker died, hung past its deadline, or broke the protocol."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "timeout", "crash" or "protocol"
        self.message = message


@dataclass
class Outgoing:
    """An encoded request, not yet written."""

    data: bytes
    op: str | None
    calls: int
    id: int | None
    small: bool


@dataclass
class Pending:
    """A request written to the worker whose reply has not been read yet."""

    calls: int
    generation: int  # the worker it went to: a restarted worker never saw it


class Channel:
    """The grader's ends of the request pipe (``to_worker``) and the reply pipe."""

    def __init__(self, to_worker: int, from_worker: int):
        os.set_blocking(to_worker, False)  # so a write never outlasts its deadline
        self.to_worker, self.from_worker = to_worker, from_worker

    def close(self) -> None:
        for fd in (self.to_worker, self.from_worker):
            try:
                os.close(fd)
            except OSError:
                pass

    def write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self.to_worker, deadline, write=True)
            try:
                written = os.write(self.to_worker, view[:65536])  # non-blocking: may be partial
            except BlockingIOError:
                continue
            except OSError:
                raise WorkerFailure("crash", DEATH) from None
            view = view[written:]

    def read(self, count: int, deadline: float) -> bytes:
        chunks, left = [], count
        while left:
            self._wait(self.from_worker, deadline, write=False)
            try:
                chunk = os.read(self.from_worker, min(left, 8 << 20))
            except OSError:
                raise WorkerFailure("crash", DEATH) from None
            if not chunk:
                raise WorkerFailure("crash", DEATH)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _wait(self, fd: int, deadline: float, write: bool) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WorkerFailure("timeout", "")
        try:
            ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
        except (OSError, ValueError):  # the channel was closed under us: the worker is gone
            raise WorkerFailure("crash", DEATH) from None
        if not any(ready):
            raise WorkerFailure("timeout", "")
