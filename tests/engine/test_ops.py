"""Every op of the reference engine against central finite differences of its own forward,
on the sample cases of ``op_cases.py``, and the conventions at its kinks.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from grader.engine import OPS, apply, jvp, vjp
from op_cases import CASES


def _case_params():
    for name in sorted(CASES):
        if name not in OPS:
            continue  # reported by test_no_case_for_unknown_op
        for i, (build, params) in enumerate(CASES[name]):
            yield pytest.param(name, i, build, params, id=f"{name}-{i}")


# ---------------------------------------------------------------------------------------------
# helpers


def _rng(name: str, i: int, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{name}/{i}/{salt}".encode()))


def _describe(name, args, params):
    shapes = ", ".join(str(np.shape(a)) for a in args)
    return f"{name}({shapes}; {params})"


def _diff_indices(name, args):
    return [i for i in range(len(args)) if i not in OPS[name].nondiff]


def _forward(name, params):
    full = {**OPS[name].params, **params}
    return lambda *xs: np.asarray(OPS[name].forward(*xs, **full), dtype=np.float64)


def _step(x):
    return 1e-6 * np.maximum(1.0, np.abs(x))


def _numeric_vjp(f, args, i, u):
    """d <u, f(args)> / d args[i] by central differences, one element at a time."""
    x = np.asarray(args[i], dtype=np.float64)
    grad = np.zeros(x.shape)
    steps = _step(x)
    for k in np.ndindex(*x.shape):
        h = steps[k]
        plus, minus = x.copy(), x.copy()
        plus[k] += h
        minus[k] -= h
        fp = f(*[plus if j == i else a for j, a in enumerate(args)])
        fm = f(*[minus if j == i else a for j, a in enumerate(args)])
        grad[k] = np.sum(u * (fp - fm)) / (2.0 * h)
    return grad


def _close(actual, expected, what, rtol=1e-5):
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-6 * scale, err_msg=what)


def _build(name, i, build):
    args = build(_rng(name, i))
    return [np.asarray(a) for a in args]


# ---------------------------------------------------------------------------------------------
# the tests


def test_every_op_has_sample_cases():
    missing = sorted(set(OPS) - {name for name, cases in CASES.items() if cases})
    assert not missing, f"ops without sample cases in tests/engine/op_cases.py: {missing}"


def test_no_case_for_unknown_op():
    unknown = sorted(set(CASES) - set(OPS))
    assert not unknown, f"sample cases for ops the engine does not have: {unknown}"


@pytest.mark.parametrize("name, i, build, params", list(_case_params()))
def test_vjp_matches_finite_differences(name, i, build, params):
    args = _build(name, i, build)
    what = _describe(name, args, params)
    value, pullback = vjp(lambda *xs: apply(name, *xs, **params), *args)
    f = _forward(name, params)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=0, err_msg=f"value of {what}")
    assert np.all(np.isfinite(value)), f"{what}: non-finite value"

    u = _rng(name, i, "cotangent").normal(size=np.shape(value))
    grads = pullback(u)
    assert len(grads) == len(args), f"{what}: {len(grads)} gradients for {len(args)} args"
    for j, (a, g) in enumerate(zip(args, grads)):
        assert np.shape(g) == np.shape(a), (
            f"{what}: gradient of arg {j} has shape {np.shape(g)}, arg has {np.shape(a)}")
    for j in _diff_indices(name, args):
        _close(grads[j], _numeric_vjp(f, args, j, u), f"VJP of {what}, argument {j}")


@pytest.mark.parametrize("name, i, build, params", list(_case_params()))
def test_nondiff_arguments_get_none(name, i, build, params):
    op = OPS[name]
    args = _build(name, i, build)
    full = {**op.params, **params}
    out = op.forward(*args, **full)
    cotangents = op.vjp(np.ones(np.shape(out)), out, *args, **full)
    assert len(cotangents) == len(args), f"{name}: vjp returned {len(cotangents)} cotangents"
    for j in range(len(args)):
        if j in op.nondiff:
            assert cotangents[j] is None, f"{name}: non-differentiable arg {j} got a cotangent"
        else:
            assert cotangents[j] is not None, f"{name}: differentiable arg {j} got None"


@pytest.mark.parametrize("name, i, build, params", list(_case_params()))
def test_jvp_matches_directional_difference(name, i, build, params):
    args = _build(name, i, build)
    what = _describe(name, args, params)
    rng = _rng(name, i, "tangent")
    diff = _diff_indices(name, args)
    tangents = [rng.normal(size=np.shape(a)) if j in diff else np.zeros(np.shape(a))
                for j, a in enumerate(args)]
    value, tangent = jvp(lambda *xs: apply(name, *xs, **params), args, tangents)
    assert np.shape(tangent) == np.shape(value), (
        f"{what}: tangent shape {np.shape(tangent)} != value shape {np.shape(value)}")

    f = _forward(name, params)
    h = 1e-6 * max([1.0] + [float(np.max(np.abs(args[j]), initial=0.0)) for j in diff])
    plus = [a + h * t if j in diff else a for j, (a, t) in enumerate(zip(args, tangents))]
    minus = [a - h * t if j in diff else a for j, (a, t) in enumerate(zip(args, tangents))]
    numeric = (f(*plus) - f(*minus)) / (2.0 * h)
    _close(tangent, numeric, f"JVP of {what}")


@pytest.mark.parametrize("name, i, build, params", list(_case_params()))
def test_jvp_and_vjp_are_transposes(name, i, build, params):
    """u . (J v) == (J^T u) . v, to round-off."""
    args = _build(name, i, build)
    what = _describe(name, args, params)
    rng = _rng(name, i, "transpose")
    diff = _diff_indices(name, args)
    fun = lambda *xs: apply(name, *xs, **params)  # noqa: E731
    value, pullback = vjp(fun, *args)
    u = rng.normal(size=np.shape(value))
    v = [rng.normal(size=np.shape(a)) if j in diff else np.zeros(np.shape(a))
         for j, a in enumerate(args)]
    _, jv = jvp(fun, args, v)
    grads = pullback(u)
    lhs = float(np.sum(u * jv))
    rhs = float(sum(np.sum(grads[j] * v[j]) for j in diff))
    scale = max(1.0, float(np.sum(np.abs(u * jv))))
    assert abs(lhs - rhs) <= 1e-10 * scale, f"{what}: u.(Jv) = {lhs!r} but (J^T u).v = {rhs!r}"


def test_pow_negative_base_integer_exponent():
    """x ** 3 for x < 0: d/dx = 3 x^2 (the exponent's derivative does not exist there)."""
    x = np.array([-2.0, -0.5, 1.5])
    value, pullback = vjp(lambda a: apply("pow", a, 3.0), x)
    np.testing.assert_allclose(value, x ** 3, rtol=1e-15, err_msg="pow(x<0, 3) value")
    np.testing.assert_allclose(pullback(np.ones(3))[0], 3 * x ** 2, rtol=1e-14,
                               err_msg="pow(x<0, 3) gradient")
    _, tangent = jvp(lambda a: apply("pow", a, 3.0), [x], [np.ones(3)])
    np.testing.assert_allclose(tangent, 3 * x ** 2, rtol=1e-14, err_msg="pow(x<0, 3) tangent")


@pytest.mark.parametrize("name", ["max", "min"])
def test_extreme_ties_share_gradient(name):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    if name == "min":
        x = -x
    _, pullback = vjp(lambda a: apply(name, a, axis=1), x)
    expected = np.array([[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(pullback(np.ones(2))[0], expected, rtol=1e-15,
                               err_msg=f"{name} ties over axis 1")


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_elementwise_ties_split_half(name):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0])
    _, pullback = vjp(lambda a, b: apply(name, a, b), x, y)
    gx, gy = pullback(np.ones(3))
    big = name == "maximum"
    np.testing.assert_allclose(gx, [0.5, 1.0 if big else 0.0, 0.0 if big else 1.0],
                               err_msg=f"{name} gradient to x at a tie")
    np.testing.assert_allclose(gy, [0.5, 0.0 if big else 1.0, 1.0 if big else 0.0],
                               err_msg=f"{name} gradient to y at a tie")


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_kink_subgradient_is_zero(name):
    _, pullback = vjp(lambda a: apply(name, a), np.zeros(3))
    np.testing.assert_array_equal(pullback(np.ones(3))[0], np.zeros(3),
                                  err_msg=f"{name} subgradient at 0")
