"""The two implementations of the jacobian tests' maps agree: the worker's plain numpy with
hand-written tangents (``grader.sandbox.maps``) and the reference engine's (``grader.spec.maps``),
in value, in tangent along random directions, and column by column in the Jacobian; the
schema lists exactly these maps; the lecture's map has the lecture's derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.engine import evaluate, jvp
from grader.sandbox import maps as worker_maps
from grader.spec import maps
from grader.spec.schema import schema

SIZES = [{"n": 1, "m": 1, "h": 2}, {"n": 3, "m": 2, "h": 4}, {"n": 2, "m": 5, "h": 3}, {"n": 4, "m": 4, "h": 1}]


def test_both_sides_know_the_same_maps_and_the_schema_lists_them():
    assert sorted(worker_maps.MAPS) == sorted(maps.MAPS) == schema()["$defs"]["map"]["enum"]


@pytest.mark.parametrize("name", sorted(maps.MAPS))
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "n{n}m{m}h{h}".format(**s))
def test_the_worker_map_agrees_with_the_engine(name, sizes):
    rng = np.random.default_rng(sizes["n"] * 10 + sizes["m"])
    for _ in range(3):
        case = maps.draw(name, sizes, rng)
        x, params = case["x"], {k: v for k, v in case.items() if k != "x"}
        f, calls = worker_maps.make(name, params, x)
        fun = lambda v: maps.MAPS[name].engine(v, **params)
        t = rng.normal(size=x.shape)
        y, y_dot = f(x, t)
        np.testing.assert_allclose(y, evaluate(fun, x), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(y_dot, jvp(fun, [x], [t])[1], rtol=1e-12, atol=1e-12)
        _, expected = maps.expected(name, case)
        columns = np.stack([f(x, e)[1] for e in np.eye(x.size)], axis=1)
        np.testing.assert_allclose(columns, expected, rtol=1e-12, atol=1e-12)
        assert expected.shape == (y.size, x.size) and calls.count == 1 + x.size and calls.moved == 0


def test_the_lecture_map_has_the_lecture_derivatives():
    x1, x2 = 2.0, 5.0
    y, jac = maps.expected("lecture", {"x": [x1, x2]})
    assert y[0] == pytest.approx(math.sin(x2) + x1 * x2, rel=1e-15)
    np.testing.assert_allclose(jac, [[x2, math.cos(x2) + x1]], rtol=1e-15)


def test_shapes_follow_the_sizes_and_the_lecture_fixes_its_own():
    assert maps.MAPS["layer"].shapes({"n": 3, "m": 2, "h": 4}) == {"x": (3,), "W1": (4, 3), "b1": (4,), "W2": (2, 4)}
    assert maps.MAPS["lecture"].shapes({"n": 7}) == {"x": (2,)}
