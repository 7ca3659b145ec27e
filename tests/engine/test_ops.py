"""Every op of the reference engine against central finite differences of its own forward.

``CASES`` maps each op name to sample cases: a builder ``rng -> list of arguments`` and the
op's params. Builders draw inputs away from kinks and domain edges, so a central difference
with a step of about 1e-6 * |x| is accurate to far better than the tolerances used here.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from grader.engine import OPS, apply, jvp, vjp

# ---------------------------------------------------------------------------------------------
# argument builders: each returns a function rng -> np.ndarray


def normal(*shape, scale=1.0):
    return lambda rng: scale * rng.normal(size=shape)


def positive(*shape, lo=0.5, hi=2.0):
    return lambda rng: rng.uniform(lo, hi, size=shape)


def away(*shape, lo=0.3, hi=2.0):
    """Away from 0 (abs, relu, leaky_relu, denominators)."""
    return lambda rng: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, size=shape)


def distinct(*shape):
    """Entries at least ~0.3 apart from each other (no ties for max/min)."""
    def build(rng):
        n = int(np.prod(shape, dtype=np.int64))
        values = rng.permutation(n) * 0.37 - 0.185 * n + rng.uniform(-0.03, 0.03, size=n)
        return values.reshape(shape)
    return build


def grid(*shape, offset):
    """Integer + offset + small noise: grid(..., offset=0.25) and grid(..., offset=0.75) never
    come closer than ~0.4, even after broadcasting (maximum, comparisons, l1)."""
    return lambda rng: (rng.integers(-3, 4, size=shape) + offset
                        + rng.uniform(-0.05, 0.05, size=shape))


def labels(*shape, classes):
    return lambda rng: rng.integers(0, classes, size=shape)


def mask(*shape):
    return lambda rng: rng.integers(0, 2, size=shape).astype(np.float64)


def hinge_scores(*shape, classes):
    """Scores and labels whose margins s_j - s_label + 1 are all >= ~0.4 away from zero."""
    def build(rng):
        y = rng.integers(0, classes, size=shape)
        s = rng.integers(-2, 3, size=shape + (classes,)).astype(np.float64)
        s += rng.uniform(-0.05, 0.05, size=s.shape)
        s += 0.5 * (np.arange(classes) == y[..., np.newaxis])
        return [s, y]
    return build


def case(*builders, **params):
    """A sample case from one builder per argument."""
    return (lambda rng: [b(rng) for b in builders]), params


def joint(builder, **params):
    """A sample case whose arguments are drawn together (the builder returns the list)."""
    return builder, params


# ---------------------------------------------------------------------------------------------
# the table

def _arith(denominator=False):
    second = away if denominator else normal
    return [
        case(normal(), second()),                      # 0-d with 0-d
        case(normal(3, 4), second(3, 4)),
        case(normal(3, 1), second(4)),                 # (3,1) with (4,)
        case(normal(4), second(3, 1)),
        case(normal(), second(2, 3)),                  # scalar with matrix
        case(normal(2, 3), second()),
        case(normal(2, 3, 4), second(4)),              # batch shape
        case(normal(2, 1, 4), second(3, 1)),
    ]


def _extremes(name):
    lo, hi = (0.25, 0.75) if name == "maximum" else (0.75, 0.25)
    return [
        case(grid(offset=lo), grid(offset=hi)),
        case(grid(3, 4, offset=lo), grid(3, 4, offset=hi)),
        case(grid(3, 1, offset=lo), grid(4, offset=hi)),
        case(grid(offset=hi), grid(2, 3, offset=lo)),
        case(grid(2, 3, 4, offset=lo), grid(4, offset=hi)),
    ]


def _comparisons():
    return [
        case(grid(offset=0.25), grid(offset=0.75)),
        case(grid(3, 4, offset=0.25), grid(3, 4, offset=0.75)),
        case(grid(3, 1, offset=0.75), grid(4, offset=0.25)),
        case(grid(offset=0.25), grid(2, 3, offset=0.75)),
    ]


def _unary(build):
    return [case(build()), case(build(5)), case(build(3, 4)), case(build(2, 3, 4))]


def _reductions(build):
    cases = [case(build()), case(build(), keepdims=True), case(build(5), axis=0),
             case(build(5), axis=-1, keepdims=True)]
    for axis in (None, 0, 1, -1, (0, 2), (2, 0), (0, 1, 2)):
        for keepdims in (False, True):
            cases.append(case(build(2, 3, 4), axis=axis, keepdims=keepdims))
    return cases


def _normalizers():
    return [case(normal(5)), case(normal(3, 4)), case(normal(3, 4), axis=0),
            case(normal(3, 4), axis=1), case(normal(2, 3, 4), axis=1),
            case(normal(2, 3, 4), axis=-1), case(normal(4, 3, scale=5.0))]


CASES: dict[str, list] = {
    "add": _arith(),
    "sub": _arith(),
    "mul": _arith(),
    "div": _arith(denominator=True),
    "pow": [
        case(positive(), normal()),
        case(positive(3, 4), normal(3, 4)),
        case(positive(3, 1), normal(4)),               # broadcasting
        case(positive(2, 3), normal()),                # matrix ** scalar
        case(positive(), normal(2, 3)),                # scalar ** matrix
        case(positive(2, 3, 4), lambda rng: np.array(3.0)),  # integer-valued exponent
        case(positive(4), lambda rng: np.array(-0.5)),
    ],
    "maximum": _extremes("maximum"),
    "minimum": _extremes("minimum"),
    "where": [
        case(lambda rng: np.array(1.0), normal(), normal()),
        case(lambda rng: np.array(0.0), normal(2, 3), normal(2, 3)),
        case(mask(3, 4), normal(3, 4), normal(3, 4)),
        case(mask(3, 1), normal(4), normal()),          # condition, x and y all broadcast
        case(mask(4), normal(3, 1), normal(3, 4)),
        case(mask(2, 3, 4), normal(4), normal(3, 1)),
    ],
    "gt": _comparisons(),
    "ge": _comparisons(),
    "lt": _comparisons(),
    "le": _comparisons(),
    "neg": _unary(normal),
    "exp": _unary(normal),
    "log": _unary(positive) + [case(positive(3, lo=10.0, hi=1e3))],
    "sqrt": _unary(positive) + [case(positive(3, lo=10.0, hi=1e3))],
    "abs": _unary(away),
    "sin": _unary(normal),
    "cos": _unary(normal),
    "sigmoid": _unary(normal) + [case(normal(6, scale=8.0))],
    "tanh": _unary(normal) + [case(normal(6, scale=3.0))],
    "relu": _unary(away),
    "leaky_relu": _unary(away) + [case(away(3, 4), alpha=0.2), case(away(), alpha=0.2),
                                  case(away(2, 5), alpha=1.5), case(away(5), alpha=-0.3)],
    "sum": _reductions(normal),
    "mean": _reductions(normal),
    "max": _reductions(distinct),
    "min": _reductions(distinct),
    "logsumexp": _reductions(normal),
    "softmax": _normalizers(),
    "log_softmax": _normalizers(),
    "matmul": [
        case(normal(3, 4), normal(4, 2)),
        case(normal(4), normal(4, 2)),                 # vector @ matrix
        case(normal(3, 4), normal(4)),                 # matrix @ vector
        case(normal(4), normal(4)),                    # vector @ vector -> 0-d
        case(normal(2, 3, 4), normal(4, 5)),           # batch @ matrix
        case(normal(3, 4), normal(2, 4, 5)),           # matrix @ batch
        case(normal(2, 3, 4), normal(2, 4, 5)),
        case(normal(2, 1, 3, 4), normal(3, 4, 2)),     # broadcast batch dims
        case(normal(4), normal(2, 4, 3)),
        case(normal(2, 3, 4), normal(4)),
    ],
    "transpose": [
        case(normal()),
        case(normal(5)),
        case(normal(3, 4)),
        case(normal(2, 3, 4)),
        case(normal(2, 3, 4), axes=(1, 2, 0)),
        case(normal(2, 3, 4), axes=(2, 0, 1)),
        case(normal(2, 3, 4), axes=(-1, 0, 1)),        # negative axes
        case(normal(3, 4), axes=(1, 0)),
    ],
    "reshape": [
        case(normal(2, 3, 4), shape=(6, 4)),
        case(normal(12), shape=(3, -1)),
        case(normal(3, 4), shape=-1),
        case(normal(), shape=(1, 1)),
        case(normal(1, 1)),                            # default shape (): to a 0-d array
        case(normal(2, 3, 4), shape=(4, 3, 2)),
    ],
    "pick": [
        case(normal(4, 5), labels(4, classes=5)),
        case(normal(5), lambda rng: np.array(3)),      # one row: 0-d label, 0-d output
        case(normal(2, 3, 5), labels(2, 3, classes=5)),
        case(normal(6, 2), labels(6, classes=2)),
    ],
    "mse": [
        case(normal(), normal()),
        case(normal(3, 4), normal(3, 4)),
        case(normal(5), normal()),
        case(normal(), normal(3)),                     # pred broadcast up to the target
        case(normal(3, 1), normal(4)),                 # (N,1) pred vs (N,) target style
        case(normal(2, 3, 4), normal(2, 3, 4)),
    ],
    "l1": [
        case(grid(offset=0.25), grid(offset=0.75)),
        case(grid(3, 4, offset=0.25), grid(3, 4, offset=0.75)),
        case(grid(5, offset=0.75), grid(offset=0.25)),
        case(grid(offset=0.25), grid(3, offset=0.75)),
        case(grid(3, 1, offset=0.25), grid(4, offset=0.75)),
    ],
    "softmax_cross_entropy": [
        case(normal(4, 5), labels(4, classes=5)),
        case(normal(5), lambda rng: np.array(2)),
        case(normal(2, 3, 5), labels(2, 3, classes=5)),
        case(normal(3, 2, scale=4.0), labels(3, classes=2)),
    ],
    "hinge": [
        joint(hinge_scores(4, classes=5)),
        joint(hinge_scores(classes=4)),                # one row: 0-d label
        joint(hinge_scores(2, 3, classes=4)),
        joint(hinge_scores(6, classes=3)),
    ],
}


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
    assert not missing, f"ops without sample cases in tests/engine/test_ops.py: {missing}"


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
    assert len(cotangents) == op.arity, f"{name}: vjp returned {len(cotangents)} cotangents"
    for j in range(op.arity):
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
