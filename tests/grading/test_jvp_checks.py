"""The checks of a jvp node, planned and judged by the grader with the worker's steps run in
this process: a right node passes them all; each classic mistake gets the diagnosis that
names it; finite differences of the student's own forward never excuse a point (only the
reference's kinks do); tangents changed in place and state on the class are caught."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.grading.agreement import precision_note
from grader.grading.cases import make_cases
from grader.grading.jvpchecks import JvpTestRun
from grader.grading.outcome import Outcome
from grader.sandbox.calls import Worker
from grader.spec import load_assignment

from assignment_helpers import assignment

FIXTURES = Path(__file__).resolve().parents[1] / "corpus" / "forward"


def judged(node_name: str, cls: type, test_index: int = 0, spec=None, seed: int = 3) -> dict[str, Outcome]:
    return planned_and_judged(node_name, cls, test_index, spec, seed)[1]


def planned_and_judged(node_name: str, cls: type, test_index: int = 0, spec=None, seed: int = 3):
    a = spec or assignment("forward-mode")
    node = a.nodes[node_name]
    test = node.tests[test_index]
    rng = np.random.default_rng(seed)
    run = JvpTestRun(node, test, make_cases(node, test, rng), rng)
    run.prepare([])
    worker = Worker()
    worker.symbols[node_name] = cls
    run.take_main(worker.run({"steps": run.main_program()})["results"])
    return run, run.judge()


def said(outcomes: dict[str, Outcome], check: str) -> str:
    return " | ".join(p for _, p in outcomes[check].failures)


class Sin:
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def jvp(self, x_dot):
        return np.cos(self.x) * x_dot


class Mul:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def jvp(self, x_dot, y_dot):
        return x_dot * self.y + self.x * y_dot


class ReLU:
    def forward(self, x):
        self.on = x > 0
        return np.where(self.on, x, 0.0)

    def jvp(self, x_dot):
        return np.where(self.on, x_dot, 0.0)


class Pow:
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.x = x
        return x ** self.p

    def jvp(self, x_dot):
        return self.p * self.x ** (self.p - 1) * x_dot


@pytest.mark.parametrize("name, cls, index", [("Sin", Sin, 1), ("Mul", Mul, 0), ("ReLU", ReLU, 1), ("Pow", Pow, 2)])
def test_a_right_node_passes_every_check(name, cls, index):
    outcomes = judged(name, cls, index)
    assert set(outcomes) == {"forward", "jvp", "numeric", "no_mutation", "independence"}
    for check, outcome in outcomes.items():
        assert outcome.total > 0 and outcome.passed == outcome.total, (check, outcome.failures)


MISTAKES = [
    ("Sin", Sin, lambda self, t: np.cos(self.x), "it is the derivative, not the derivative times the tangent"),
    ("Mul", Mul, lambda self, x_dot, y_dot: x_dot * self.y, "it leaves out y's term"),
    ("Mul", Mul, lambda self, x_dot, y_dot: self.x * x_dot + self.y * y_dot,
     "pairs each input's derivative with the other's tangent"),
    ("Mul", Mul, lambda self, x_dot, y_dot: self.y + self.x * y_dot, "x's term is not multiplied by x_dot"),
    ("Sin", Sin, lambda self, t: -np.cos(self.x) * t, "has the wrong sign"),
    ("ReLU", ReLU, lambda self, t: np.where(self.on, 0.0, t), "is a condition reversed"),
    ("Pow", Pow, lambda self, t: self.p * self.x ** self.p * t, "is a power of x one too high"),
    ("Pow", Pow, lambda self, t: self.p * self.x ** (self.p - 2) * t, "is a power of x one too low"),
]


@pytest.mark.parametrize("name, base, jvp, diagnosis", MISTAKES, ids=[m[3][:30] for m in MISTAKES])
def test_each_classic_mistake_gets_its_diagnosis(name, base, jvp, diagnosis):
    outcomes = judged(name, type("Buggy", (base,), {"jvp": jvp}), 1)
    assert outcomes["jvp"].passed == 0 and outcomes["forward"].passed == outcomes["forward"].total
    assert diagnosis in said(outcomes, "jvp")
    assert outcomes["numeric"].passed == 0 and "finite differences of your own forward" in said(outcomes, "numeric")


def test_a_reversed_condition_is_suggested_only_where_the_reference_has_a_branch():
    """x_dot minus the right tangent is ReLU's condition reversed; sine has no condition."""
    outcomes = judged("Sin", type("Buggy", (Sin,), {"jvp": lambda self, t: t - np.cos(self.x) * t}), 1)
    assert outcomes["jvp"].passed == 0 and "condition" not in said(outcomes, "jvp")


