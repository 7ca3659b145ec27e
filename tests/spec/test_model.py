"""What a spec means: inheritance of settings, default tests, graph order, input defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.spec.draw import DrawError, draw_case, example_case
from grader.spec import load_assignment
from grader.spec.expr import parse_expression
from grader.spec.model import Draw, Input, Settings, Tolerance

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "valid"


@pytest.fixture(scope="module")
def spec():
    return load_assignment(CORPUS / "inheritance.yaml")


def test_settings_merge_from_defaults_to_node_to_test(spec):
    assignment, _ = spec
    plain, tripled, rng = assignment.nodes["Scale"].tests
    assert plain.settings.cases == 4
    assert plain.settings.tolerance == Tolerance(rtol=1e-5, atol=0.5)
    assert plain.settings.dims == {"N": (2, 3), "D": (1, 2)}
    assert plain.points["forward"] == 2 and plain.points["backward"] == 2  # built-in default
    assert tripled.attributes == {"k": 3} and plain.attributes == {"k": 2}
    assert tripled.points["backward"] == 7 and tripled.points["forward"] == 2
    assert tripled.settings.cases == 1
    assert [i.draw.kind for i in tripled.inputs] == ["positive", "labels", "constant"]


def test_points_of_range_tests_and_graphs_are_numbers(spec):
    assignment, _ = spec
    assert assignment.nodes["Scored"].tests[-1].points == {"range": 3}
    assert assignment.graphs["scored"].points == 4


def test_inputs_default_dtype_and_grading(spec):
    x, labels, bias = spec[0].nodes["Scale"].inputs
    assert (x.dtype, x.graded) == ("float64", True)
    assert (labels.dtype, labels.graded) == ("int64", False)
    assert (bias.dtype, bias.graded) == ("float64", False)


def test_a_node_without_tests_gets_one_and_range_tests_default_to_their_examples(spec):
    assignment, _ = spec
    (only,) = assignment.nodes["Plain"].tests
    assert only.name == "random cases" and only.kind == "node"
    rng = assignment.nodes["Scale"].tests[2]
    assert (rng.kind, rng.settings.cases, rng.points) == ("range", 0, {"range": 1})


def test_hidden_tests_with_points_are_warned_about(spec):
    _, warnings = spec
    assert any("after_due_date" in w.message and w.key == "nodes.Scale.tests[1]" for w in warnings)


def test_graph_nodes_are_put_in_dependency_order(spec):
    graph = spec[0].graphs["chain"]
    assert [n.name for n in graph.nodes] == ["b", "c", "d"]
    b = graph.nodes[0]
    assert (b.type, b.args, b.attributes) == ("Scale", ["a", 0, 0], {"k": 5})
    assert graph.nodes[2].expression is not None


def settings(**dims) -> Settings:
    return Settings(cases=1, visibility="visible", tolerance=Tolerance(1e-6, 1e-8), margin=0.5,
                    dims=dims, shapes={"S": [(), ("N",), ("N", "D")]})


def test_draws_share_dims_and_shape_variables_and_are_reproducible():
    inputs = [Input("x", ("N", "D"), "float64", Draw("normal"), True),
              Input("w", ("D",), "float64", Draw("uniform", -2, 2), True),
              Input("s", "S", "float64", Draw("positive", 0.5, 2), True),
              Input("t", "S", "float64", Draw("normal"), True),
              Input("y", ("N",), "int64", Draw("labels", classes="D"), False)]
    for seed in range(20):
        case = draw_case(inputs, settings(N=(1, 5), D=(2, 4)), np.random.default_rng(seed))
        n, d = case["x"].shape
        assert case["w"].shape == (d,) and case["y"].shape == (n,)
        assert case["s"].shape == case["t"].shape
        assert np.all((case["w"] >= -2) & (case["w"] <= 2)) and np.all(case["s"] >= 0.5)
        assert case["y"].dtype == np.int64 and np.all((case["y"] >= 0) & (case["y"] < d))
    again = draw_case(inputs, settings(N=(1, 5), D=(2, 4)), np.random.default_rng(19))
    assert all(np.array_equal(again[k], case[k]) for k in case)


def test_draws_keep_away_from_kinks():
    inputs = [Input("x", ("N",), "float64", Draw("normal"), True)]
    kink = parse_expression("x - 1", ["x"])
    case = draw_case(inputs, settings(N=3), np.random.default_rng(0), [kink])
    assert np.all(np.abs(case["x"] - 1) >= 0.5)
    with pytest.raises(DrawError):
        draw_case(inputs, settings(N=3), np.random.default_rng(0), [parse_expression("x - x", ["x"])])


def test_example_numbers_fill_the_shape_and_lists_fix_dims():
    inputs = [Input("x", ("N", "D"), "float64", Draw("normal"), True),
              Input("b", ("D",), "float64", Draw("normal"), True)]
    case = example_case(inputs, settings(N=(1, 4), D=(1, 4)), {"x": 1000, "b": [1, 2, 3]},
                        np.random.default_rng(0))
    assert case["x"].shape[1] == 3 and np.all(case["x"] == 1000.0)
    assert case["b"].dtype == np.float64
