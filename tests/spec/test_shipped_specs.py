"""The shipped specs: valid, complete against the student contract, and carrying the
lecture's worked examples with their exact values (checked against the reference engine)."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from grader.engine import OPS
from grader.spec.reference import graph_jvp, graph_result
from grader.spec import load_assignment
from grader.spec.schema import schema

ROOT = Path(__file__).resolve().parents[2]

# The classes of ../shared/STUDENT_API.md, with forward's arguments in order.
CONTRACT = {
    "scalar-graphs": {"Add": ["x", "y"], "Mul": ["x", "y"], "Pow": ["x"], "Exp": ["x"],
                      "Inverse": ["x"], "Sigmoid": ["x"], "ReLU": ["x"], "Max": ["x", "y"]},
    "vector-layers": {"Linear": ["x", "W", "b"], "ReLU": ["x"], "LeakyReLU": ["x"], "Sigmoid": ["x"],
                      "Tanh": ["x"], "MSELoss": ["pred", "target"], "L1Loss": ["pred", "target"],
                      "SoftmaxCrossEntropy": ["logits", "labels"], "HingeLoss": ["scores", "labels"]},
    "backprop-engine": {},
    "rnn-functions": {"rnn_step": ["x", "prev_h", "Wx", "Wh", "b"], "rnn": ["x", "h0", "Wx", "Wh", "b"],
                      "word_embedding": ["x", "W"], "lstm_step": ["x", "prev_h", "prev_c", "Wx", "Wh", "b"],
                      "lstm": ["x", "h0", "Wx", "Wh", "b"], "temporal_affine": ["x", "w", "b"],
                      "temporal_softmax_loss": ["x", "y", "mask"]},
    "forward-mode": {"Add": ["x", "y"], "Mul": ["x", "y"], "Pow": ["x"], "Exp": ["x"], "Log": ["x"],
                     "Sin": ["x"], "Cos": ["x"], "Sigmoid": ["x"], "ReLU": ["x"]},
}
ATTRIBUTES = {("scalar-graphs", "Pow"): {"p"}, ("vector-layers", "LeakyReLU"): {"alpha"}, ("forward-mode", "Pow"): {"p"}}

# The function pairs and losses of layer-functions (../shared/STUDENT_API.md): what students
# define, and forward's arguments in order.
FUNCTIONS = {
    "layer-functions": {
        ("affine_forward", "affine_backward"): ["x", "w", "b"],
        ("relu_forward", "relu_backward"): ["x"],
        ("svm_loss",): ["x", "y"],
        ("softmax_loss",): ["x", "y"],
        ("batchnorm_forward", "batchnorm_backward"): ["x", "gamma", "beta", "bn_param"],
        ("layernorm_forward", "layernorm_backward"): ["x", "gamma", "beta", "ln_param"],
        ("dropout_forward", "dropout_backward"): ["x", "dropout_param"],
        ("conv_forward_naive", "conv_backward_naive"): ["x", "w", "b", "conv_param"],
        ("max_pool_forward_naive", "max_pool_backward_naive"): ["x", "pool_param"],
        ("spatial_batchnorm_forward", "spatial_batchnorm_backward"): ["x", "gamma", "beta", "bn_param"],
    },
}
SHIPPED = sorted([*CONTRACT, *FUNCTIONS])


def load(name: str):
    assignment, warnings = load_assignment(ROOT / "assignments" / name)
    return assignment


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_spec_matches_the_student_contract(name):
    assignment = load(name)
    graded = {n.name: [i.name for i in n.inputs] for n in assignment.nodes.values() if not n.provided}
    assert graded == CONTRACT[name]
    for node in (n for n in assignment.nodes.values() if not n.provided):
        assert set(node.attributes) == ATTRIBUTES.get((name, node.name), set()), node.name
    assert assignment.id == name


def test_vector_layers_defaults_and_numerical_range():
    assignment = load("vector-layers")
    assert assignment.nodes["LeakyReLU"].attributes == {"alpha": 0.01}
    for name in ("Sigmoid", "Tanh", "SoftmaxCrossEntropy"):
        kinds = {t.kind for t in assignment.nodes[name].tests}
        assert "range" in kinds, f"{name} needs numerical-range tests (|x| = 1e3)"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_pairs_match_the_student_contract(name):
    assignment = load(name)
    assert {tuple(n.convention.symbols()): [i.name for i in n.inputs] for n in assignment.nodes.values()} == FUNCTIONS[name]
    assert assignment.id == name


def test_layer_functions_settings_state_randomness_and_range():
    """bn_param's running statistics are checked state in both normalizations, in both modes
    and on a first call without them; dropout is a seeded random node keeping with probability
    p in train mode; both losses have range tests at 1e3; conv and pooling are tested at the
    strides, paddings and windows the contract names."""
    nodes = load("layer-functions").nodes
    for name in ("batchnorm", "spatial_batchnorm"):
        bn = next(i for i in nodes[name].inputs if i.name == "bn_param")
        assert set(bn.state) == {"running_mean", "running_var"}
        modes = {dict(i.param)["mode"] for t in nodes[name].tests for i in t.inputs if i.name == "bn_param"}
        assert modes == {"train", "test"} and nodes[name].tests[0].points["state"] > 0
        assert any("running_mean" not in dict(i.param) for t in nodes[name].tests for i in t.inputs if i.is_param)
    random = nodes["dropout"].random
    assert (random.input, random.keep, random.seed, dict(random.when)) == ("x", "p", "seed", {"mode": "train"})
    assert {dict(i.param)["mode"] for t in nodes["dropout"].tests for i in t.inputs if i.is_param} == {"train", "test"}
    for name in ("svm_loss", "softmax_loss"):
        big = [t for t in nodes[name].tests if t.kind == "range"]
        assert big and any(np.max(np.abs(e.inputs["x"])) >= 1e3 for t in big for e in t.examples)
    conv = {(p["stride"], p["pad"]) for t in nodes["conv"].tests for i in t.inputs if i.is_param for p in [dict(i.param)]}
    assert {(1, 0), (1, 1), (2, 0), (2, 1)} <= conv
    pools = {(p["pool_height"], p["stride"]) for t in nodes["max_pool"].tests
             for i in t.inputs if i.is_param for p in [dict(i.param)]}
    assert any(h == s for h, s in pools) and any(s < h for h, s in pools), "windows that tile and that overlap"
    assert any(t.settings.dims.get("N") == 1 for n in nodes.values() for t in n.tests), "a batch of one"


@pytest.mark.parametrize("name", SHIPPED)
def test_specs_mix_visible_and_after_due_date_tests(name):
    assignment = load(name)
    visibilities = {t.settings.visibility for t in assignment.node_tests} | \
                   {g.settings.visibility for g in assignment.graphs.values()}
    assert "visible" in visibilities
    if assignment.node_tests:
        assert "after_due_date" in visibilities


def test_rnn_functions_follow_the_layer_api_and_test_the_edges():
    """cs231n's names and calling conventions, the LSTM's two outputs, a bool mask, and the
    cases the contract's edges need: one step (T = 1), a batch of one, whole rows masked out."""
    assignment = load("rnn-functions")
    nodes = assignment.nodes
    for name, node in nodes.items():
        want = ("loss", [name]) if name == "temporal_softmax_loss" else \
            ("functions", [f"{name}_forward", f"{name}_backward"])
        assert (node.convention.kind, node.convention.symbols()) == want, name
    assert nodes["lstm_step"].outputs == ("next_h", "next_c")
    dtypes = {i.name: i.dtype for i in nodes["temporal_softmax_loss"].inputs}
    assert dtypes == {"x": "float64", "y": "int64", "mask": "bool"}
    assert [i.dtype for i in nodes["word_embedding"].inputs] == ["int64", "float64"]
    for name in ("rnn", "lstm", "temporal_affine", "temporal_softmax_loss", "word_embedding"):
        assert any(t.settings.dims.get("T") == 1 and t.settings.dims.get("N") == 1 for t in nodes[name].tests), name
    masks = [i.draw.a for t in nodes["temporal_softmax_loss"].tests for i in t.inputs if i.name == "mask"]
    assert min(masks) <= 0.3, "a test should mask out whole sequences often"
    low, high = (lambda d: d if isinstance(d, int) else d[0]), (lambda d: d if isinstance(d, int) else d[1])
    repeats = [t for t in nodes["word_embedding"].tests if high(t.settings.dims["V"]) < low(t.settings.dims["T"])]
    assert repeats, "a test should draw more words per sequence than the vocabulary holds"


