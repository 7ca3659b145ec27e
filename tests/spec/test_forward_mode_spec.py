"""What forward mode means in a spec: the jvp convention and its points (a jvp check instead
of backward), graphs that run forward mode because their nodes are jvp nodes, the tangents
a case is run along, and the engine's ground truth for them (``node_jvp``, ``graph_jvp``)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.spec.convention import Convention
from grader.spec.forwardmode import tangents
from grader.spec.model import Example
from grader.spec.reference import graph_jvp, node_jvp

from assignment_helpers import assignment


def test_the_jvp_convention_names_calls_as_the_student_wrote_them():
    c = Convention("jvp", "Sin")
    assert c.forward_mode and not Convention("class", "Sin").forward_mode
    assert c.symbols() == ["Sin"] and c.call("jvp") == "Sin.jvp" and c.call("new") == "Sin(...)"


def test_a_jvp_node_is_graded_by_jvp_and_a_class_node_by_backward():
    forward, reverse = assignment("forward-mode"), assignment("scalar-graphs")
    for test in forward.node_tests:
        assert test.points["backward"] == 0 and test.points["jvp"] > 0, test.title
    for test in reverse.node_tests:
        assert test.points.get("jvp", 0) == 0 and test.points["backward"] > 0, test.title


def test_graphs_of_jvp_nodes_run_forward_mode():
    assert all(g.forward for g in assignment("forward-mode").graphs.values())
    assert not any(g.forward for g in assignment("scalar-graphs").graphs.values())


def test_an_example_gives_its_tangents_and_the_rest_are_drawn():
    inputs = assignment("forward-mode").nodes["Mul"].inputs
    values = {"x": np.zeros((2, 3)), "y": np.ones((2, 3))}
    given = tangents(inputs, values, Example({}, tangents={"x": 2.0}), np.random.default_rng(0))
    np.testing.assert_array_equal(given["x"], np.full((2, 3), 2.0))
    np.testing.assert_array_equal(given["y"], np.zeros((2, 3)))  # not named: constant
    drawn = tangents(inputs, values, None, np.random.default_rng(0))
    again = tangents(inputs, values, Example({}), np.random.default_rng(0))
    assert drawn["x"].shape == (2, 3) and np.std(drawn["x"]) > 0
    np.testing.assert_array_equal(drawn["x"], again["x"])


def test_node_jvp_is_the_product_rule():
    mul = assignment("forward-mode").nodes["Mul"]
    rng = np.random.default_rng(1)
    x, y, tx, ty = (rng.normal(size=(3,)) for _ in range(4))
    result = node_jvp(mul, {}, {"x": x, "y": y}, {"x": tx, "y": ty})
    np.testing.assert_allclose(result.output, x * y, rtol=1e-15)
    np.testing.assert_allclose(result.tangent, tx * y + x * ty, rtol=1e-14)


@pytest.mark.parametrize("x1, x2", [(2.0, 5.0), (-1.5, 0.25)])
def test_graph_jvp_gives_every_nodes_tangent(x1, x2):
    a = assignment("forward-mode")
    g = a.graphs["lecture"]
    t1, t2 = 0.5, -2.0
    result = graph_jvp(g, a.nodes, {"x1": np.array(x1), "x2": np.array(x2)}, {"x1": np.array(t1), "x2": np.array(t2)})
    assert result.tangents["a1"] == pytest.approx(np.cos(x2) * t2, rel=1e-14)
    assert result.tangents["a2"] == pytest.approx(t1 * x2 + x1 * t2, rel=1e-14)
    assert result.tangent == pytest.approx(np.cos(x2) * t2 + t1 * x2 + x1 * t2, rel=1e-14)
