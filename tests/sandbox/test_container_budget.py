"""Inside a budget like Gradescope's container (768 MB, 0.5 vCPU, 10 minutes), a submission
that is memory-hungry or hangs still gets a results.json that names the limit it hit: the
grader's limits fire before the container's.

`grade run` (the grader and its worker together) runs in a memory cgroup of 768 MB with a
CPU quota of half a core where root can make them, otherwise under an inherited
address-space limit of 768 MB. The memory-hungry submissions run under the default limits.
Ten minutes are scaled down: the hanging submission runs under a spec whose total_seconds is
a few seconds, and the grading must end within ALLOWANCE seconds of it; the defaults reserve
GRADER_SECONDS for that at full scale (checked by construction below), several times what a
real run takes. The spec (tests/corpus/budget/) is light: three nodes, two cases each.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from grader.sandbox import cgroup
from grader.course.autograder import GRADER_MEMORY_MB, GRADER_SECONDS, GRADESCOPE_MEMORY_MB, GRADESCOPE_TIMEOUT
from grader.grading.grade import grade_submission
from grader.report.gradescope import validation_errors
from grader.sandbox.limits import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parents[2]
BUDGET = ROOT / "tests" / "corpus" / "budget"
HANG_TOTAL = 5.0   # the scaled total_seconds of the hanging submission's spec
HANG_CALL = 2.0
ALLOWANCE = 10.0   # seconds the grading may take beyond HANG_TOTAL, start-up included


def own_group(controller: str) -> Path | None:
    """This process's cgroup v1 folder for ``controller``, if that hierarchy is mounted."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = cgroup.ROOT / controller / path.lstrip("/")
            return folder if folder.is_dir() else None
    return None


@pytest.fixture(scope="module")
def container():
    """A way to start `grade run` inside a 768 MB (and, where possible, half-core) budget."""
    name = f"bpgrader-container-{os.getpid()}"
    procs = cgroup.prepare(name, GRADESCOPE_MEMORY_MB, 256)
    cpu = own_group("cpu") if procs else None
    if cpu is not None:
        cpu = cpu / name
        try:
            cpu.mkdir(exist_ok=True)
            (cpu / "cpu.cfs_period_us").write_text("100000")
            (cpu / "cpu.cfs_quota_us").write_text("50000")
            procs = procs + [str(cpu / "cgroup.procs")]
        except OSError:
            cpu = None

    def enter() -> None:
        if procs:
            assert cgroup.join(procs)
        else:
            limit = GRADESCOPE_MEMORY_MB << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    yield {"enter": enter, "cgroup": bool(procs)}
    for path in procs:
        cgroup.remove_tree(Path(path).parent)


def grade(container: dict, spec: Path, submission: Path, tmp: Path, seconds: float) -> tuple[dict, float]:
    """`grade run` in the container, killed (with no results) after ``seconds``."""
    results = tmp / "results" / "results.json"
    results.parent.mkdir(parents=True)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-I", "-m", "grader", "run", str(spec), str(submission),
                           "--results", str(results), "--seed", "3"],
                          capture_output=True, text=True, timeout=seconds, preexec_fn=container["enter"],
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads(results.read_text())
    assert not validation_errors(data)
    return data, elapsed


def outputs(data: dict, node: str) -> tuple[float, float, str]:
    tests = [t for t in data["tests"] if node in t.get("tags", [])]
    assert tests, f"no test of {node}"
    return (sum(t["score"] for t in tests), sum(t["max_score"] for t in tests),
            "\n".join(t.get("output", "") for t in tests))


def test_the_defaults_fit_gradescopes_container_by_construction():
    limits = DEFAULT_LIMITS
    assert limits["memory_mb"] + limits["disk_mb"] + GRADER_MEMORY_MB <= GRADESCOPE_MEMORY_MB
    assert limits["total_seconds"] + GRADER_SECONDS <= GRADESCOPE_TIMEOUT
    assert ALLOWANCE * 4 <= GRADER_SECONDS  # what a run below takes beyond its total, with room


def test_memory_hungry_submissions_get_results_naming_the_limit(container, tmp_path):
    data, _ = grade(container, BUDGET, BUDGET / "memory-hog", tmp_path, 120)
    score, top, _ = outputs(data, "Mul")
    assert score == top > 0
    limit = f"ran out of memory (the limit is {DEFAULT_LIMITS['memory_mb']} MB per process)"
    for node in ("Exp", "Sigmoid"):
        score, _, text = outputs(data, node)
        assert score == 0 and limit in text, text


def test_memory_only_a_cgroup_sees_is_named_too(container, tmp_path):
    """Files in the worker's in-memory folders plus the address space it has left: more than
    memory_mb in all. The kernel ends the worker's process, and the results say why."""
    if not container["cgroup"]:
        pytest.skip("no cgroup can be made here: only the per-process limit applies")
    data, _ = grade(container, BUDGET, BUDGET / "memory-tmpfs", tmp_path, 120)
    score, _, text = outputs(data, "Exp")
    assert score == 0 and f"the limit is {DEFAULT_LIMITS['memory_mb']} MB for all of its processes" in text, text
    for node in ("Mul", "Sigmoid"):  # a fresh worker, with the memory given back, grades the rest
        score, top, text = outputs(data, node)
        assert score == top > 0, text


def test_hanging_submissions_get_results_naming_the_limit_in_time(container, tmp_path):
    spec = yaml.safe_load((BUDGET / "assignment.yaml").read_text())
    spec["limits"] = {"total_seconds": HANG_TOTAL, "call_seconds": HANG_CALL}
    folder = tmp_path / "budget"
    folder.mkdir()
    (folder / "assignment.yaml").write_text(json.dumps(spec))
    data, elapsed = grade(container, folder, BUDGET / "hang", tmp_path, HANG_TOTAL + ALLOWANCE)
    assert elapsed <= HANG_TOTAL + ALLOWANCE
    score, top, _ = outputs(data, "Mul")
    assert score == top > 0
    score, _, text = outputs(data, "Exp")  # spins: the per-call limit ends it
    assert score == 0 and f"ran past the {HANG_CALL:g} s time limit" in text, text
    score, _, text = outputs(data, "Sigmoid")  # ignores signals and sleeps: the total limit ends it
    assert score == 0 and f"total time limit of {HANG_TOTAL:g} s" in text, text


def test_student_code_is_first_to_end_when_memory_runs_out():
    """Where no cgroup bounds the worker's processes together, they can fill the container;
    the kernel then ends the process it scores highest: never the grader."""
    own = Path("/proc/self/oom_score_adj").read_text()
    results = grade_submission(BUDGET, BUDGET / "oom-first")
    assert results.score == results.max_score > 0, [t.output for t in results.tests if t.score < t.max_score]
    assert Path("/proc/self/oom_score_adj").read_text() == own  # the grader's own is untouched
