"""The worker's memory and process budget (a cgroup, where root can make one): processes
inside it share one memory limit, and the worker is inside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import cgroup
from grader.grading.grade import grade_submission

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_group():
    procs = cgroup.prepare("bpgrader-test", 256, 16)
    if not procs:
        pytest.skip("no writable cgroup hierarchy here (needs root)")
    return procs


def allocate(procs: list[str], megabytes: int) -> int:
    """A process that joins the group and touches ``megabytes`` of memory; its exit status."""
    code = ("import sys, json; from grader.sandbox.cgroup import join; assert join(json.loads(sys.argv[1]))\n"
            f"b = bytearray({megabytes} << 20)\n"
            "for i in range(0, len(b), 4096): b[i] = 1\n")
    import json
    return subprocess.run([sys.executable, "-c", code, json.dumps(procs)], capture_output=True).returncode


def test_a_process_in_the_group_cannot_pass_its_memory_budget(small_group):
    assert allocate(small_group, 64) == 0
    assert allocate(small_group, 512) != 0  # ended by the kernel, inside the group


def test_the_worker_runs_inside_its_group(small_group, tmp_path):
    source = (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text().replace(
        "        return x + y\n",
        "        inside = 'bpgrader' in open('/proc/self/cgroup').read()\n"
        "        return x + y if inside else x - y\n")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "nodes.py").write_text(source)
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", folder, node="Add")
    assert results.score == results.max_score > 0
    assert any("cgroup" in p for p in results.extra["protections"])


def test_a_group_reused_with_a_larger_budget_gets_it():
    """One group per worker user, reused by the next grading, whose spec may allow more."""
    name = "bpgrader-test-regrow"
    if not cgroup.prepare(name, 128, 16):
        pytest.skip("no writable cgroup hierarchy here (needs root)")
    procs = cgroup.prepare(name, 512, 16)
    try:
        assert procs
        group = Path(procs[0]).parent
        if (group / "memory.limit_in_bytes").exists():
            assert int((group / "memory.limit_in_bytes").read_text()) == 512 << 20
        else:
            assert int((group / "memory.max").read_text()) == 512 << 20
    finally:
        for path in procs:
            Path(path).parent.rmdir()