def test_a_forward_that_answers_the_probes_with_junk_fails_instead_of_being_excused():
    class Sneaky(Sin):
        seen: list = []

        def forward(self, x):
            if any(s.shape == x.shape and 0 < np.max(np.abs(s - x), initial=0) < 1e-3 for s in Sneaky.seen):
                return np.full(x.shape, 1e3)  # a perturbed probe: junk, as if there were a kink
            Sneaky.seen.append(np.array(x))
            return super().forward(x)

        def jvp(self, x_dot):
            return 2 * np.cos(self.x) * x_dot

    outcomes = judged("Sin", Sneaky, 1)
    assert outcomes["numeric"].passed == 0 and outcomes["numeric"].total > 0
    assert not outcomes["numeric"].skipped


def test_a_kink_of_the_reference_excuses_the_differences_there_and_nothing_else():
    spec = load_assignment(FIXTURES)[0]
    outcomes = judged("ReLU", ReLU, 0, spec)
    numeric = outcomes["numeric"]
    assert numeric.passed == numeric.total == 2  # the random cases, away from the kink
    assert list(numeric.skipped.values()) == [1]  # the example at 0: not compared, and said
    assert "All 2 compared cases passed" in numeric.summary()


def test_a_tangent_changed_in_place_fails_no_mutation():
    class InPlace(Sin):
        def jvp(self, x_dot):
            x_dot *= np.cos(self.x)
            return x_dot

    outcomes = judged("Sin", InPlace, 1)
    assert "jvp modified its tangent x_dot in place" in said(outcomes, "no_mutation")


def test_state_on_the_class_fails_independence():
    class Shared(Sin):
        def forward(self, x):
            Shared.x = x
            return np.sin(x)

    outcomes = judged("Sin", Shared, 1)
    assert outcomes["jvp"].passed == outcomes["jvp"].total
    assert "both forwards, then both jvps" in said(outcomes, "independence")


def test_the_lecture_example_is_judged_along_its_own_tangent():
    outcomes = judged("Sin", type("Buggy", (Sin,), {"jvp": lambda self, t: np.cos(self.x)}), 0)
    # sin at x2 = 5 along x2_dot = 1: the derivative alone happens to be right there, and only there
    failed = [label for label, _ in outcomes["jvp"].failures]
    assert "example 1" not in failed and len(failed) == outcomes["jvp"].total - 1 > 0


def test_a_jvp_by_finite_differences_passes_with_a_note_for_the_instructor():
    class Numerical(Sin):
        def jvp(self, x_dot):
            h = 1e-5
            return (np.sin(self.x + h * x_dot) - np.sin(self.x - h * x_dot)) / (2 * h)

    analytic = planned_and_judged("Sin", Sin, 1)[0].agreement + planned_and_judged("Sin", Sin, 2)[0].agreement
    run, outcomes = planned_and_judged("Sin", Numerical, 1)
    more, _ = planned_and_judged("Sin", Numerical, 2)
    assert outcomes["jvp"].passed == outcomes["jvp"].total
    assert precision_note("Sin.jvp", analytic) is None
    assert precision_note("Sin.jvp", run.agreement + more.agreement).startswith("Sin.jvp passes, but agrees")
