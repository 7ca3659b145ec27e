"""Edge cases where the engine once crashed, gave NaN, or silently computed something else:
reductions over the one "axis" of a 0-d input, logsumexp over an empty axis, d(x ** 0)/dx
at 0, class labels out of range or of the wrong shape, and read-only gradients. Torch's
answers are the yardstick (checked against torch itself where it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.engine import OPS, apply, backward, jvp, vjp, Var

REDUCTIONS = ["sum", "mean", "max", "min", "logsumexp", "var", "std"]
ZERO_D_AXES = [0, -1, (0,), (-1,), (), None]


def _value_grad_tangent(name, x, **params):
    value, pullback = vjp(lambda a: apply(name, a, **params), x)
    _, tangent = jvp(lambda a: apply(name, a, **params), [x], [np.array(0.75)])
    return value, pullback(np.array(2.0))[0], tangent


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", ZERO_D_AXES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_a_reduction_of_a_0d_input_over_axis_0_or_minus_1_is_the_input_itself(name, axis, keepdims):
    """torch reduces a 0-d tensor over dim 0, -1, (0,) or () to itself (var and std: to 0)."""
    x = np.array(1.5)
    value, grad, tangent = _value_grad_tangent(name, x, axis=axis, keepdims=keepdims)
    spread = name in ("var", "std")
    assert value.shape == () and value == (0.0 if spread else 1.5)
    assert grad.shape == () and grad == (0.0 if spread else 2.0)
    assert np.shape(tangent) == () and tangent == (0.0 if spread else 0.75)


@pytest.mark.parametrize("name, expected", [("softmax", 1.0), ("log_softmax", 0.0)])
@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_of_a_0d_input_is_one(name, expected, axis):
    value, grad, tangent = _value_grad_tangent(name, np.array(-3.0), axis=axis)
    assert (value, grad, tangent) == (expected, 0.0, 0.0)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_an_axis_a_0d_input_does_not_have_is_refused(name):
    with pytest.raises(ValueError, match="out of range"):
        apply(name, np.array(1.0), axis=1)
    with pytest.raises(ValueError, match="out of range"):
        apply(name, np.ones(3), axis=-2)


@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_over_an_empty_axis_is_minus_infinity(keepdims):
    x = np.zeros((2, 0))
    value, pullback = vjp(lambda a: apply("logsumexp", a, axis=1, keepdims=keepdims), x)
    assert value.shape == ((2, 1) if keepdims else (2,))
    assert np.all(value == -np.inf)
    assert pullback(np.ones(value.shape))[0].shape == (2, 0)
    _, tangent = jvp(lambda a: apply("logsumexp", a, axis=1, keepdims=keepdims), [x], [x])
    np.testing.assert_array_equal(tangent, np.zeros(value.shape))


def test_x_to_the_power_0_has_derivative_0_at_x_0():
    """p · x^(p−1) is 0 · 0^−1 = NaN there; x ** 0 is the constant 1, so torch says 0."""
    x = np.array([0.0, 2.0, -1.5])
    value, pullback = vjp(lambda a, p: apply("pow", a, p), x, np.array(0.0))
    np.testing.assert_array_equal(value, [1.0, 1.0, 1.0])
    gx, gp = pullback(np.ones(3))
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    assert np.isfinite(gp)
    _, tangent = jvp(lambda a: apply("pow", a, 0.0), [x], [np.ones(3)])
    np.testing.assert_array_equal(tangent, [0.0, 0.0, 0.0])


def test_x_to_a_positive_power_at_0_keeps_its_usual_derivatives():
    for p, dx in [(1.0, 1.0), (2.0, 0.0), (3.0, 0.0)]:
        _, pullback = vjp(lambda a, q: apply("pow", a, q), np.array(0.0), np.array(p))
        assert pullback(1.0) == (dx, 0.0)


LOSSES = ["pick", "softmax_cross_entropy", "hinge"]


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("labels, message", [
    (np.array([0, -1, 2]), "outside [0, 4)"),
    (np.array([0, 4, 2]), "outside [0, 4)"),
    (np.array([1]), "shape (3,)"),
    (np.array([1, 2, 3, 0]), "shape (3,)"),
    (np.array([[1], [2], [3]]), "shape (3,)"),
    (np.array(1), "shape (3,)"),
    (np.array([0.0, 1.0, 2.0]), "integers"),
], ids=["negative", "too-large", "one-label", "too-many", "column", "0-d", "floats"])
def test_labels_out_of_range_or_of_the_wrong_shape_are_refused(name, labels, message):
    scores = np.arange(12.0).reshape(3, 4)
    with pytest.raises(ValueError) as info:
        apply(name, scores, labels)
    assert message in str(info.value)
    assert "label" in str(info.value)


@pytest.mark.parametrize("name", LOSSES)
def test_labels_of_the_right_shape_and_range_still_work(name):
    scores = np.arange(24.0).reshape(2, 3, 4) / 7.0
    apply(name, scores, np.array([[0, 3, 1], [2, 2, 0]]))
    apply(name, scores[0, 0], np.array(3))


def _writable_and_own(arrays, *others):
    for a in arrays:
        assert isinstance(a, np.ndarray) and a.flags.writeable, "read-only gradient"
        a += 1.0  # must not fail, nor change anything else
    for o in others:
        assert not any(np.shares_memory(a, o) for a in arrays)
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[:i])


@pytest.mark.parametrize("fun, shapes", [
    (lambda a: apply("sum", a), [(3, 2)]),
    (lambda a: apply("mean", a, axis=0), [(3, 2)]),
    (lambda a, b: a + b, [(3, 2), (2,)]),
    (lambda a, b: a + b, [(2,), (2,)]),
    (lambda a: apply("max", a, axis=1, keepdims=True), [(3, 2)]),
    (lambda a, b: a * 2.0, [(2,), (3,)]),  # b unused: zeros
])
def test_vjp_and_jvp_return_writable_arrays_of_their_own(fun, shapes):
    rng = np.random.default_rng(0)
    args = [rng.normal(size=s) for s in shapes]
    value, pullback = vjp(fun, *args)
    cotangent = np.ones(np.shape(value))
    before = [a.copy() for a in args]
    grads = pullback(cotangent)
    _writable_and_own(list(grads), cotangent, *args)
    np.testing.assert_array_equal(cotangent, np.ones(np.shape(value)))
    tangents = [np.ones(s) for s in shapes]
    _, tangent = jvp(fun, args, tangents)
    _writable_and_own([tangent], *tangents, *args)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)


def test_backward_gives_writable_gradients():
    x = Var(np.ones((3, 2)))
    y = Var(np.ones(2))
    grads = backward(apply("sum", x + y))
    for g in (grads[id(x)], grads[id(y)]):
        assert g.flags.writeable
        g *= 2.0


# ---------------------------------------------------------------------------------------------
# the same against torch itself


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("axis", [0, -1, (0,), ()], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_0d_reductions_agree_with_torch(name, axis):
    torch = _torch()
    fun = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin,
           "logsumexp": torch.logsumexp,
           "var": lambda t, dim: torch.var(t, dim=dim, correction=0),
           "std": lambda t, dim: torch.std(t, dim=dim, correction=0)}[name]
    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    out = fun(t, dim=axis)
    (grad,) = torch.autograd.grad(2.0 * out, t)
    value, mine, _ = _value_grad_tangent(name, np.array(1.5), axis=axis)
    assert value == out.item() and mine == grad.item()


def test_edge_cases_agree_with_torch():
    torch = _torch()
    x = torch.zeros(2, 0, dtype=torch.float64)
    assert torch.logsumexp(x, dim=1).tolist() == apply("logsumexp", np.zeros((2, 0)), axis=1).value.tolist()
    base = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(torch.pow(base, 0.0).sum(), base)
    _, pullback = vjp(lambda a: apply("pow", a, 0.0), np.array([0.0, 2.0]))
    np.testing.assert_array_equal(pullback(np.ones(2))[0], grad.numpy())
    with pytest.raises(Exception):  # torch refuses labels out of range too
        torch.nn.functional.cross_entropy(torch.zeros(3, 4, dtype=torch.float64), torch.tensor([0, 4, 1]))


def test_every_op_listed_here_exists():
    assert set(REDUCTIONS + LOSSES) <= set(OPS)
