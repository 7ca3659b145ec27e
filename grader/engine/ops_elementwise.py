"""Element-wise ops: arithmetic, transcendental functions, activations, comparisons.

Binary ops broadcast like numpy; the engine sums their cotangents back to each input's shape.
Where an op has a kink (relu at 0, ties in maximum, clip at its bounds) it returns the
subgradient torch uses (autograd's too, but for clip, which it stops at the bounds), so the
engines agree everywhere they are defined; such an op also names its branches, the two sides
of the comparison inside it.
"""

import numpy as np

from grader.engine.registry import Branch, defop, elementwise


@defop("add", 2)
class Add:
    """x + y"""
    def forward(x, y): return x + y
    def vjp(g, out, x, y): return g, g
    def jvp(ts, out, x, y): return ts[0] + ts[1]


@defop("sub", 2)
class Sub:
    """x - y"""
    def forward(x, y): return x - y
    def vjp(g, out, x, y): return g, -g
    def jvp(ts, out, x, y): return ts[0] - ts[1]


@defop("mul", 2)
class Mul:
    """x * y"""
    def forward(x, y): return x * y
    def vjp(g, out, x, y): return g * y, g * x
    def jvp(ts, out, x, y): return ts[0] * y + x * ts[1]


@defop("div", 2)
class Div:
    """x / y"""
    def forward(x, y): return x / y
    def vjp(g, out, x, y): return g / y, -g * out / y
    def jvp(ts, out, x, y): return (ts[0] - out * ts[1]) / y


def _log_base(x):
    """log(x) where x > 0 and 0 elsewhere: d(x ** p)/dp where it exists, without warnings."""
    positive = x > 0
    return np.where(positive, np.log(np.where(positive, x, 1.0)), 0.0)


def _power_slope(x, p):
    """d(x ** p)/dx = p · x^(p−1), and 0 where p = 0 (x ** 0 is the constant 1, even at x = 0,
    where the formula gives 0 · inf: torch's convention)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p == 0, 0.0, p * np.power(x, p - 1))


@defop("pow", 2)
class Pow:
    """x ** p (x > 0 unless p is an integer)"""
    def forward(x, p): return np.power(x, p)
    def vjp(g, out, x, p): return g * _power_slope(x, p), g * out * _log_base(x)
    def jvp(ts, out, x, p): return ts[0] * _power_slope(x, p) + ts[1] * out * _log_base(x)


@defop("maximum", 2)
class Maximum:
    """max(x, y) element-wise; a tie sends half of the gradient to each side"""
    def forward(x, y): return np.maximum(x, y)
    def vjp(g, out, x, y): return g * _share(x, y), g * _share(y, x)
    def jvp(ts, out, x, y): return ts[0] * _share(x, y) + ts[1] * _share(y, x)
    def branches(names, x, y): return [Branch.compared(names, ">", "<=", np.greater(x, y))]


@defop("minimum", 2)
class Minimum:
    """min(x, y) element-wise; a tie sends half of the gradient to each side"""
    def forward(x, y): return np.minimum(x, y)
    def vjp(g, out, x, y): return g * _share(y, x), g * _share(x, y)
    def jvp(ts, out, x, y): return ts[0] * _share(y, x) + ts[1] * _share(x, y)
    def branches(names, x, y): return [Branch.compared(names, "<", ">=", np.less(x, y))]


def _positive(names, x, **params) -> list[Branch]:
    """The branch of an op that switches where its operand passes 0 (relu, leaky_relu, abs)."""
    return [Branch(np.asarray(x) > 0, f"where {names[0]} > 0", f"where {names[0]} <= 0")]


def _share(a, b):
    """The share of the gradient of max(a, b) that goes to a: 1, 0, or 1/2 at a tie."""
    return (a > b) + 0.5 * (a == b)


@defop("where", 3, nondiff=(0,))
class Where:
    """x where cond is true (non-zero), else y"""
    def forward(cond, x, y): return np.where(cond, x, y)
    def vjp(g, out, cond, x, y):
        mask = np.asarray(cond, dtype=bool)
        return None, np.where(mask, g, 0.0), np.where(mask, 0.0, g)
    def jvp(ts, out, cond, x, y): return np.where(cond, ts[1], ts[2])


def _comparison(name: str, compare, holds: str, fails: str) -> None:
    """Register a comparison: a 0/1 float mask with no gradient, for ``where`` and masks; its
    branch is itself (``holds``, ``fails``: the operator and its negation, as written)."""
    defop(name, 2, nondiff=(0, 1))(type(name, (), {
        "__doc__": f"1.0 where x {compare.__name__} y, else 0.0 (no gradient)",
        "forward": staticmethod(lambda x, y: compare(x, y).astype(np.float64)),
        "vjp": staticmethod(lambda g, out, x, y: (None, None)),
        "jvp": staticmethod(lambda ts, out, x, y: np.zeros_like(out)),
        "branches": staticmethod(lambda names, x, y: [Branch.compared(names, holds, fails, compare(x, y))]),
    }))


_comparison("gt", np.greater, ">", "<=")
_comparison("ge", np.greater_equal, ">=", "<")
_comparison("lt", np.less, "<", ">=")
_comparison("le", np.less_equal, "<=", ">")


def _sigmoid(x):
    """1 / (1 + e^-x), finite for any x: e^-|x| never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_derivative(out, x):
    """σ(x)·σ(−x) = e^−|x| / (1 + e^−|x|)²: accurate where σ saturates, where out·(1 − out)
    loses every digit (it is 0 for x > 37, not e^−x)."""
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


