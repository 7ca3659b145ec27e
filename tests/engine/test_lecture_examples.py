"""The worked examples of the lecture notes, built with the engine: exact up to round-off."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.engine import Var, apply, backward, jvp, vjp

EXACT = dict(rel=1e-12, abs=1e-14)


def _grads(fun, *args):
    value, pullback = vjp(fun, *args)
    return float(value), [float(g) for g in pullback(1.0)]


def _forward_grads(fun, *args):
    """The same gradient one forward pass per input (basis tangents)."""
    out = []
    for i in range(len(args)):
        tangents = [1.0 if j == i else 0.0 for j in range(len(args))]
        out.append(float(jvp(fun, [float(a) for a in args], tangents)[1]))
    return out


def _check(fun, args, value, grads, what):
    got_value, got_grads = _grads(fun, *args)
    assert got_value == pytest.approx(value, **EXACT), f"{what}: value"
    assert got_grads == pytest.approx(grads, **EXACT), f"{what}: reverse-mode gradients"
    assert _forward_grads(fun, *args) == pytest.approx(grads, **EXACT), f"{what}: forward mode"


def test_sum_times_product():
    _check(lambda x, y, z: (x + y) * z, (-2.0, 5.0, -4.0), -12.0, [-4.0, -4.0, 3.0],
           "(x+y)*z at -2, 5, -4")


def test_sum_times_product_with_apply():
    _check(lambda a, b, c: apply("mul", apply("add", a, b), c), (7.0, 3.0, 2.0), 20.0,
           [2.0, 2.0, 10.0], "(a+b)*c at 7, 3, 2")


def test_cube():
    _check(lambda a, b, c: (a + b ** 3) * c, (7.0, 3.0, 2.0), 68.0, [2.0, 54.0, 34.0],
           "(a+b**3)*c at 7, 3, 2")


@pytest.mark.parametrize("b, value, grads", [(3.0, 20.0, [2.0, 2.0, 10.0]),
                                             (-3.0, 14.0, [2.0, 0.0, 7.0])])
def test_relu_gate(b, value, grads):
    _check(lambda a, b, c: (a + apply("relu", b)) * c, (7.0, b, 2.0), value, grads,
           f"(a+relu(b))*c at b={b}")


def test_branch_and_intermediate_gradients():
    a, b = Var(7.0), Var(3.0)
    c = a + b
    d = b ** 3
    e = c * d
    assert float(e.value) == pytest.approx(270.0, **EXACT)
    grads = backward(e)
    expected = {"de/de": (e, 1.0), "de/dc": (c, 27.0), "de/dd": (d, 10.0),
                "de/da": (a, 27.0), "de/db": (b, 297.0)}
    for what, (var, want) in expected.items():
        assert float(grads[id(var)]) == pytest.approx(want, **EXACT), what
    _check(lambda a, b: (a + b) * b ** 3, (7.0, 3.0), 270.0, [27.0, 297.0], "(a+b)*b**3")


SIGMOID_1 = 0.7310585786300049
DSIG = 0.19661193324148185  # sigmoid'(1) = sigmoid(1) * (1 - sigmoid(1))
# the lecture's neuron sigmoid(w0*x0 + w1*x1 + w2) at w = (2, -3, -3), x = (-1, -2): the
# pre-activation is -2 + 6 - 3 = 1; arguments in the order w0, x0, w1, x1, w2
NEURON_ARGS = (2.0, -1.0, -3.0, -2.0, -3.0)
NEURON_GRADS = [-0.19661193324148185, 0.3932238664829637, -2.0 * DSIG, -3.0 * DSIG,
                0.19661193324148185]


def test_sigmoid_neuron_composed():
    def neuron(w0, x0, w1, x1, w2):
        return 1.0 / (1.0 + apply("exp", -(w0 * x0 + w1 * x1 + w2)))
    _check(neuron, NEURON_ARGS, SIGMOID_1, NEURON_GRADS, "neuron from mul/add/exp/div")


def test_sigmoid_neuron_op():
    _check(lambda w0, x0, w1, x1, w2: apply("sigmoid", w0 * x0 + w1 * x1 + w2), NEURON_ARGS,
           SIGMOID_1, NEURON_GRADS, "neuron via the sigmoid op")


def test_sigmoid_neuron_gates():
    """The gate-by-gate values of the lecture's circuit, read from backward()."""
    w0, x0, w1, x1, w2 = (Var(v) for v in NEURON_ARGS)
    z = w0 * x0 + w1 * x1 + w2
    e = apply("exp", -z)
    den = 1.0 + e
    out = 1.0 / den
    grads = backward(out)
    assert float(z.value) == pytest.approx(1.0, **EXACT)
    assert float(den.value) == pytest.approx(1.0 + math.exp(-1.0), **EXACT)
    assert float(grads[id(den)]) == pytest.approx(-1.0 / (1.0 + math.exp(-1.0)) ** 2, **EXACT)
    assert float(grads[id(e)]) == pytest.approx(-1.0 / (1.0 + math.exp(-1.0)) ** 2, **EXACT)
    assert float(grads[id(z)]) == pytest.approx(DSIG, **EXACT)