# (assignment, graph, inputs, output, gradients): the lecture notes' numbers.
WORKED = [
    ("scalar-graphs", "add-mul", {"x": -2, "y": 5, "z": -4}, -12, {"x": -4, "y": -4, "z": 3}),
    ("scalar-graphs", "sum-times-c", {"a": 7, "b": 3, "c": 2}, 20, {"a": 2, "b": 2, "c": 10}),
    ("scalar-graphs", "cube", {"a": 7, "b": 3, "c": 2}, 68, {"a": 2, "b": 54, "c": 34}),
    ("scalar-graphs", "relu", {"a": 7, "b": 3, "c": 2}, 20, {"a": 2, "b": 2, "c": 10}),
    ("scalar-graphs", "relu", {"a": 7, "b": -3, "c": 2}, 14, {"a": 2, "b": 0, "c": 7}),
    ("scalar-graphs", "dag", {"a": 7, "b": 3}, 270, {"a": 27, "b": 297, "c": 27, "d": 10}),
    ("scalar-graphs", "sigmoid-neuron", {"w0": 2, "x": -1, "w1": 3}, 0.7310585786300049,
     {"w0": -0.19661193324148185, "x": 0.3932238664829637, "w1": 0.19661193324148185}),
    ("scalar-graphs", "sigmoid-gate", {"w0": 2, "x": -1, "w1": 3}, 0.7310585786300049,
     {"w0": -0.19661193324148185, "x": 0.3932238664829637, "w1": 0.19661193324148185}),
    ("backprop-engine", "dag", {"a": 7, "b": 3}, 270, {"a": 27, "b": 297}),
    ("backprop-engine", "add-mul", {"x": -2, "y": 5, "z": -4}, -12, {"x": -4, "y": -4, "z": 3}),
    ("vector-layers", "wx-norm", {"x": [[0.2, 0.4]], "W": [[0.1, 0.5], [-0.3, 0.8]], "b": [0, 0]}, 0.116,
     {"W": [[0.088, 0.176], [0.104, 0.208]], "x": [[-0.112, 0.636]]}),
]