def _tanh_derivative(out, x):
    """1 − tanh(x)² = 4·e^−2|x| / (1 + e^−2|x|)²: accurate where tanh saturates."""
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def _safe_sqrt_derivative(out, x):
    with np.errstate(divide="ignore"):
        return 0.5 / out


elementwise("neg", np.negative, lambda out, x: -np.ones_like(x), doc="-x")
elementwise("exp", np.exp, lambda out, x: out, doc="e ** x")
elementwise("log", np.log, lambda out, x: 1.0 / x, doc="natural log (x > 0)")
elementwise("sqrt", np.sqrt, _safe_sqrt_derivative, doc="square root (x >= 0)")
elementwise("abs", np.abs, lambda out, x: np.sign(x), doc="|x|; gradient 0 at 0", branches=_positive)
elementwise("sin", np.sin, lambda out, x: np.cos(x), doc="sine")
elementwise("cos", np.cos, lambda out, x: -np.sin(x), doc="cosine")
elementwise("sigmoid", _sigmoid, _sigmoid_derivative, doc="1 / (1 + e ** -x)")
elementwise("tanh", np.tanh, _tanh_derivative, doc="hyperbolic tangent")
elementwise("relu", lambda x: np.maximum(x, 0.0), lambda out, x: (x > 0).astype(np.float64),
            doc="max(0, x); gradient 0 at 0", branches=_positive)
elementwise("log1p", np.log1p, lambda out, x: 1.0 / (1.0 + x), doc="log(1 + x), accurate for small x (x > -1)")
elementwise("expm1", np.expm1, lambda out, x: out + 1.0, doc="e ** x - 1, accurate for small x")
elementwise("leaky_relu",
            lambda x, alpha=0.01: np.where(x > 0, x, alpha * x),
            lambda out, x, alpha=0.01: np.where(x > 0, 1.0, alpha),
            params={"alpha": 0.01}, doc="x where x > 0, else alpha * x", branches=_positive)


def _within(x, lo, hi):
    """1 where lo <= x <= hi (bounds included, None for no bound), else 0."""
    inside = np.ones(np.shape(x), dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return inside.astype(np.float64)


@defop("clip", 1, params={"lo": None, "hi": None})
class Clip:
    """min(max(x, lo), hi) with number bounds (None: unbounded); the gradient passes where
    lo <= x <= hi, bounds included (torch's clamp), and is 0 outside"""
    def forward(x, lo=None, hi=None):
        out = np.array(x, dtype=np.float64) if lo is None else np.maximum(x, lo)
        return out if hi is None else np.minimum(out, hi)
    def vjp(g, out, x, lo=None, hi=None): return (g * _within(x, lo, hi),)
    def jvp(ts, out, x, lo=None, hi=None): return ts[0] * _within(x, lo, hi)
    def branches(names, x, lo=None, hi=None):
        inside = [f"{names[0]} {op} {bound:g}" for op, bound in ((">=", lo), ("<=", hi)) if bound is not None]
        outside = [f"{names[0]} {op} {bound:g}" for op, bound in (("<", lo), (">", hi)) if bound is not None]
        return [Branch(_within(x, lo, hi) > 0, "where " + " and ".join(inside), "where " + " or ".join(outside))] \
            if inside else []
