"""Grading real student mistakes and real unusual-but-correct work.

``tests/corpus/students/<assignment>/<case>/`` holds a buggy submission and ``expect.yaml``::

    node: Linear                 # the node (or "graph <id>" / "driver") that must lose points
    diagnosis: sum over axis 0   # text the diagnosis of that failure should contain
    why: db not summed over the batch
    region: none                 # optional: the one claim about where it is wrong, or none

Each must lose points on a test that names the node; at least 80% must also get the right
diagnosis. A case with ``region`` holds its node's failing tests to claims about where an
array is wrong that are right or silent: every such claim ("dx is wrong only where x <= y
(Max's branch)") starts with the ``region`` text, and at least one is made; ``none``: no
claim about regions at all. ``tests/corpus/correct/<assignment>/<case>/`` holds correct but unusual work,
which must get full marks.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from grader.grading.grade import grade_submission
from grader.report.gradescope import to_gradescope, validation_errors

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = ROOT / "tests" / "corpus" / "students"
CORRECT = ROOT / "tests" / "corpus" / "correct"


def submissions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*/*") if p.is_dir())


def expectation(case: Path) -> dict:
    return yaml.safe_load((case / "expect.yaml").read_text("utf-8"))


def failing_tests(results, target: str):
    if target.startswith("graph "):
        return [t for t in results.tests if t.check == "graph" and t.group.startswith(target[6:] + ":")
                and t.score < t.max_score]
    if target == "driver":
        return [t for t in results.tests if t.check == "graph" and t.score < t.max_score]
    return [t for t in results.tests if t.node == target and t.score < t.max_score]


def _grade(case: Path):
    """A buggy submission is graded on its node's tests alone (cheaper, and they are the ones
    it must fail); a graph or driver case, and correct work, on everything."""
    target = expectation(case)["node"] if (case / "expect.yaml").exists() else "graph"
    node = None if target.startswith("graph") or target == "driver" else target
    return grade_submission(ROOT / "assignments" / case.parent.name, case, seed=1234, timeout=2, node=node)


@pytest.fixture(scope="module")
def graded():
    """Every submission of the corpora, graded two at a time (each grading is a worker
    process and a grader thread: two keep both cores busy) the first time one is asked for."""
    cache: dict[Path, object] = {}

    def grade(case: Path):
        if not cache:
            everything = submissions(STUDENTS) + submissions(CORRECT)
            with ThreadPoolExecutor(max_workers=2) as pool:
                cache.update(zip(everything, pool.map(_grade, everything)))
        if case not in cache:
            cache[case] = _grade(case)
        return cache[case]

    return grade


@pytest.mark.parametrize("case", submissions(STUDENTS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_buggy_submission_loses_points_on_its_node(case, graded):
    want = expectation(case)
    results = graded(case)
    assert not validation_errors(to_gradescope(results))
    assert results.score < results.max_score, f"{case.name} got full marks"
    assert failing_tests(results, want["node"]), (
        f"{case.name}: no test of {want['node']} lost points; failures: "
        + "; ".join(t.name for t in results.tests if t.score < t.max_score))


def misdiagnosed(cases: list[Path], graded) -> list[str]:
    """The cases whose failing tests do not say what their expect.yaml's diagnosis says."""
    wrong = []
    for case in cases:
        want = expectation(case)
        outputs = " | ".join(t.output for t in failing_tests(graded(case), want["node"]))
        if want["diagnosis"].lower() not in outputs.lower():
            wrong.append(f"{case.parent.name}/{case.name}: wanted {want['diagnosis']!r}, got {outputs[:300]!r}")
    return wrong


def test_most_buggy_submissions_get_the_right_diagnosis(graded):
    cases = submissions(STUDENTS)
    assert len(cases) >= 30, "the corpus needs at least 30 buggy submissions"
    wrong = misdiagnosed(cases, graded)
    assert len(wrong) <= 0.2 * len(cases), "\n".join(wrong)


@pytest.mark.parametrize("assignment", sorted(p.name for p in STUDENTS.iterdir() if p.is_dir()))
def test_each_assignment_has_twelve_buggy_submissions_mostly_diagnosed_right(assignment, graded):
    cases = [c for c in submissions(STUDENTS) if c.parent.name == assignment]
    assert len(cases) >= 12, f"{assignment} needs at least 12 buggy submissions"
    wrong = misdiagnosed(cases, graded)
    assert len(wrong) <= 0.2 * len(cases), "\n".join(wrong)


@pytest.mark.parametrize("assignment", sorted(p.name for p in STUDENTS.iterdir() if p.is_dir()))
def test_each_assignment_has_a_corpus_mostly_diagnosed_right(assignment, graded):
    """Per assignment, not only over all: at least 12 buggy and 5 correct submissions, and at
    least 80% of the buggy ones with the right diagnosis."""
    buggy = [c for c in submissions(STUDENTS) if c.parent.name == assignment]
    assert len(buggy) >= 12 and len([c for c in submissions(CORRECT) if c.parent.name == assignment]) >= 5
    right = [c for c in buggy if expectation(c)["diagnosis"].lower() in
             " | ".join(t.output for t in failing_tests(graded(c), expectation(c)["node"])).lower()]
    assert len(right) >= 0.8 * len(buggy), f"{assignment}: {len(right)} of {len(buggy)} diagnosed right"


CLAIM = re.compile(r"\S+ is wrong only [^:|\n]*")  # "dx is wrong only where x <= y (Max's branch)", up to its hint


@pytest.mark.parametrize("case", [c for c in submissions(STUDENTS) if "region" in expectation(c)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_claims_about_where_an_array_is_wrong_are_right_or_silent(case, graded):
    want = expectation(case)
    outputs = " | ".join(t.output for t in failing_tests(graded(case), want["node"]))
    claims = sorted({m.group(0).strip() for m in CLAIM.finditer(outputs)})
    if want["region"] == "none":
        assert not claims, f"{case.name}: no region is a branch here, yet: {claims}"
    else:
        assert claims, f"{case.name}: wanted {want['region']!r}, got no claim: {outputs[:400]}"
        wrong = [c for c in claims if not c.startswith(want["region"])]
        assert not wrong, f"{case.name}: wanted only {want['region']!r}, also got {wrong}"


@pytest.mark.parametrize("case", submissions(CORRECT), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_unusual_correct_submission_gets_full_marks(case, graded):
    results = graded(case)
    assert not validation_errors(to_gradescope(results))
    lost = [f"{t.name}: {t.output}" for t in results.tests if t.score < t.max_score]
    assert not lost, "\n".join(lost)
    assert results.score == results.max_score


def test_the_correct_corpus_is_large_enough():
    assert len(submissions(CORRECT)) >= 10
    for assignment in sorted(p.name for p in CORRECT.iterdir() if p.is_dir()):
        count = sum(c.parent.name == assignment for c in submissions(CORRECT))
        assert count >= 5, f"{assignment} needs at least 5 correct but unusual submissions, has {count}"


@pytest.mark.parametrize("case", submissions(STUDENTS) + submissions(CORRECT), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_report_blames_the_student_for_the_graders_own_imports(case, graded):
    """The worker refuses imports of the grader once student code may run; a report saying so
    about a submission that imports nothing of the grader means the grader's own code did."""
    blamed = [f"{t.name}: {t.output}" for t in graded(case).tests if "importing grader" in t.output]
    assert not blamed, "\n".join(blamed)