def test_staged_function():
    def sig(t):
        return 1.0 / (1.0 + math.exp(-t))

    x, y = 3.0, -4.0
    num = x + sig(y)
    den = sig(x) + (x + y) ** 2
    value = num / den
    dnum_dx, dnum_dy = 1.0, sig(y) * (1.0 - sig(y))
    dden_dx = sig(x) * (1.0 - sig(x)) + 2.0 * (x + y)
    dden_dy = 2.0 * (x + y)
    dfdx = (dnum_dx * den - num * dden_dx) / den ** 2
    dfdy = (dnum_dy * den - num * dden_dy) / den ** 2

    def f(x, y):
        return (x + apply("sigmoid", y)) / (apply("sigmoid", x) + (x + y) ** 2)

    _check(f, (x, y), value, [dfdx, dfdy], "(x+sigmoid(y))/(sigmoid(x)+(x+y)**2) at 3, -4")


def test_squared_norm_of_matrix_vector_product():
    W = np.array([[0.1, 0.5], [-0.3, 0.8]])
    x = np.array([0.2, 0.4])

    def f(W, x):
        q = W @ x
        return apply("sum", q * q)

    value, pullback = vjp(f, W, x)
    gW, gx = pullback(1.0)
    q = W @ x
    np.testing.assert_allclose(q, [0.22, 0.26], rtol=1e-14, err_msg="q = W x")
    assert float(value) == pytest.approx(0.116, **EXACT), "||W x||^2"
    np.testing.assert_allclose(gW, [[0.088, 0.176], [0.104, 0.208]], rtol=1e-13,
                               err_msg="df/dW")
    np.testing.assert_allclose(gW, 2.0 * np.outer(q, x), rtol=1e-14, err_msg="df/dW = 2 q x^T")
    np.testing.assert_allclose(gx, [-0.112, 0.636], rtol=1e-13, err_msg="df/dx")
    np.testing.assert_allclose(gx, 2.0 * W.T @ q, rtol=1e-14, err_msg="df/dx = 2 W^T q")

    rng = np.random.default_rng(1234)
    tW, tx = rng.normal(size=(2, 2)), rng.normal(size=2)
    _, tangent = jvp(f, [W, x], [tW, tx])
    assert float(tangent) == pytest.approx(float(np.sum(gW * tW) + gx @ tx), **EXACT), "JVP"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_regression(seed):
    rng = np.random.default_rng(seed)
    w, x, lam = rng.normal(size=5), rng.normal(size=5), 0.7

    def loss(w, x):
        return 0.5 * apply("sum", w * w) - lam * apply("log", apply("sigmoid", apply("sum", w * x)))

    value, pullback = vjp(loss, w, x)
    s = 1.0 / (1.0 + math.exp(-float(w @ x)))
    assert float(value) == pytest.approx(0.5 * float(w @ w) - lam * math.log(s), **EXACT)
    gw, gx = pullback(1.0)
    np.testing.assert_allclose(gw, w - lam * (1.0 - s) * x, rtol=1e-12, atol=1e-14,
                               err_msg="dL/dw")
    np.testing.assert_allclose(gx, -lam * (1.0 - s) * w, rtol=1e-12, atol=1e-14,
                               err_msg="dL/dx")


@pytest.mark.parametrize("x1, x2", [(2.0, 5.0), (-1.5, 0.25), (0.0, -3.0)])
def test_sin_plus_product(x1, x2):
    _check(lambda x1, x2: apply("sin", x2) + x1 * x2, (x1, x2), math.sin(x2) + x1 * x2,
           [x2, math.cos(x2) + x1], f"sin(x2)+x1*x2 at {x1}, {x2}")
