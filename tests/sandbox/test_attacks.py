"""Adversarial submissions: each attack is contained.

``tests/corpus/attacks/<assignment>/<attack>/`` holds a student file and ``expect.yaml``::

    node: Exp          # the attacked node: it must not get full marks (or "none")
    checks: [numeric]  # optional: checks in which it must lose points, each
    bound: 60          # seconds the whole grading may take
    why: busy loop in forward

Each attack is graded with ``grade run`` twice: as root (the worker drops to its own user)
and as an ordinary user (limits only, via ``grader.sandbox.confine``). Grading ends within the
bound, results.json is valid, neither it nor the report holds control characters, the
attacked node loses points (in each check named) and every other node's tests keep full
marks. Once every run is over, no process of the worker users or of the test user
is left, and no file named PWNED* (the name attacks use for what they write) exists outside
the workers' folders. The specs are lighter copies of the shipped ones (the same nodes, fewer
cases), and two gradings run at a time, so the suite stays fast.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from grader.report.gradescope import validation_errors
from grader.sandbox.processes import processes
from grader.sandbox.accounts import WORKER_USER
from accounts import as_ordinary_user, give_to_ordinary_user, ordinary_user

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = ROOT / "tests" / "corpus" / "attacks"
WATCHED = [Path("/tmp"), ROOT / "assignments", ATTACKS]
MODES = ["root", "ordinary"] if os.geteuid() == 0 else ["ordinary"]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline


def attacks() -> list[Path]:
    return sorted(p for p in ATTACKS.glob("*/*") if p.is_dir())


def light_spec(assignment: str, folder: Path) -> Path:
    """The shipped spec with the same nodes and graphs but fewer cases."""
    source = ROOT / "assignments" / assignment
    data = yaml.safe_load((source / "assignment.yaml").read_text())
    for node in data.get("nodes", {}).values():
        if not node.get("provided"):
            node["tests"] = [{"name": "light", "cases": 2}]
            for rng in node.get("range", []):
                rng["cases"] = min(rng.get("cases", 0), 1)
    for graph in data.get("graphs", {}).values():
        graph["cases"] = 1 if not graph.get("examples") else 0
    target = folder / assignment
    target.mkdir(parents=True)
    (target / "assignment.yaml").write_text(json.dumps(data))  # JSON is YAML, and unambiguous
    for name in data.get("provided", []):
        shutil.copy(source / name, target / name)
    return target


def pwned() -> set[Path]:
    """Files named PWNED* under the watched folders (other programs' temporary folders may
    come and go in /tmp meanwhile)."""
    found = set()
    for folder in WATCHED:
        for root, dirs, files in os.walk(folder, onerror=lambda e: None):
            found |= {Path(root) / f for f in files + dirs if f.startswith("PWNED") and "grader-work-" not in root}
    return found


def worker_uids() -> set[int]:
    uids = {e.pw_uid for e in pwd.getpwall() if e.pw_name.startswith(WORKER_USER)}
    user = ordinary_user() if os.geteuid() == 0 else None
    return uids | ({user[0]} if user else set())


def grade(case: Path, mode: str, specs: Path, workdir: Path) -> dict:
    """`grade run` on one attack, as root or (via grader.sandbox.confine) as an ordinary user."""
    workdir.mkdir(parents=True)
    workdir.chmod(0o755)
    results = workdir / "results" / "results.json"
    submission = workdir / "submission"
    shutil.copytree(case, submission, ignore=shutil.ignore_patterns("expect.yaml"))
    (workdir / "results").mkdir()
    command = [sys.executable, "-I", "-m", "grader", "run", str(specs / case.parent.name),
               str(submission), "--results", str(results), "--seed", "7"]
    if mode == "ordinary" and os.geteuid() == 0:
        give_to_ordinary_user(workdir)
        command = as_ordinary_user(command, str(workdir), needed=[str(specs)])
    start = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=workdir,
                              env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
        output, code = proc.stdout[-2000:] + proc.stderr[-2000:], proc.returncode
    except subprocess.TimeoutExpired:
        output, code = "timed out after 600 s", None
    elapsed = time.monotonic() - start
    data = json.loads(results.read_text()) if results.exists() else None
    return {"code": code, "output": output, "elapsed": elapsed, "results": data}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every attack in every mode, two at a time; then what is left behind."""
    if "ordinary" in MODES and ordinary_user() is None:
        pytest.skip("no ordinary user account can be made here")
    specs = tmp_path_factory.mktemp("specs")
    specs.chmod(0o755)
    for assignment in {c.parent.name for c in attacks()}:
        light_spec(assignment, specs)
    base = tmp_path_factory.mktemp("attacks")
    base.chmod(0o755)
    before = pwned()
    jobs = [(case, mode) for case in attacks() for mode in MODES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {job: pool.submit(grade, job[0], job[1], specs, base / f"{job[0].parent.name}-{job[0].name}-{job[1]}")
                   for job in jobs}
        done = {job: f.result() for job, f in futures.items()}
    time.sleep(0.3)
    leftovers = [pid for pid, _, _, uid in processes() if uid in worker_uids()]
    return {"runs": done, "leftovers": leftovers, "new_files": pwned() - before}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", attacks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_attack_is_contained(case: Path, mode: str, runs):
    want = yaml.safe_load((case / "expect.yaml").read_text())
    run = runs["runs"][(case, mode)]
    assert run["code"] == 0, run["output"]
    assert run["elapsed"] < want.get("bound", 60), f"grading took {run['elapsed']:.1f} s"
    data = run["results"]
    assert data is not None and not validation_errors(data)
    assert not CONTROL.search("".join(_strings(data))), "results.json holds control characters"
    assert not CONTROL.search(run["output"]), "the terminal report holds control characters"
    attacked = want["node"]
    tests = data["tests"]
    if attacked != "none":
        hit = [t for t in tests if attacked in t.get("tags", []) or t["name"].startswith(f"{attacked}:")]
        assert hit and sum(t["score"] for t in hit) < sum(t["max_score"] for t in hit), f"{attacked} kept full marks"
        for check in want.get("checks", []):
            tagged = [t for t in hit if check in t.get("tags", [])]
            assert tagged and sum(t["score"] for t in tagged) < sum(t["max_score"] for t in tagged), \
                f"{attacked} kept full marks in its {check} check"
    others = [t for t in tests if t.get("tags") and t["tags"][0] not in (attacked, "graph")]
    lost = [f"{t['name']}: {t['output']}" for t in others if t["score"] < t["max_score"]]
    assert not lost, "\n".join(lost[:5])


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_no_process_outlives_the_runs(runs):
    assert not runs["leftovers"], f"processes of the worker users outlived the runs: {runs['leftovers']}"


def test_nothing_is_written_outside_the_workers_folders(runs):
    assert not runs["new_files"], f"files written outside the workers' folders: {sorted(runs['new_files'])}"
