"""Running the grader as an ordinary user from a test that runs as root.

Python itself may live where an ordinary user cannot reach it (``/root/.pyenv``), so the
command is started through the worker's launcher, ``grader.sandbox.confine``: as root it shows the
user a root holding Python, the grader, ``needed`` (read-only) and ``writable`` folders,
and drops to the user. Inside, the grader runs exactly as on a student's laptop (user
namespaces where the kernel allows them). When the tests themselves run as an ordinary
user, the command runs as it is.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys

TEST_USER = "bpgrader-student"


def ordinary_user() -> tuple[int, int] | None:
    """A plain user account to run the grader as (made when missing; root only)."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        useradd = shutil.which("useradd", path="/usr/sbin:/sbin:/usr/bin:/bin") or "useradd"
        subprocess.run([useradd, "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                        "/usr/sbin/nologin", TEST_USER], check=False, capture_output=True)
        try:
            entry = pwd.getpwnam(TEST_USER)
        except KeyError:
            return None
    return entry.pw_uid, entry.pw_gid


def as_ordinary_user(command: list[str], cwd: str, *, needed: list[str] = (), writable: list[str] = ()) -> list[str]:
    """``command`` to be run as the ordinary user, with these folders in its view. Its
    temporary files go to a folder on disk (TMPDIR), as on a laptop, not to the launcher's
    small private /tmp."""
    if os.geteuid() != 0:
        return command
    uid, gid = ordinary_user()
    tmp = os.path.join(writable[0] if writable else cwd, ".tmp-of-the-ordinary-user")
    os.makedirs(tmp, exist_ok=True)
    os.chown(tmp, uid, gid)
    config = {"uid": uid, "gid": gid, "needed": list(needed), "writable": [*writable, tmp], "hide": [],
              "limits": {}, "cwd": cwd}
    return [sys.executable, "-I", "-m", "grader.sandbox.confine", json.dumps(config), "--", "/usr/bin/env",
            f"TMPDIR={tmp}", *command]


def give_to_ordinary_user(*paths, skip: tuple[str, ...] = ()) -> None:
    """Make these folders (and all in them but folders named in ``skip``) the ordinary
    user's, as a student's own files are."""
    if os.geteuid() != 0:
        return
    uid, gid = ordinary_user()
    for top in paths:
        for base, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in skip]
            for name in [base, *(os.path.join(base, n) for n in dirs + files)]:
                os.lchown(name, uid, gid)
