"""Range tests judge values, not only finiteness: stable textbook code passes at |x| = 1e3,
and each usual way of breaking there (clamping, no max subtracted, log of 0, overflow) fails
with its own diagnosis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.grading.rangecheck import judge_range, tolerance
from grader.spec.reference import node_result
from grader.spec import load_assignment
from grader.spec.model import Tolerance

ROOT = Path(__file__).resolve().parents[2]
TOL = Tolerance(1e-6, 1e-8)

LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 999.0, -3.0]])
LABELS = np.array([1, 0, 0])
X = np.array([[-1000.0, -710.0, -30.0, 0.0], [3.0, 30.0, 710.0, 1000.0]])


@pytest.fixture(scope="module")
def nodes():
    return load_assignment(ROOT / "assignments" / "vector-layers")[0].nodes


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy_grad(p, labels):
    d = p.copy()
    d[np.arange(len(labels)), labels] -= 1.0
    return d / len(labels)


def _stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# each: the loss at LOGITS, LABELS and dlogits for an all-ones upstream gradient
def ce_max_subtracted(z, y):
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(y)), y]), _cross_entropy_grad(np.exp(log_p), y)


def ce_logaddexp(z, y):
    lse = np.logaddexp.reduce(z, axis=1)
    return np.mean(lse - z[np.arange(len(y)), y]), _cross_entropy_grad(np.exp(z - lse[:, None]), y)


def ce_clamped(floor):
    def loss(z, y):
        p = _softmax(z)
        return -np.mean(np.log(np.maximum(p[np.arange(len(y)), y], floor))), _cross_entropy_grad(p, y)
    return loss


def ce_log_of_softmax(z, y):
    p = _softmax(z)
    return -np.mean(np.log(p[np.arange(len(y)), y])), _cross_entropy_grad(p, y)


def ce_no_max(z, y):
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y])), _cross_entropy_grad(p, y)


def judge(node, inputs, out, grads, tol=TOL):
    expected = node_result(node, {}, inputs)  # gradients for an all-ones upstream gradient
    graded = [i for i in node.inputs if i.graded]
    return judge_range(node, node.attributes, graded, inputs, tol, out, grads, expected.output, expected.grads)


@pytest.mark.parametrize("student", [ce_max_subtracted, ce_logaddexp], ids=["max-subtracted", "logaddexp"])
def test_stable_cross_entropy_passes(student, nodes):
    with np.errstate(all="ignore"):
        loss, dz = student(LOGITS, LABELS)
    assert judge(nodes["SoftmaxCrossEntropy"], {"logits": LOGITS, "labels": LABELS}, np.asarray(loss), [dz, None]) is None


@pytest.mark.parametrize("student, wanted", [
    (ce_clamped(1e-10), "the probability is clamped at 1e-10, which caps each row's loss at −log(1e-10) ≈ 23.03"),
    (ce_clamped(1e-15), "clamped at 1e-15"),
    (ce_clamped(1e-7), "clamped at 1e-07"),
    (ce_log_of_softmax, "underflowed to 0"),
    (ce_no_max, "subtract each row's maximum before exp"),
], ids=["clamp-1e-10", "clamp-1e-15", "clamp-1e-7", "log-of-zero", "no-max"])
def test_unstable_cross_entropy_is_named(student, wanted, nodes):
    with np.errstate(all="ignore"):
        loss, dz = student(LOGITS, LABELS)
    problem = judge(nodes["SoftmaxCrossEntropy"], {"logits": LOGITS, "labels": LABELS}, np.asarray(loss), [dz, None])
    assert problem is not None and wanted in problem, problem
    assert "(inputs as large as 1000)" in problem


@pytest.mark.parametrize("name, forward, backward", [
    ("Sigmoid", _stable_sigmoid, lambda s, x: s * (1 - s)),
    ("Sigmoid", lambda x: 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500))), lambda s, x: s * (1 - s)),
    ("Sigmoid", lambda x: (1.0 + np.tanh(x / 2)) / 2, lambda s, x: s - s * s),
    ("Tanh", np.tanh, lambda t, x: 1 - t ** 2),
    ("Tanh", lambda x: 2 * _stable_sigmoid(2 * x) - 1, lambda t, x: 1 - t * t),
])
def test_stable_activations_pass_where_they_saturate(name, forward, backward, nodes):
    out = forward(X)
    assert judge(nodes[name], {"x": X}, out, [backward(out, X)]) is None


@pytest.mark.parametrize("name, forward, backward, wanted", [
    ("Sigmoid", lambda x: np.exp(x) / (1 + np.exp(x)), lambda s, x: s * (1 - s), "e^x / (1 + e^x) is inf/inf = NaN"),
    ("Sigmoid", lambda x: np.clip(_stable_sigmoid(x), 1e-7, 1 - 1e-7), lambda s, x: s * (1 - s),
     "σ is clamped to [1e-07, 1 − 1e-07]"),
    ("Sigmoid", _stable_sigmoid, lambda s, x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
     "use σ(x)·(1 − σ(x)) with the stable σ from forward"),
    ("Tanh", lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), lambda t, x: 1 - t ** 2, "use np.tanh"),
])
def test_unstable_activations_are_named(name, forward, backward, wanted, nodes):
    with np.errstate(all="ignore"):
        out = forward(X)
        grad = backward(out, X)
    problem = judge(nodes[name], {"x": X}, out, [grad])
    assert problem is not None and wanted in problem, problem


def test_tolerance_grows_with_the_inputs_not_past_real_mistakes():
    tight = Tolerance(1e-12, 1e-15)
    assert tolerance(tight, {"x": np.array([0.5])}) == Tolerance(1e-12, 1e-12)
    assert tolerance(tight, {"x": np.array([-1e3, 2.0]), "labels": np.array([7])}) == Tolerance(1e-12, 1e-9)
    assert tolerance(TOL, {"x": np.array([1e3])}) == TOL  # the test's own atol is larger already


def test_rounding_at_the_inputs_scale_passes_and_a_real_error_does_not(nodes):
    """At logits of 1e3 a loss carries rounding errors of a few ulps of 1e3 even when it is
    tiny itself; with a spec's tight tolerance those still pass, a 1e-6 error does not."""
    node = nodes["SoftmaxCrossEntropy"]
    inputs = {"logits": LOGITS[2:], "labels": LABELS[2:]}
    loss, dz = ce_max_subtracted(*inputs.values())
    tight = Tolerance(1e-12, 1e-15)
    assert judge(node, inputs, np.asarray(loss + 3e-13), [dz, None], tight) is None
    assert judge(node, inputs, np.asarray(loss + 1e-6), [dz, None], tight) is not None


def test_a_wrong_shape_at_large_inputs_is_named_as_such(nodes):
    out = _stable_sigmoid(X).T
    problem = judge(nodes["Sigmoid"], {"x": X}, out, [np.zeros(X.shape)])
    assert problem == "the output has shape (4, 2), expected (2, 4): it looks transposed"
