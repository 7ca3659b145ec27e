"""The tape itself: deep graphs, branches, topological order, broadcasting, stability, errors."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from grader.engine import (OPS, Var, apply, backward, forward_tangents, jvp,
                           topological_order, unbroadcast, vjp)

# ---------------------------------------------------------------------------------------------
# depth


DEPTH = 10_000


def _deep_chain(x):
    v = x
    for i in range(DEPTH):
        v = v * 1.0001 if i % 2 == 0 else v + 0.5
    return v


def test_deep_chain_reverse_mode():
    x0 = 0.3
    value, pullback = vjp(_deep_chain, x0)
    slope = 1.0001 ** (DEPTH // 2)
    offset = sum(0.5 * 1.0001 ** k for k in range(DEPTH // 2))
    assert float(value) == pytest.approx(x0 * slope + offset, rel=1e-10), "deep chain value"
    (g,) = pullback(1.0)
    assert float(g) == pytest.approx(slope, rel=1e-10), "deep chain gradient"


def test_deep_chain_forward_mode():
    _, tangent = jvp(_deep_chain, [0.3], [2.0])
    assert float(tangent) == pytest.approx(2.0 * 1.0001 ** (DEPTH // 2), rel=1e-10)


def test_deep_chain_of_unary_ops_and_topological_order():
    x = Var(np.array([0.1, -0.2]))
    v = x
    for _ in range(DEPTH):
        v = apply("sin", v)
    order = topological_order(v)
    assert len(order) == DEPTH + 1, "every Var of the chain once"
    assert order[0] is x and order[-1] is v
    grads = backward(v, np.ones(2))
    assert np.all(np.isfinite(grads[id(x)])) and grads[id(x)].shape == (2,)
    tangents = forward_tangents(v, {id(x): np.ones(2)})
    np.testing.assert_allclose(tangents[id(v)], grads[id(x)], rtol=1e-12,
                               err_msg="forward and reverse mode agree on a deep sin chain")


# ---------------------------------------------------------------------------------------------
# branches


def test_gradients_accumulate_over_three_uses():
    x = Var(np.array([0.5, -1.0, 2.0]))
    a = x * 2.0
    b = apply("exp", x)
    c = apply("sin", x)
    out = apply("sum", a + b * c)
    grads = backward(out)
    xv = x.value
    expected = 2.0 + np.exp(xv) * np.sin(xv) + np.exp(xv) * np.cos(xv)
    np.testing.assert_allclose(grads[id(x)], expected, rtol=1e-14,
                               err_msg="x used by three ops: contributions must add up")
    tangent = forward_tangents(out, {id(x): np.ones(3)})[id(out)]
    assert float(tangent) == pytest.approx(float(np.sum(expected)), rel=1e-14)


def test_same_var_twice_in_one_op():
    value, pullback = vjp(lambda x: x * x * x, 1.7)
    assert float(pullback(1.0)[0]) == pytest.approx(3 * 1.7 ** 2, rel=1e-14), "d(x*x*x)/dx"
    _, pullback = vjp(lambda x: apply("matmul", x, x), np.array([1.0, 2.0, -3.0]))
    np.testing.assert_allclose(pullback(1.0)[0], [2.0, 4.0, -6.0], rtol=1e-15,
                               err_msg="d(x @ x)/dx = 2x")


def test_unused_argument_gets_zeros():
    _, pullback = vjp(lambda x, y: apply("sum", x * 3.0), np.ones(2), np.ones((2, 3)))
    gx, gy = pullback(1.0)
    np.testing.assert_array_equal(gx, [3.0, 3.0])
    np.testing.assert_array_equal(gy, np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------------
# topological order


def _check_order(order, outputs):
    ids = [id(v) for v in order]
    assert len(ids) == len(set(ids)), "a Var appears twice in the topological order"
    reachable, stack = {}, list(outputs)
    while stack:
        v = stack.pop()
        if id(v) not in reachable:
            reachable[id(v)] = v
            stack.extend(v.parents)
    assert set(ids) == set(reachable), "topological order is not exactly the reachable Vars"
    position = {i: k for k, i in enumerate(ids)}
    for v in order:
        for p in v.parents:
            assert position[id(p)] < position[id(v)], f"parent {p} after its child {v}"


def test_topological_order_diamond():
    a = Var(1.3, name="a")
    b = apply("sin", a)
    c = apply("cos", a)
    d = b * c
    e = d + a
    order = topological_order(e)
    _check_order(order, [e])
    assert order[-1] is e and order[0] is a
    assert len(order) == 5
    grads = backward(e)
    expected = np.cos(1.3) ** 2 - np.sin(1.3) ** 2 + 1.0
    assert float(grads[id(a)]) == pytest.approx(expected, rel=1e-14), "diamond gradient"


def test_topological_order_stacked_diamonds_and_several_outputs():
    x = Var(0.7)
    v = x
    for _ in range(50):  # each step a diamond: 2^50 paths, linear work
        v = apply("sin", v) + apply("cos", v)
    w = v * x
    order = topological_order([w, v])
    _check_order(order, [w, v])
    assert order[-1] is w
    assert topological_order([v, v]) == topological_order(v)


def test_topological_order_random_dag():
    rng = np.random.default_rng(7)
    nodes = [Var(rng.normal()) for _ in range(4)]
    for _ in range(200):
        i, j = rng.integers(0, len(nodes), size=2)
        nodes.append(apply(["add", "mul", "sub"][rng.integers(0, 3)], nodes[i], nodes[j]))
    order = topological_order(nodes[-1])
    _check_order(order, [nodes[-1]])
    assert order[-1] is nodes[-1]
    order_all = topological_order(nodes[::-1])
    _check_order(order_all, nodes)
    assert len(order_all) == len(nodes)


# ---------------------------------------------------------------------------------------------
# broadcasting


@pytest.mark.parametrize("shape", [(4,), (1, 4), (3, 1), (), (1, 1)])
def test_bias_cotangent_summed_back(shape):
    rng = np.random.default_rng(11)
    X, b, U = rng.normal(size=(3, 4)), rng.normal(size=shape), rng.normal(size=(3, 4))
    value, pullback = vjp(lambda X, b: X + b, X, b)
    gX, gb = pullback(U)
    assert gb.shape == shape, f"bias {shape}: gradient shape {gb.shape}"
    np.testing.assert_allclose(gX, U, rtol=1e-15, err_msg=f"bias {shape}: dX")
    padded = (1,) * (2 - len(shape)) + shape
    expected = np.sum(U, axis=tuple(i for i in range(2) if padded[i] == 1))
    np.testing.assert_allclose(gb, np.reshape(expected, shape), rtol=1e-14,
                               err_msg=f"bias {shape}: db")


def test_linear_layer_bias_gradient():
    rng = np.random.default_rng(3)
    N, D, K = 5, 3, 2
    X, W, b = rng.normal(size=(N, D)), rng.normal(size=(D, K)), rng.normal(size=(K,))
    _, pullback = vjp(lambda X, W, b: apply("sum", (X @ W + b) ** 2.0), X, W, b)
    gX, gW, gb = pullback(1.0)
    out = X @ W + b
    np.testing.assert_allclose(gb, 2.0 * out.sum(axis=0), rtol=1e-13, err_msg="db")
    np.testing.assert_allclose(gW, 2.0 * X.T @ out, rtol=1e-13, err_msg="dW")
    np.testing.assert_allclose(gX, 2.0 * out @ W.T, rtol=1e-13, err_msg="dX")


def test_unbroadcast():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(g, (4,)), g.sum(axis=(0, 1)))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(unbroadcast(g, ()), g.sum())
    np.testing.assert_array_equal(unbroadcast(g, (2, 1, 4)), g.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(unbroadcast(g, (2, 3, 4)), g)


# ---------------------------------------------------------------------------------------------
# numerical stability at |x| = 1e3


BIG = np.array([[1e3, -1e3, 0.5], [-1e3, -1e3, -1e3 + 1.0], [1e3, 1e3, -2.0]])
LABELS = np.array([1, 2, 0])


@pytest.mark.parametrize("name, args, params", [
    ("sigmoid", [BIG], {}),
    ("tanh", [BIG], {}),
    ("softmax", [BIG], {}),
    ("softmax", [BIG], {"axis": 0}),
    ("log_softmax", [BIG], {}),
    ("log_softmax", [BIG], {"axis": 0}),
    ("logsumexp", [BIG], {}),
    ("logsumexp", [BIG], {"axis": 1}),
    ("logsumexp", [BIG], {"axis": 0, "keepdims": True}),
    ("softmax_cross_entropy", [BIG, LABELS], {}),
    ("softmax_cross_entropy", [-BIG, LABELS], {}),
])
def test_stable_at_large_inputs(name, args, params):
    rng = np.random.default_rng(5)
    fun = lambda *xs: apply(name, *xs, **params)  # noqa: E731
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, pullback = vjp(fun, *args)
        grads = pullback(rng.normal(size=np.shape(value)))
        _, tangent = jvp(fun, args, [rng.normal(size=np.shape(args[0]))] + [None] * (len(args) - 1))
    assert np.all(np.isfinite(value)), f"{name}{params}: non-finite value {value}"
    assert np.all(np.isfinite(grads[0])), f"{name}{params}: non-finite gradient {grads[0]}"
    assert np.all(np.isfinite(tangent)), f"{name}{params}: non-finite tangent {tangent}"


def test_large_input_values_are_right():
    x = np.array([1e3, -1e3])
    np.testing.assert_array_equal(apply("sigmoid", x).value, [1.0, 0.0])
    np.testing.assert_array_equal(apply("tanh", x).value, [1.0, -1.0])
    np.testing.assert_allclose(apply("softmax", x).value, [1.0, 0.0], rtol=0, atol=1e-300)
    np.testing.assert_allclose(apply("log_softmax", x).value, [0.0, -2e3], rtol=1e-15)
    assert float(apply("logsumexp", np.array([1e3, 1e3])).value) == pytest.approx(
        1e3 + np.log(2.0), rel=1e-15)
    assert float(apply("logsumexp", np.array([-1e3, -1e3])).value) == pytest.approx(
        -1e3 + np.log(2.0), rel=1e-15)
    # the label sits on the small logit: loss 2000, gradient softmax - onehot = (1, -1)
    value, pullback = vjp(lambda z: apply("softmax_cross_entropy", z, np.array([1])),
                          np.array([[1e3, -1e3]]))
    assert float(value) == pytest.approx(2e3, rel=1e-15)
    np.testing.assert_allclose(pullback(1.0)[0], [[1.0, -1.0]], rtol=1e-15)
    _, pullback = vjp(lambda x: apply("sigmoid", x), x)
    np.testing.assert_array_equal(pullback(np.ones(2))[0], [0.0, 0.0])


def _exact(f, x):
    """``f`` of every entry of ``x`` in 60-digit decimal arithmetic, as float64."""
    with localcontext() as ctx:
        ctx.prec = 60
        return np.vectorize(lambda v: float(f(Decimal(float(v)))), otypes=[float])(x)


def _exact_sigmoid(d):
    return 1 / (1 + (-d).exp())


SATURATED = np.array([-700.0, -40.0, -30.0, -20.0, -3.0, 0.0, 3.0, 20.0, 30.0, 40.0, 300.0, 700.0])


def test_saturated_derivatives_keep_their_digits():
    """Where sigmoid and tanh saturate their derivatives are tiny, not 0: e.g. σ'(30) ≈ 9.4e-14,
    which out·(1 − out) rounds to 9.348e-14 and σ'(40) to 0. The reference is the ground truth
    there too (range tests compare gradients at |x| = 1e3)."""
    exact_sigmoid = _exact(lambda d: _exact_sigmoid(d) * _exact_sigmoid(-d), SATURATED)
    exact_tanh = _exact(lambda d: 4 / (d.exp() + (-d).exp()) ** 2, SATURATED)
    for name, exact in (("sigmoid", exact_sigmoid), ("tanh", exact_tanh)):
        _, pullback = vjp(lambda x: apply(name, x), SATURATED)
        np.testing.assert_allclose(pullback(np.ones_like(SATURATED))[0], exact, rtol=1e-13, atol=0,
                                   err_msg=name)
        _, tangent = jvp(lambda x: apply(name, x), [SATURATED], [np.ones_like(SATURATED)])
        np.testing.assert_allclose(tangent, exact, rtol=1e-13, atol=0, err_msg=name)


def test_softmax_family_is_right_at_large_inputs():
    """Values and gradients at logits of ±1e3 agree with 60-digit arithmetic (not only finite)."""
    rng = np.random.default_rng(12)
    z = np.round(rng.uniform(-1000, 1000, size=(4, 5)), 3)
    z[0, :2] = 1000.0  # a tie at the top
    labels = np.array([0, 3, 1, 4])
    g = rng.normal(size=z.shape)
    with localcontext() as ctx:
        ctx.prec = 60
        rows = [[Decimal(float(v)) for v in row] for row in z]
        lse = [max(r) + sum((v - max(r)).exp() for v in r).ln() for r in rows]
        soft = np.array([[float((v - l).exp()) for v in r] for r, l in zip(rows, lse)])
        log_soft = np.array([[float(v - l) for v in r] for r, l in zip(rows, lse)])
        loss = float(sum(l - r[y] for r, l, y in zip(rows, lse, labels)) / len(rows))
    exact = {"logsumexp": (np.array([float(v) for v in lse]), soft),
             "softmax_cross_entropy": (loss, (soft - np.eye(5)[labels]) / len(rows))}
    value, pullback = vjp(lambda x: apply("logsumexp", x, axis=1), z)
    np.testing.assert_allclose(value, exact["logsumexp"][0], rtol=1e-15)
    np.testing.assert_allclose(pullback(np.ones(4))[0], soft, rtol=1e-10, atol=1e-300)
    value, pullback = vjp(lambda x: apply("softmax_cross_entropy", x, labels), z)
    assert float(value) == pytest.approx(loss, rel=1e-15)
    np.testing.assert_allclose(pullback(1.0)[0], exact["softmax_cross_entropy"][1], rtol=1e-10, atol=1e-300)
    value, pullback = vjp(lambda x: apply("log_softmax", x), z)
    np.testing.assert_allclose(value, log_soft, rtol=1e-15, atol=1e-12)
    expected = g - soft * g.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(pullback(g)[0], expected, rtol=1e-10, atol=1e-12)
    value, pullback = vjp(lambda x: apply("softmax", x), z)
    np.testing.assert_allclose(value, soft, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(pullback(g)[0], soft * (g - (g * soft).sum(axis=1, keepdims=True)),
                               rtol=1e-10, atol=1e-300)


# ---------------------------------------------------------------------------------------------
# errors


def test_apply_rejects_unknown_params():
    with pytest.raises(TypeError, match="no parameter"):
        apply("add", 1.0, 2.0, axis=0)
    with pytest.raises(TypeError):
        apply("sum", np.ones(3), axes=0)
    with pytest.raises(TypeError):
        apply("leaky_relu", np.ones(3), slope=0.1)


@pytest.mark.parametrize("name", sorted(OPS))
def test_apply_rejects_wrong_arity(name):
    op = OPS[name]
    if not op.variadic:
        with pytest.raises(TypeError, match="argument"):
            apply(name, *([np.ones(3)] * (op.arity + 1)))
    with pytest.raises(TypeError, match="argument"):
        apply(name, *([np.ones(3)] * (op.arity - 1)))


def test_variadic_ops_take_any_number_of_tensors():
    parts = [Var(np.full(2, float(k))) for k in range(5)]
    out = apply("concat", *parts)
    np.testing.assert_array_equal(out.value, np.repeat(np.arange(5.0), 2))
    grads = backward(out, np.arange(10.0))
    for k, part in enumerate(parts):
        np.testing.assert_array_equal(grads[id(part)], [2.0 * k, 2.0 * k + 1])
    assert apply("stack", *parts[:3], axis=1).shape == (2, 3)


def test_backward_rejects_seed_of_wrong_shape():
    out = apply("mul", Var(np.ones((2, 3))), 2.0)
    with pytest.raises(ValueError, match="shape"):
        backward(out, np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        backward(out, np.ones((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        backward(apply("sum", out), np.ones(1))
    grads = backward(out, np.full((2, 3), 2.0))  # the right shape works
    assert grads[id(out.parents[0])].shape == (2, 3)


def test_held_ops_pass_no_gradient_back():
    """Batch norm with its mean held constant: only the direct path of x is left, which is
    what a backward that forgets the mean's path computes (see grading.replays)."""
    x = Var(np.array([[1.0, 2.0], [3.0, 7.0], [-1.0, 0.5]]))
    centered = x - apply("mean", x, axis=0)
    out = apply("sum", centered * np.array([[1.0, -2.0]]))
    full, held = backward(out), backward(out, held=("mean",))
    np.testing.assert_allclose(full[id(x)], np.zeros((3, 2)), atol=1e-15)
    np.testing.assert_allclose(held[id(x)], np.tile([1.0, -2.0], (3, 1)))
    assert backward(out, held=("sum",)).keys() == {id(out)}, "the output's own op held: nothing flows"