@pytest.mark.parametrize("name, graph, inputs, output, grads", WORKED,
                         ids=[f"{w[0]}:{w[1]}:{i}" for i, w in enumerate(WORKED)])
def test_lecture_example_is_in_the_spec_with_its_exact_values(name, graph, inputs, output, grads):
    assignment = load(name)
    g = assignment.graphs[graph]
    example = [e for e in g.examples if e.inputs == inputs]
    assert example, f"{graph} lacks the lecture's example {inputs}"
    assert example[0].output == pytest.approx(output)
    for key, value in grads.items():
        assert np.allclose(example[0].grads[key], value), key
    typed = {i.name: np.asarray(inputs[i.name], dtype=float) for i in g.inputs}
    result = graph_result(g, assignment.nodes, typed)
    assert np.allclose(result.output, output, rtol=1e-12, atol=1e-12)
    for key, value in grads.items():
        assert np.allclose(result.grads[key], value, rtol=1e-12, atol=1e-12), key


def test_forward_mode_follows_the_contract():
    """Every node has forward and jvp (the jvp convention), and jacobian(f, x) is graded."""
    assignment = load("forward-mode")
    assert all(n.convention.kind == "jvp" for n in assignment.nodes.values())
    assert assignment.jacobian.function == "jacobian" and assignment.jacobian.file == "forward.py"
    assert {t.map for t in assignment.jacobian.tests} == {"lecture", "affine", "layer"}
    assert all(g.forward for g in assignment.graphs.values())


# (graph, inputs, tangents, output, output tangent): the lecture's graphs, forward mode. For
# f = sin(x2) + x1·x2 at (2, 5): ∂f/∂x1 = x2 = 5 and ∂f/∂x2 = cos(x2) + x1.
FORWARD = [
    ("lecture", {"x1": 2, "x2": 5}, {"x1": 1, "x2": 0}, math.sin(5) + 10, 5.0),
    ("lecture", {"x1": 2, "x2": 5}, {"x1": 0, "x2": 1}, math.sin(5) + 10, math.cos(5) + 2),
    ("add-mul", {"x": -2, "y": 5, "z": -4}, {"x": 1}, -12, -4),
    ("add-mul", {"x": -2, "y": 5, "z": -4}, {"z": 1}, -12, 3),
    ("cube", {"a": 7, "b": 3, "c": 2}, {"b": 1}, 68, 54),
    ("relu", {"a": 7, "b": 3, "c": 2}, {"b": 1}, 20, 2),
    ("relu", {"a": 7, "b": -3, "c": 2}, {"b": 1}, 14, 0),
    ("sigmoid-gate", {"w0": 2, "x": -1, "w1": 3}, {"w0": 1}, 0.7310585786300049, -0.19661193324148185),
    ("logistic-loss", {"w": 1, "x": 2}, {"w": 1}, 0.5 - math.log(1 / (1 + math.exp(-2))),
     1 - (1 - 1 / (1 + math.exp(-2))) * 2),
    ("logistic-loss", {"w": 1, "x": 2}, {"x": 1}, 0.5 - math.log(1 / (1 + math.exp(-2))),
     -(1 - 1 / (1 + math.exp(-2)))),
]


