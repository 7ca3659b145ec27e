"""The checks of a student's jacobian(f, x), with the worker's step run in this process: the
values against the engine's Jacobian of the same map (which the worker never gets), exactly
len(x) calls of f (the counts of known mistakes named), x left alone; a wrong Jacobian
explained by what f saw."""

from __future__ import annotations

import numpy as np
import pytest

from grader.grading.jacobiantests import _judge, calls_problem
from grader.sandbox.calls import Worker
from grader.spec.maps import draw, expected

from assignment_helpers import assignment


def judged(jacobian, name: str = "affine", sizes=None, seed: int = 0) -> dict[str, str | None]:
    test = next(t for t in assignment("forward-mode").jacobian.tests if t.map == name)
    inputs = draw(name, sizes or {"n": 3, "m": 2, "h": 2}, np.random.default_rng(seed))
    step = {"do": "jacobian", "function": "jacobian", "map": name, "x": inputs["x"], "where": "jacobian",
            "params": {k: v for k, v in inputs.items() if k != "x"}}
    worker = Worker()
    worker.symbols["jacobian"] = jacobian
    reply = worker.run({"steps": [step]})["results"][0]
    want = expected(name, inputs)[1]
    return {check: _judge(check, reply, inputs, want, test, "jacobian") for check in ("jacobian", "calls", "no_mutation")}


def columns(f, x):
    return np.stack([f(x, e)[1] for e in np.eye(len(x))], axis=1)


@pytest.mark.parametrize("name", ["lecture", "affine", "layer"])
def test_a_right_jacobian_passes_every_check(name):
    assert judged(columns, name) == {"jacobian": None, "calls": None, "no_mutation": None}


def test_rows_instead_of_columns_is_called_transposed():
    said = judged(lambda f, x: columns(f, x).T)["jacobian"]
    assert "has shape (3, 2), expected (2, 3): it looks transposed" in said and "build columns, not rows" in said


def test_a_tangent_that_misses_input_directions_is_pointed_out():
    said = judged(lambda f, x: np.stack([f(x, np.ones(len(x)))[1] for _ in x], axis=1))
    assert "leave some input direction out" in said["jacobian"] and said["calls"] is None


def test_calls_at_another_point_are_pointed_out_and_x_changed_in_place_fails():
    def moved(f, x):
        x += 1.0
        return columns(f, x)

    said = judged(moved, "layer")  # an affine map's Jacobian is the same everywhere; a layer's is not
    assert "f was called at another point than x in 3 of 3 calls" in said["jacobian"]
    assert "jacobian modified x in place" in said["no_mutation"]


def test_another_basis_with_the_right_values_passes():
    def other_basis(f, x):
        basis = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
        pushed = np.stack([f(x, basis[:, j])[1] for j in range(3)], axis=1)
        return pushed @ np.linalg.inv(basis)

    assert judged(other_basis) == {"jacobian": None, "calls": None, "no_mutation": None}


@pytest.mark.parametrize("calls, n, m, text", [
    (3, 3, 2, None),
    (0, 3, 2, "the Jacobian must come from the tangents f returns"),
    (2, 3, 2, "one call per output (len(y) = 2) is reverse mode's count"),
    (4, 3, 2, "one too many"),
    (6, 3, 2, "two per input looks like finite differences"),
    (12, 4, 3, "one call per entry"),
    (7, 3, 2, "exactly len(x) = 3 calls"),
])
def test_each_count_of_calls_says_what_it_looks_like(calls, n, m, text):
    said = calls_problem("jacobian", calls, n, m)
    assert said is None if text is None else (text in said and f"called f {calls} time" in said)


def test_an_exception_in_jacobian_fails_every_check_with_its_message():
    said = judged(lambda f, x: f(x, np.eye(len(x))))
    assert all("one tangent per call" in text for text in said.values())
