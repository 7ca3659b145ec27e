"""System V IPC is the worker's own: a segment or message queue one submission makes is
gone with its worker, so no later (or concurrent) submission can read it, and nothing is
left on the host. Both modes: as root, and as an ordinary user (user namespace)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from accounts import as_ordinary_user, give_to_ordinary_user, ordinary_user

ROOT = Path(__file__).resolve().parents[2]
MODES = ["root", "ordinary"] if os.geteuid() == 0 else ["ordinary"]
SOLUTION = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
KEY = 0x5EED

# at import: read what an earlier submission left under KEY, then leave a message there;
# Add gives wrong answers when it found one, so a channel costs points
CHANNEL = f'''
import ctypes as _c
_libc = _c.CDLL(None, use_errno=True)
_libc.shmat.restype = _c.c_void_p
_libc.shmget.argtypes = [_c.c_int, _c.c_size_t, _c.c_int]
_LEAKED = ""
_found = _libc.shmget({KEY}, 0, 0)
if _found >= 0:
    _at = _libc.shmat(_found, None, 0)
    _LEAKED = _c.string_at(_at, 32).split(b"\\0")[0].decode()
_made = _libc.shmget({KEY}, 1 << 20, 0o1000 | 0o666)
if _made >= 0:
    _at = _libc.shmat(_made, None, 0)
    _c.memmove(_at, b"hello from another student\\0", 27)
_libc.msgget({KEY}, 0o1000 | 0o666)
'''


def grade(folder: Path, mode: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grader", "run", str(ROOT / "assignments" / "scalar-graphs"), str(folder),
               "--results", str(folder.parent / f"{folder.name}.json"), "--json"]
    if mode == "ordinary":
        command = as_ordinary_user(command, str(folder.parent), needed=[str(ROOT / "assignments")],
                                   writable=[str(folder.parent)])
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=folder.parent,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})


def host_objects() -> list[str]:
    lines = []
    for kind in ("shm", "msg"):
        with open(f"/proc/sysvipc/{kind}") as f:
            lines += [line for line in f.read().splitlines()[1:] if line.split()[0] == str(KEY)]
    return lines


@pytest.mark.parametrize("mode", MODES)
def test_ipc_objects_are_no_channel_between_students_and_do_not_outlive_grading(tmp_path, mode):
    if mode == "ordinary" and ordinary_user() is None:
        pytest.skip("no ordinary user account can be made here")
    tmp_path.chmod(0o755)
    runs = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "nodes.py").write_text(
            CHANNEL + SOLUTION.replace("return x + y", "return x - y if _LEAKED else x + y", 1))
    give_to_ordinary_user(tmp_path)
    for name in ("first", "second"):
        proc = grade(tmp_path / name, mode)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout))
    left = host_objects()
    for kind in ("-M", "-Q"):  # whatever happened, leave the host clean
        subprocess.run(["ipcrm", kind, str(KEY)], capture_output=True)
    assert not left, "IPC objects made by student code outlived grading"
    assert all(run["score"] == sum(t["max_score"] for t in run["tests"]) for run in runs), \
        "the second submission read what the first one left"
