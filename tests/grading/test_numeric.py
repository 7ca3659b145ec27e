"""The numeric check cannot be dodged: a finite-difference point is left out only where the
reference (or a kink the spec declares) says differences cannot work there, never because of
what the student's forward returned; the forward must answer the same inputs the same way;
and a case where most points are left out is not counted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.grading.grade import grade_submission

ROOT = Path(__file__).resolve().parents[2]
SCALAR = ROOT / "assignments" / "scalar-graphs"

# Appended to a submission: the backward of each class in NODES returns FACTOR times its
# gradient; with the trick, a forward whose input lies within 1e-4 of one seen before (but is
# not the same) answers junk. Exact repeats are answered right, so that only the differences
# can give the trick away, unless EXACT is set: then the repeats get junk too.
WRAPPER = '''

_seen = []
_junk = np.random.default_rng(0)


def _probe(xs):
    flat = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in xs])
    for s in _seen:
        if s.shape == flat.shape and (EXACT or not np.array_equal(s, flat)) and np.max(np.abs(s - flat)) < 1e-4:
            return True
    _seen.append(flat)
    return False


def _wrapped(cls):
    forward, backward = cls.forward, cls.backward

    def fwd(self, *xs):
        out = forward(self, *xs)
        if TRICK and _probe(xs):
            return out + _junk.uniform(-1, 1, np.shape(out))
        return out

    def bwd(self, g):
        grads = backward(self, g)
        return tuple(FACTOR * d for d in grads) if isinstance(grads, tuple) else FACTOR * grads

    cls.forward, cls.backward = fwd, bwd


for _cls in NODES:
    _wrapped(_cls)
'''


def solution() -> str:
    source = (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text()
    return re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", source)


def wrapped(folder: Path, source: str, *, trick: bool, exact: bool = False, factor: int = 2,
            nodes: str = "Add, Mul, Pow, Exp, Inverse, Sigmoid, ReLU, Max") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    code = (WRAPPER.replace("TRICK", str(trick)).replace("EXACT", str(exact)).replace("FACTOR", str(factor))
            .replace("NODES", f"({nodes},)"))
    (folder / "nodes.py").write_text(source + code)
    return folder


def numeric(results) -> list:
    return [t for t in results.tests if t.check == "numeric"]


def test_answering_the_probes_with_junk_gains_nothing(tmp_path):
    """The red team's trick: with it, the same doubled backward scored 60.4 instead of 40."""
    plain = grade_submission(SCALAR, wrapped(tmp_path / "plain", solution(), trick=False), seed=7)
    trick = grade_submission(SCALAR, wrapped(tmp_path / "trick", solution(), trick=True), seed=7)
    assert trick.score <= plain.score
    for with_trick, without in zip(numeric(trick), numeric(plain)):
        assert with_trick.name == without.name
        assert with_trick.score <= without.score, with_trick.name
        assert with_trick.score == 0, f"{with_trick.name}: {with_trick.output}"
    assert "very different answers for nearly the same input" in numeric(trick)[0].output


def test_a_forward_that_answers_its_own_inputs_differently_is_named(tmp_path):
    folder = wrapped(tmp_path / "exact", solution(), trick=True, exact=True)
    results = grade_submission(SCALAR, folder, seed=7, node="Exp")
    for test in numeric(results):
        assert test.score == 0
        assert "forward gives different answers for the same inputs" in test.output, test.output


SPEC = """
id: kinks
title: Kinks
files: [nodes.py]
defaults:
  points: {forward: 0, backward: 0, numeric: 1, no_mutation: 0, independence: 0}
nodes:
  ReLU:
    inputs: {x: {shape: [3]}}
    reference: relu(x)
    kinks: [x]
    tests:
      - {name: all on the kink, cases: 0, examples: [{inputs: {x: [0.0, 0.0, 0.0]}}]}
      - {name: one on the kink, cases: 2, examples: [{inputs: {x: [0.0, 1.0, -2.0]}}]}
  Undeclared:
    inputs: {x: {shape: [3]}}
    reference: relu(x)
    tests:
      - {name: one on the kink, cases: 2, examples: [{inputs: {x: [0.0, 1.0, -2.0]}}]}
  Abs:
    inputs: {x: {shape: [3]}}
    kinks: [x]
    tests:
      - {name: one on the kink, cases: 2, examples: [{inputs: {x: [0.0, 1.0, -2.0]}}]}
  AbsUndeclared:
    inputs: {x: {shape: [3]}}
    tests:
      - {name: one on the kink, cases: 2, examples: [{inputs: {x: [0.0, 1.0, -2.0]}}]}
"""

