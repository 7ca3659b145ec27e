"""The unprivileged users student code runs as when the grader is root: ``bpgrader<k>``, one
per concurrent grading (a slot held by a file lock), created on first use or ahead of time
(Gradescope's ``setup.sh``)."""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

WORKER_USER = "bpgrader"       # slot k runs as bpgrader<k>: one user per concurrent grading
MAX_SLOTS = 64
LOCKS = Path(tempfile.gettempdir()) / "bpgrader-slots"


def worker_account() -> tuple[int, int, Any] | None:
    """A dedicated unprivileged user for this grading alone (uid, gid, and the lock that
    reserves it), created when missing; None when not root. Concurrent gradings get
    different users, so killing "every process of the user" never touches another grading,
    and one submission's processes never count against another's limit."""
    if os.geteuid() != 0:
        return None
    LOCKS.mkdir(mode=0o700, exist_ok=True)
    for slot in range(MAX_SLOTS):
        lock = open(LOCKS / f"{slot}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        try:
            entry = _worker_user(slot)
        except OSError:
            lock.close()
            raise
        return entry.pw_uid, entry.pw_gid, lock
    raise OSError(f"more than {MAX_SLOTS} gradings at once")


def _worker_user(slot: int) -> pwd.struct_passwd:
    name = f"{WORKER_USER}{slot}"
    try:
        return pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd", path="/usr/sbin:/sbin:/usr/bin:/bin") or "useradd"
        subprocess.run([useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise OSError(f"cannot create the worker user {name} (is useradd installed?)") from None


def create_worker_users(count: int) -> None:
    """Make the first ``count`` worker users ahead of time (Gradescope's setup.sh), so no
    grading pays for useradd."""
    for slot in range(count):
        _worker_user(slot)
