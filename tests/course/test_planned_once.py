"""A batch loads the spec once and grades every submission with it: that must give exactly
the results of loading it afresh for each one (grading never changes the loaded spec), and
the batch's pool processes must really use it, not read the spec again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.course import gradeone
from grader.grading.grade import grade_submission
from grader.report.gradescope import to_gradescope
from grader.spec import load_assignment

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "students"


def _graded(assignment: str, folder: Path, loaded=None) -> dict:
    results = to_gradescope(grade_submission(ROOT / "assignments" / assignment, folder, seed=7, loaded=loaded))
    results.pop("execution_time", None)
    results.get("extra_data", {}).pop("timings", None)
    return results


@pytest.mark.parametrize("assignment", ["scalar-graphs", "layer-functions"])
def test_a_shared_spec_grades_as_a_fresh_one(assignment):
    buggy = sorted(p for p in (CORPUS / assignment).iterdir() if p.is_dir())[:2]
    shared, _ = load_assignment(ROOT / "assignments" / assignment)
    first = [_graded(assignment, folder, shared) for folder in buggy]
    again = [_graded(assignment, folder, shared) for folder in reversed(buggy)][::-1]
    fresh = [_graded(assignment, folder) for folder in buggy]
    assert first == fresh and again == fresh
    assert first[0] != first[1]  # two different submissions: the comparison can tell


def test_the_batch_uses_the_loaded_spec(tmp_path):
    """The pool process grades with the spec the batch loaded: a spec file broken after the
    batch has loaded it no longer matters."""
    from grader.course.batch import _grade_all, discover

    folder = tmp_path / "class" / "s1"
    folder.mkdir(parents=True)
    (folder / "nodes.py").write_text((ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "assignment.yaml").write_text((ROOT / "assignments" / "scalar-graphs" / "assignment.yaml").read_text())
    loaded, _ = load_assignment(spec)
    gradeone.plan(str(spec), loaded)
    (spec / "assignment.yaml").write_text("not: [a spec")
    try:
        data = _grade_all(str(spec), discover(tmp_path / "class", tmp_path / "work"), tmp_path / "out", 1, None)
    finally:
        gradeone.PLANNED.clear()
    assert data["s1"]["score"] == 117, json.dumps(data["s1"])[:300]
