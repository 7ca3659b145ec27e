"""Processes on this machine, as the sandbox and the worker both need them: listing them from
/proc, killing and reaping them, and becoming the "subreaper" that orphans come back to.

A module of its own, so that the worker (which uses it between node types) loads nothing of
the grader's side of the sandbox.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

PR_SET_CHILD_SUBREAPER = 36
TIMEOUT_EXIT = 124  # the exit status of a worker whose watchdog ended a call past its limit


def become_subreaper() -> bool:
    """Orphans of the worker (daemons that setsid and double-fork) become our children, so
    they can be found and killed."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _stats():
    """(pid, the fields of /proc/<pid>/stat after the command name) of every process."""
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    yield int(entry), f.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue


def user_processes(uid: int) -> int:
    """How many live processes ``uid`` has."""
    return sum(1 for _, _, _, owner in processes() if owner == uid)


def processes() -> list[tuple[int, int, int, int]]:
    """(pid, ppid, session id, uid) of every live process, from /proc (zombies are dead
    already: they only wait for their parent to collect them)."""
    found = []
    for pid, fields in _stats():
        if fields[0] in (b"Z", b"X"):
            continue
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            continue
        found.append((pid, int(fields[1]), int(fields[3]), uid))
    return found


def zombie_children() -> list[int]:
    """Our children that have exited and wait to be collected."""
    me = os.getpid()
    return [pid for pid, fields in _stats() if fields[0] == b"Z" and int(fields[1]) == me]


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def reap() -> bool:
    """Collect exited children (orphans reparented to us) so they do not linger as zombies;
    True if there was one."""
    reaped = False
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped = True


def sweep(uid: int | None) -> int:
    """Kill what the worker left behind: every process of the worker's user (as root), or
    every descendant of ours outside our own session (our orphans, thanks to the subreaper).
    Returns how many were found."""
    me, my_session = os.getpid(), os.getsid(0)
    total = 0
    for _ in range(20):
        procs = processes()
        if uid is not None:
            targets = [pid for pid, _, _, owner in procs if owner == uid]
        else:
            children: dict[int, list[tuple[int, int]]] = {}
            for pid, ppid, sid, _ in procs:
                children.setdefault(ppid, []).append((pid, sid))
            targets, stack = [], [me]
            while stack:
                for pid, sid in children.get(stack.pop(), []):
                    stack.append(pid)
                    if sid != my_session:
                        targets.append(pid)
        if not targets:
            break
        total += len(targets)
        kill_all(targets)
        reap()
        time.sleep(0.005)
    return total
