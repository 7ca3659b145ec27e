"""The worker: the only process that runs student code.

The launcher (``confine``) runs ``main`` in a folder holding a copy of the submission. The
worker reads requests on a dedicated pipe and writes replies on another; the student's
prints go to stdout/stderr, which the grader captures apart. A request names student
classes and functions and carries input arrays, never expected values; a reply carries what
student code returned, as plain arrays. This module is the loop: requests, a fork per node
type, and the end of whatever a node's code left running. The calls on student code are in
``calls``, their time limit in ``calltimer``, and how their outcome becomes data in
``replies``.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from grader.sandbox import calltimer, replies
from grader.sandbox.calls import Worker
from grader.sandbox.calltimer import WATCHDOG
from grader.sandbox.capture import marker
from grader.sandbox.imports import DEFAULT_FORBIDDEN, block
from grader.sandbox.processes import become_subreaper, kill_all, processes, reap
from grader.sandbox.protocol import ProtocolError, read_message, write_message


def serve(fd_in: int, fd_out: int) -> None:
    """Answer requests until the grader closes the channel.

    ``fork`` starts a child that takes over the channel: each node type is graded in a fresh
    copy of this process, and whatever its code does to the process (patched modules, stray
    state, forged replies) ends with the child. ``release`` ends the child. When the child
    ends, for whatever reason, this process kills everything the child left running, says
    ``child_ended``, and, untouched, answers again.
    """
    worker = Worker()
    is_child = forked = False
    while True:
        try:
            request = read_message(fd_in)
        except ProtocolError:
            return
        op = request.get("op")
        if op == "fork" and not is_child:
            forked = True
            child = os.fork()
            if child == 0:
                is_child = True
                WATCHDOG.start()
                write_message(fd_out, {"forked": True})
                continue
            _, status = os.waitpid(child, 0)
            end_strays()
            write_message(fd_out, {"child_ended": os.waitstatus_to_exitcode(status)})
            continue
        if op == "release":
            write_message(fd_out, {"released": True})
            if is_child:
                os._exit(0)
            continue
        if op == "load":
            reply = worker.load(request)
        elif op == "run" and forked and not is_child:
            # meant for a child that has ended: student code never runs in this process again
            steps = request.get("steps") if isinstance(request.get("steps"), list) else []
            reply = {"results": [{"error": {"kind": "skipped", "message": "not run: the process "
                                            "serving this node ended"}} for _ in steps]}
        elif op == "run":
            _mark_output(request.get("id"))
            reply = worker.run(request)
        elif op == "ping":
            reply = {"pong": request.get("nonce", True)}
        else:
            reply = {"error": {"kind": "protocol", "message": f"unknown op {op!r}"}}
        write_message(fd_out, reply)
        WATCHDOG.disarm()


def _mark_output(request_id: Any) -> None:
    """Tell the grader that what is printed from here on belongs to this request."""
    if isinstance(request_id, int):
        try:
            os.write(1, marker(request_id))
        except OSError:
            pass  # student code closed its output: nothing to file either


def end_strays(seconds: float = 2.0) -> None:
    """Kill every process a node's code left behind (daemons too), so none of them can touch
    the next node's process. In its own PID namespace the worker is process 1, so every
    other process there is one of those; elsewhere it is a subreaper, and they are its
    children (orphans included), found in /proc."""
    deadline = time.monotonic() + seconds
    me = os.getpid()
    while time.monotonic() < deadline:
        if me == 1:
            try:
                os.kill(-1, signal.SIGKILL)
                found = True
            except OSError:
                found = False
        else:
            children = [pid for pid, parent, _, _ in processes() if parent == me]
            kill_all(children)
            found = bool(children)
        reaped = reap()
        if not found and not reaped:
            return
        if found and not reaped:
            time.sleep(0.001)


def _hidden_fd(fd: int) -> int:
    """Move a protocol descriptor to a high number, out of the way of student code's files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, max(3, min(soft, 4096) - 16))
    os.close(fd)
    return high


def main(argv: list[str]) -> None:
    """Serve the grader: ``argv`` is (name, fd in, fd out, call seconds, extra forbidden
    modules as JSON). The launcher imports this module before it hides the grader's package
    from the worker's root, then calls this in the worker's folder."""
    replies.FOLDER = Path.cwd()
    fd_in, fd_out = _hidden_fd(int(argv[1])), _hidden_fd(int(argv[2]))
    calltimer.CALL_SECONDS = float(argv[3]) if len(argv) > 3 else 10.0
    extra = json.loads(argv[4]) if len(argv) > 4 else []
    del sys.argv[1:]
    block(set(DEFAULT_FORBIDDEN) | set(extra))
    # Python 3.12 warns on fork with threads alive; the watchdog holds no lock a child needs
    warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
    WATCHDOG.start()
    if os.getpid() != 1:  # orphans of node code come here, for end_strays to find
        become_subreaper()
    try:
        cell = json.loads(os.environ.pop("GRADER_CELL", "{}"))
    except ValueError:
        cell = {}
    # started: from here on, a failure may be the student's (see Sandbox._await_ready)
    write_message(fd_out, {"ready": {"cell": cell}})
    serve(fd_in, fd_out)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