KINKED = """import numpy as np


class ReLU:
    def forward(self, x):
        self.mask = x > 0            # the subgradient 0 at 0, where differences give 1/2
        return np.where(self.mask, x, 0.0)

    def backward(self, grad_output):
        return np.where(self.mask, grad_output, 0.0)


class Abs:
    def forward(self, x):
        self.sign = np.where(x >= 0, 1.0, -1.0)   # the subgradient 1 at 0, where differences give 0
        return np.abs(x)

    def backward(self, grad_output):
        return grad_output * self.sign


Undeclared, AbsUndeclared = ReLU, Abs
"""


@pytest.fixture(scope="module")
def kinks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spec") / "kinks"
    folder.mkdir()
    (folder / "assignment.yaml").write_text(SPEC)
    return folder


def by_node(results) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for t in numeric(results):
        found.setdefault(t.node, {})[t.group] = t
    return found


def test_a_point_is_left_out_only_where_the_reference_or_the_spec_has_a_kink(tmp_path, kinks):
    (tmp_path / "nodes.py").write_text(KINKED)
    tests = by_node(grade_submission(kinks, tmp_path, seed=3))
    # one point of three on a kink: left out, the others compared (a declared kink, the
    # reference's own kink, a declared kink of a node without a reference)
    for node in ("ReLU", "Undeclared", "Abs"):
        test = tests[node]["one on the kink"]
        assert test.score == test.max_score, f"{node}: {test.output}"
    # without a reference, only a declared kink excuses a point
    test = tests["AbsUndeclared"]["one on the kink"]
    assert (test.passed_cases, test.total_cases) == (2, 3)
    assert test.output.startswith("1 of 3 cases failed: dx disagrees with finite differences of your own forward")
    assert "where the assignment declares no kink" in test.output


def test_a_case_where_most_points_are_left_out_is_not_counted(tmp_path, kinks):
    (tmp_path / "nodes.py").write_text(KINKED)
    test = by_node(grade_submission(kinks, tmp_path, seed=3, node="ReLU"))["ReLU"]["all on the kink"]
    assert test.score == 0 and test.total_cases == 0
    assert test.output == "Nothing was compared: cases where most finite-difference points straddle a kink (1)."


def test_junk_at_the_probes_is_not_excused_where_the_reference_has_no_kink(tmp_path, kinks):
    """A node whose reference has a kink the spec does not declare: the reference decides
    which point is on it, not the student's junk."""
    wrapped(tmp_path, KINKED, trick=True, factor=1, nodes="ReLU")
    test = by_node(grade_submission(kinks, tmp_path, seed=3, node="Undeclared"))["Undeclared"]["one on the kink"]
    assert test.score == 0, test.output
    assert "very different answers for nearly the same input" in test.output


def test_a_float32_forward_is_told_why_its_differences_are_off(tmp_path):
    """float32 rounding swamps a change of 1e-5; it is no excuse (float16 would excuse
    anything), so the check fails, and says why."""
    source = solution().replace("        self.out = np.exp(x)\n", "        self.out = np.exp(x.astype(np.float32))\n")
    (tmp_path / "nodes.py").write_text(source)
    results = grade_submission(SCALAR, tmp_path, seed=7, node="Exp")
    assert all(t.score == t.max_score for t in results.tests if t.check != "numeric")
    for test in numeric(results):
        assert test.score < test.max_score
        assert "your forward returns float32, whose rounding swamps the change over x ± 1e-05: compute in float64" \
            in test.output, test.output
