"""No silent passes: a node without a reference is graded against its examples' outputs and
gradients, and a check never says "All cases passed" about cases it did not compare."""

from __future__ import annotations

from pathlib import Path

from grader.grading.checks import NO_REFERENCE
from grader.grading.outcome import Outcome
from grader.grading.grade import grade_submission
from grader.report.gradescope import to_gradescope

SPEC = Path(__file__).resolve().parents[1] / "corpus" / "valid" / "no-reference.yaml"

NODES = """import numpy as np


class Double:
    def forward(self, x):
        return {k} * x

    def backward(self, grad_output):
        return {k} * grad_output


class Log:
    def forward(self, x):
        self.x = x
        return np.log({log_arg})

    def backward(self, grad_output):
        return grad_output / self.x
"""


def grade(tmp_path: Path, k: float = 2.0, log_arg: str = "x"):
    (tmp_path / "nodes.py").write_text(NODES.format(k=k, log_arg=log_arg))
    return grade_submission(SPEC, tmp_path, seed=5, timeout=2)


def by_check(results, node: str) -> dict:
    return {t.check: t for t in results.tests if t.node == node}


def test_a_doubled_forward_loses_its_points_without_a_reference(tmp_path):
    tests = by_check(grade(tmp_path, k=4.0), "Double")
    assert tests["forward"].score == 0 and "the output is 2 × the right value" in tests["forward"].output
    assert tests["backward"].score == 0 and "dx is 2 × the right value" in tests["backward"].output
    assert (tests["forward"].passed_cases, tests["forward"].total_cases) == (0, 1)  # the example with an output


def test_right_answers_keep_full_marks_and_say_what_was_not_compared(tmp_path):
    results = grade(tmp_path)
    assert results.score == results.max_score
    gradescope = {t["name"]: t["output"] for t in to_gradescope(results)["tests"]}
    for check in ("forward", "backward"):
        test = by_check(results, "Double")[check]
        assert "All cases passed" not in gradescope[test.name]
        assert "not compared: random cases, with no reference to compare with (2)" in test.output, test.output


def test_a_clamped_log_loses_the_range_points_of_a_node_without_a_reference(tmp_path):
    tests = by_check(grade(tmp_path, log_arg="np.maximum(x, 1e-10)"), "Log")
    assert tests["range"].score == 0
    assert "stuck at -23.03 = log(1e-10): something clamps it" in tests["range"].output, tests["range"].output


def test_a_check_that_compared_nothing_says_so():
    outcome = Outcome("forward")
    for label in ("case 1", "case 2"):
        outcome.record(label, NO_REFERENCE)
    assert outcome.total == 0
    assert outcome.summary() == "Nothing was compared: random cases, with no reference to compare with (2)."

