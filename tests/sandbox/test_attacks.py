"""Adversarial submissions: each attack is contained.

``tests/corpus/attacks/<assignment>/<attack>/`` holds a student file and ``expect.yaml``::

    node: Exp          # the attacked node: it must not get full marks (or "none")
    bound: 60          # seconds the whole grading may take
    why: busy loop in forward

For each, as root (worker dropped to its own user) and as an ordinary user (limits only):
grading ends within the bound, results.json is valid, the attacked node loses points and
every other node's tests get full marks, no process outlives the run, and no file named
PWNED* appears outside the worker's folder (attacks use that name for what they write).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from grader.gradescope import validation_errors
from grader.sandbox import WORKER_USER, _processes

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = ROOT / "tests" / "corpus" / "attacks"
TEST_USER = "bpgrader-student"
WATCHED = [Path("/tmp"), ROOT / "assignments", ROOT / "tests" / "corpus" / "attacks"]


def attacks() -> list[Path]:
    return sorted(p for p in ATTACKS.glob("*/*") if p.is_dir())


def ordinary_user() -> tuple[int, int] | None:
    """A plain user account to run the grader as (root only creates it)."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                        "/usr/sbin/nologin", TEST_USER], check=False, capture_output=True)
        try:
            entry = pwd.getpwnam(TEST_USER)
        except KeyError:
            return None
    return entry.pw_uid, entry.pw_gid


def pwned() -> list[Path]:
    found = []
    for folder in WATCHED:
        for path in folder.rglob("PWNED*") if folder != Path("/tmp") else folder.glob("**/PWNED*"):
            found.append(path)
    return found


def leftover_processes(uids: set[int]) -> list[int]:
    me = os.getpid()
    return [pid for pid, _, _, uid in _processes() if uid in uids and pid != me]


def run_grader(case: Path, workdir: Path, as_user: tuple[int, int] | None) -> tuple[subprocess.CompletedProcess, float]:
    """``grade run`` on the attack, as root or (via grader.confine) as an ordinary user."""
    results = workdir / "results" / "results.json"
    submission = workdir / "submission"
    shutil.copytree(case, submission, ignore=shutil.ignore_patterns("expect.yaml"))
    (workdir / "results").mkdir()
    command = [sys.executable, "-I", "-m", "grader", "run", str(ROOT / "assignments" / case.parent.name),
               str(submission), "--results", str(results), "--seed", "7"]
    if as_user is not None and os.geteuid() == 0:
        uid, gid = as_user
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, uid, gid)
        import grader
        needed = [sys.prefix, sys.base_prefix, os.path.realpath(sys.executable), str(workdir), str(ROOT),
                  str(Path(grader.__file__).resolve().parent.parent), *[p for p in sys.path if p]]
        config = {"uid": uid, "gid": gid, "needed": needed, "hide": [], "limits": {}, "cwd": str(workdir)}
        command = [sys.executable, "-I", "-m", "grader.confine", json.dumps(config), "--", *command]
    start = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=workdir,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    return proc, time.monotonic() - start


MODES = ["root", "ordinary"] if os.geteuid() == 0 else ["ordinary"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", attacks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_attack_is_contained(case: Path, mode: str, tmp_path: Path):
    want = yaml.safe_load((case / "expect.yaml").read_text())
    user = ordinary_user() if mode == "ordinary" else None
    if mode == "ordinary" and user is None:
        pytest.skip("no ordinary user account can be made here")
    tmp_path.chmod(0o755)
    before = set(pwned())
    proc, elapsed = run_grader(case, tmp_path, user)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert elapsed < want.get("bound", 60), f"grading took {elapsed:.1f} s"
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert not validation_errors(data)
    attacked = want["node"]
    tests = data["tests"]
    if attacked != "none":
        hit = [t for t in tests if attacked in t["tags"] or t["name"].startswith(f"{attacked}:")]
        assert hit and sum(t["score"] for t in hit) < sum(t["max_score"] for t in hit), f"{attacked} kept full marks"
    others = [t for t in tests if t["tags"] and t["tags"][0] not in (attacked, "graph")]
    lost = [f"{t['name']}: {t['output']}" for t in others if t["score"] < t["max_score"]]
    assert not lost, "\n".join(lost[:5])
    uids = {e.pw_uid for e in pwd.getpwall() if e.pw_name.startswith(WORKER_USER)} if mode == "root" else set()
    if user is not None and os.geteuid() == 0:
        uids.add(user[0])
    time.sleep(0.2)
    assert not leftover_processes(uids), "processes outlived the run"
    assert set(pwned()) == before, f"files written outside the worker's folder: {set(pwned()) - before}"