@pytest.mark.parametrize("graph, inputs, tangents, output, tangent", FORWARD,
                         ids=[f"{w[0]}:{i}" for i, w in enumerate(FORWARD)])
def test_forward_mode_examples_carry_the_lectures_exact_values(graph, inputs, tangents, output, tangent):
    assignment = load("forward-mode")
    g = assignment.graphs[graph]
    example = [e for e in g.examples if e.inputs == inputs and e.tangents == tangents]
    assert example, f"{graph} lacks the example {inputs} along {tangents}"
    assert example[0].output == pytest.approx(output, rel=1e-12)
    assert example[0].output_tangent == pytest.approx(tangent, rel=1e-12, abs=1e-15)
    typed = {i.name: np.asarray(inputs[i.name], dtype=float) for i in g.inputs}
    result = graph_jvp(g, assignment.nodes, typed, {k: np.asarray(float(v)) for k, v in tangents.items()})
    assert result.output == pytest.approx(output, rel=1e-12)
    assert result.tangent == pytest.approx(tangent, rel=1e-12, abs=1e-15)


def test_staged_example_matches_the_closed_form():
    """f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = -4, differentiated by hand."""
    s = lambda v: 1 / (1 + np.exp(-v))
    x, y = 3.0, -4.0
    num, den = x + s(y), s(x) + (x + y) ** 2
    dfdx = 1 / den - num * (s(x) * (1 - s(x)) + 2 * (x + y)) / den ** 2
    dfdy = s(y) * (1 - s(y)) / den - num * 2 * (x + y) / den ** 2
    for name in ("scalar-graphs", "backprop-engine"):
        assignment = load(name)
        result = graph_result(assignment.graphs["staged"], assignment.nodes, {"x": np.array(x), "y": np.array(y)})
        assert result.output == pytest.approx(num / den, rel=1e-12)
        assert result.grads["x"] == pytest.approx(dfdx, rel=1e-12)
        assert result.grads["y"] == pytest.approx(dfdy, rel=1e-12)


def test_logistic_l2_gradient_matches_the_closed_form():
    """∂L/∂w = w − λ(1 − σ(wᵀx))x for L = ½‖w‖² − λ log σ(wᵀx), λ = 0.1."""
    assignment = load("vector-layers")
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(1, 4)), rng.normal(size=(1, 4))
    result = graph_result(assignment.graphs["logistic-l2"], assignment.nodes,
                          {"x": x, "w": w, "zero": np.zeros(1)})
    sig = 1 / (1 + np.exp(-(w @ x.T).item()))
    np.testing.assert_allclose(result.grads["w"], w - 0.1 * (1 - sig) * x, rtol=1e-12)


def test_mse_plus_l1_graph_adds_both_losses_gradients():
    assignment = load("vector-layers")
    rng = np.random.default_rng(5)
    n, d, h, out = 3, 2, 4, 2
    inputs = {"x": rng.normal(size=(n, d)), "W1": rng.normal(size=(h, d)), "W2": rng.normal(size=(h, h)),
              "W3": rng.normal(size=(out, h)), "z1": np.zeros(h), "z2": np.zeros(h), "z3": np.zeros(out),
              "y": rng.normal(size=(n, out))}
    both = graph_result(assignment.graphs["relu3-mse-l1"], assignment.nodes, inputs)
    mse = graph_result(assignment.graphs["relu3-mse"], assignment.nodes, inputs)
    diff = both.values["yhat"] - inputs["y"]
    np.testing.assert_allclose(both.grads["yhat"], mse.grads["yhat"] + np.sign(diff) / diff.size, rtol=1e-12)


def test_schema_lists_exactly_the_registry_ops():
    assert schema()["$defs"]["op"]["enum"] == sorted(OPS)


def test_schema_ships_as_package_data():
    text = resources.files("grader.spec").joinpath("schema.json").read_text("utf-8")
    assert json.loads(text)["$schema"].endswith("2020-12/schema")
