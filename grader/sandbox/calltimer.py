"""The per-call time limit of student code in the worker: a SIGALRM timer around each call,
and a watchdog thread behind it for code that ignores or swallows the timer.

``CALL_SECONDS`` is the spec's ``call_seconds`` (the worker's ``main`` sets it). A class or
function that ran past it is not called again (``TIMED_OUT``).
"""

from __future__ import annotations

import os
import threading
import time
from signal import ITIMER_REAL, SIGALRM

import _signal  # signal's C core: no enum conversions on every call of student code

from grader.sandbox.processes import TIMEOUT_EXIT
from grader.sandbox.replies import StudentError

CALL_SECONDS = 10.0


class CallTimeout(BaseException):
    """A student call ran past its time (a BaseException, so ``except Exception`` in student
    code does not swallow it)."""


def _on_alarm(signum, frame):
    raise CallTimeout()


class Watchdog:
    """Ends this process (status TIMEOUT_EXIT) when a call, or the worker's own work on its
    result, runs GRACE seconds past the limit: student code that ignores SIGALRM, catches
    CallTimeout in a loop, or hangs in a ``__del__`` is stopped in about the time limit, not
    at the grader's far later backup deadline. A thread that polls a few times a second (so
    arming it costs nothing), started anew in each forked child."""

    GRACE = 1.0
    POLL = 0.25

    def __init__(self) -> None:
        self.deadline: float | None = None
        self._exit = os._exit  # student code may replace os._exit; this reference stays

    def start(self) -> None:
        """Start watching (again, in a forked child: threads do not survive fork)."""
        self.deadline = None
        threading.Thread(target=self._watch, name="grader-watchdog", daemon=True).start()

    def arm(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds + self.GRACE

    def disarm(self) -> None:
        self.deadline = None

    def _watch(self) -> None:
        while True:
            deadline, now = self.deadline, time.monotonic()
            if deadline is not None and now >= deadline:
                self._exit(TIMEOUT_EXIT)
            time.sleep(self.POLL if deadline is None else min(self.POLL, deadline - now))


WATCHDOG = Watchdog()


class limited:
    """Run one call of student code under the per-call time limit (a SIGALRM timer). The
    watchdog backs it up while the call runs and while its result is handled (the grader's
    deadline for the whole request backs up both)."""

    def __init__(self, where: str):
        self.where = where

    def __enter__(self) -> None:
        owner = _owner(self.where)
        if owner in TIMED_OUT:
            raise StudentError({"kind": "timeout", "where": self.where, "message":
                                f"{self.where} was not run: an earlier call of {owner} ran past the "
                                f"{CALL_SECONDS:g} s time limit"})
        WATCHDOG.arm(CALL_SECONDS)
        _signal.signal(SIGALRM, _on_alarm)  # again: student code may have replaced it
        _signal.setitimer(ITIMER_REAL, CALL_SECONDS)

    def __exit__(self, kind, error, tb) -> None:
        _signal.setitimer(ITIMER_REAL, 0)
        WATCHDOG.arm(CALL_SECONDS)  # for what follows: converting the result, __del__, ...
        if kind is CallTimeout:
            TIMED_OUT.add(_owner(self.where))
            raise StudentError({"kind": "timeout", "where": self.where,
                                "message": f"{self.where} ran past the {CALL_SECONDS:g} s time limit"})


TIMED_OUT: set[str] = set()  # classes and functions that ran past the limit: not called again


def _owner(where: str) -> str:
    """``Exp.forward`` -> ``Exp``; ``Exp(...)`` -> ``Exp``; ``backward`` -> ``backward``."""
    return where.split(".")[0].split("(")[0]
