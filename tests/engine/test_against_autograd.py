"""The engine agrees with HIPS autograd on random compositions of its ops.

Hypothesis builds typed expression trees (each node knows the shape class it returns), the
same tree is evaluated with the engine and with autograd twins of every op, and values,
reverse-mode gradients w.r.t. every leaf and forward-mode tangents are compared. Leaf values
are continuous random draws, so kinks (relu, abs, ties in max) are hit only when the tree's
structure forces them, and there the engine's subgradients match autograd's conventions.
"""

from __future__ import annotations

import warnings

import autograd.numpy as anp
import numpy as np
from autograd import grad, make_jvp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.engine import apply, jvp, vjp


def ag_logsumexp(a, axis=None, keepdims=False):
    """logsumexp in autograd.numpy alone (autograd.scipy would need scipy installed)."""
    m = anp.max(a, axis=axis, keepdims=True)
    out = anp.log(anp.sum(anp.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else anp.squeeze(out, axis=axis)


# shape classes and the leaves of each
SHAPES = {"M": (3, 4), "R": (3,), "V": (4,), "S": (), "Q": (4, 4)}
LEAVES = {"M": ["X", "Y"], "R": ["r"], "V": ["v", "w"], "S": ["s"], "Q": ["Q"]}
LEAF_NAMES = [name for cls in SHAPES for name in LEAVES[cls]]
LEAF_SHAPES = {name: SHAPES[cls] for cls in SHAPES for name in LEAVES[cls]}
LABELS = np.array([2, 0, 3])  # class labels of the 3 rows of an M, in [0, 4)
ROWS = np.array([3, 1, 3, 0])  # rows of a Q for take, one of them twice: a Q again

# ---------------------------------------------------------------------------------------------
# autograd twins of the engine's ops


def _ag_hinge(s, y):
    n = s.shape[0]
    margins = s - s[np.arange(n), y][:, None] + 1.0
    margins = anp.where(margins > 0, margins, 0.0) * (1.0 - np.eye(s.shape[-1])[y])
    return anp.sum(margins) / n


TWINS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: anp.power(a, b),
    "maximum": anp.maximum,
    "minimum": anp.minimum,
    "where": lambda c, a, b: anp.where(c != 0, a, b),
    "gt": lambda a, b: anp.greater(a, b).astype(np.float64),
    "neg": lambda a: -a,
    "exp": anp.exp,
    "log": anp.log,
    "sqrt": anp.sqrt,
    "abs": anp.abs,
    "sin": anp.sin,
    "cos": anp.cos,
    "tanh": anp.tanh,
    "sigmoid": lambda a: 0.5 * (anp.tanh(0.5 * a) + 1.0),
    "relu": lambda a: anp.where(a > 0, a, 0.0),
    "leaky_relu": lambda a, alpha=0.01: anp.where(a > 0, a, alpha * a),
    "sum": lambda a, axis=None, keepdims=False: anp.sum(a, axis=axis, keepdims=keepdims),
    "mean": lambda a, axis=None, keepdims=False: anp.mean(a, axis=axis, keepdims=keepdims),
    "max": lambda a, axis=None, keepdims=False: anp.max(a, axis=axis, keepdims=keepdims),
    "min": lambda a, axis=None, keepdims=False: anp.min(a, axis=axis, keepdims=keepdims),
    "logsumexp": lambda a, axis=None, keepdims=False: ag_logsumexp(a, axis=axis, keepdims=keepdims),
    "softmax": lambda a, axis=-1: anp.exp(a - ag_logsumexp(a, axis=axis, keepdims=True)),
    "log_softmax": lambda a, axis=-1: a - ag_logsumexp(a, axis=axis, keepdims=True),
    "matmul": anp.matmul,
    "transpose": lambda a, axes=None: anp.transpose(a, axes),
    "reshape": lambda a, shape=(): anp.reshape(a, shape),
    "pick": lambda a, y: a[np.arange(a.shape[0]), y],
    "mse": lambda p, t: anp.mean((p - t) ** 2),
    "l1": lambda p, t: anp.mean(anp.abs(p - t)),
    "softmax_cross_entropy": lambda z, y: anp.mean(
        ag_logsumexp(z, axis=-1) - z[np.arange(z.shape[0]), y]),
    "hinge": _ag_hinge,
    "log1p": anp.log1p,
    "expm1": anp.expm1,
    "clip": lambda a, lo=None, hi=None: anp.clip(a, lo, hi),
    "var": lambda a, axis=None, keepdims=False: anp.mean(
        (a - anp.mean(a, axis=axis, keepdims=True)) ** 2, axis=axis, keepdims=keepdims),
    "getitem": lambda a, index=(): a[index],
    "take": lambda w, i: w[i],
    "concat": lambda *xs, axis=0: anp.concatenate(xs, axis=axis),
    "stack": lambda *xs, axis=0: anp.stack(xs, axis=axis),
    "broadcast_to": lambda a, shape=(): a * np.ones(shape),
}


def engine_op(name, *args, **params):
    return apply(name, *args, **params)


def autograd_op(name, *args, **params):
    return TWINS[name](*args, **params)


# ---------------------------------------------------------------------------------------------
# expression trees: ("leaf", name) | ("labels",) | ("rows",) | ("op", name, params, children)
#                   | ("pos", how, child)   a positive expression
#                   | ("center", reduce, axis, child)   child - reduce(child, axis, keepdims=True)
#                   | ("where", a, b, x, y)   where(gt(a, b), x, y)


def evaluate(node, env, op):
    kind = node[0]
    if kind == "leaf":
        return env[node[1]]
    if kind == "labels":
        return LABELS
    if kind == "rows":
        return ROWS
    if kind == "op":
        _, name, params, children = node
        return op(name, *[evaluate(c, env, op) for c in children], **dict(params))
    if kind == "pos":
        v = evaluate(node[2], env, op)
        if node[1] == "square":
            return op("add", 1.0, op("mul", v, v))  # v used twice: gradients accumulate
        return op("exp", op("tanh", v))
    if kind == "center":
        _, reduce, axis, child = node
        v = evaluate(child, env, op)
        return op("sub", v, op(reduce, v, axis=axis, keepdims=True))
    if kind == "where":
        a, b, x, y = (evaluate(c, env, op) for c in node[1:])
        return op("where", op("gt", a, b), x, y)
    raise AssertionError(f"unknown node {node!r}")


def show(node) -> str:
    kind = node[0]
    if kind == "leaf":
        return node[1]
    if kind in ("labels", "rows"):
        return kind
    if kind == "op":
        _, name, params, children = node
        inner = [show(c) for c in children] + [f"{k}={v!r}" for k, v in params]
        return f"{name}({', '.join(inner)})"
    if kind == "pos":
        return f"pos_{node[1]}({show(node[2])})"
    if kind == "center":
        return f"center_{node[1]}({show(node[3])}, axis={node[2]})"
    return f"where(gt({show(node[1])}, {show(node[2])}), {show(node[3])}, {show(node[4])})"


UNARY = ["sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu", "abs", "neg",
         "exp", "log", "sqrt", "log1p", "expm1", "clip"]
BINARY = ["add", "sub", "mul", "maximum", "minimum", "div", "pow"]
REDUCE = ["logsumexp", "sum", "mean", "max", "min", "var"]
CLIP_BOUNDS = [(("lo", -0.5), ("hi", 0.5)), (("lo", -0.2),), (("hi", 0.3),)]
S_ = slice(None)
# ways of selecting entries (getitem, take, concat, stack, broadcast_to) that give each class
SELECT = {
    "M": [("getitem", "Q", (slice(1, None), S_)), ("getitem", "Q", (slice(-1, 0, -1),)),
          ("take", "Q"), ("concat", "M"), ("stack", "R"), ("broadcast_to", "V")],
    "R": [("getitem", "M", (S_, 0)), ("getitem", "M", (Ellipsis, -1)), ("getitem", "V", (slice(None, -1),))],
    "V": [("getitem", "M", (-1,)), ("getitem", "Q", (S_, 2)), ("getitem", "Q", (slice(None, None, -1), 1))],
    "S": [("getitem", "V", (1,)), ("getitem", "M", (2, -1)), ("broadcast_to", "S")],
    "Q": [("stack", "V"), ("take", "Q")],
}
# operand classes of a binary element-wise op producing each class (broadcasting included)
PAIRS = {"M": [("M", "M"), ("M", "V"), ("V", "M"), ("M", "S"), ("S", "M"), ("M", "R1")],
         "R": [("R", "R"), ("R", "S"), ("S", "R")],
         "V": [("V", "V"), ("V", "S"), ("S", "V")],
         "S": [("S", "S")],
         "Q": [("Q", "Q"), ("Q", "V"), ("V", "Q"), ("Q", "S")]}
RULES = {
    "M": ["unary", "binary", "where", "center", "normalize", "matmul", "reshape_transpose", "select"],
    "R": ["unary", "binary", "reduce", "pick", "matmul", "select"],
    "V": ["unary", "binary", "reduce", "normalize", "matmul", "select"],
    "S": ["unary", "binary", "reduce", "loss", "matmul", "select"],
    "Q": ["unary", "binary", "matmul", "transpose", "select"],
}


@st.composite
def expressions(draw, cls: str, depth: int, root: bool = False):
    if cls == "R1":  # an R reshaped or indexed to (3, 1), to broadcast against an M
        if draw(st.booleans()):
            return ("op", "getitem", (("index", (S_, None)),), [draw(expressions("R", depth))])
        return ("op", "reshape", (("shape", (3, 1)),), [draw(expressions("R", depth))])
    if depth <= 0 or (not root and draw(st.integers(0, 4)) == 0):
        return ("leaf", draw(st.sampled_from(LEAVES[cls])))
    sub = depth - 1
    rule = draw(st.sampled_from(RULES[cls]))

    def child(c=cls):
        return draw(expressions(c, sub))

    if rule == "unary":
        name = draw(st.sampled_from(UNARY))
        if name == "exp":  # bounded input
            return ("op", "exp", (), [("op", "tanh", (), [child()])])
        if name in ("log", "sqrt", "log1p"):
            return ("op", name, (), [("pos", draw(st.sampled_from(["square", "exp"])), child())])
        if name == "expm1":
            return ("op", "expm1", (), [("op", "tanh", (), [child()])])
        if name == "clip":
            return ("op", "clip", draw(st.sampled_from(CLIP_BOUNDS)), [child()])
        params = (("alpha", draw(st.sampled_from([0.01, 0.3]))),) if name == "leaky_relu" else ()
        return ("op", name, params, [child()])
    if rule == "binary":
        name = draw(st.sampled_from(BINARY))
        left, right = draw(st.sampled_from(PAIRS[cls]))
        a, b = draw(expressions(left, sub)), draw(expressions(right, sub))
        if name == "div":
            b = ("pos", draw(st.sampled_from(["square", "exp"])), b)
        if name == "pow":
            a = ("pos", draw(st.sampled_from(["square", "exp"])), a)
            b = ("op", "tanh", (), [b])
        return ("op", name, (), [a, b])
    if rule == "where":
        return ("where", child(), child(), child(), child())
    if rule == "center":
        return ("center", draw(st.sampled_from(REDUCE)), draw(st.sampled_from([0, 1, -1])), child())
    if rule == "normalize":
        name = draw(st.sampled_from(["softmax", "log_softmax"]))
        axis = draw(st.sampled_from([0, -1])) if cls == "M" else -1
        return ("op", name, (("axis", axis),), [child()])
    if rule == "reduce":
        name = draw(st.sampled_from(REDUCE))
        source, axis = draw(st.sampled_from({
            "R": [("M", 1), ("M", -1)],
            "V": [("M", 0), ("Q", 0), ("Q", 1), ("Q", (0,))],
            "S": [("M", None), ("M", (0, 1)), ("R", 0), ("V", None), ("V", -1), ("Q", None)],
        }[cls]))
        return ("op", name, (("axis", axis),), [draw(expressions(source, sub))])
    if rule == "pick":
        return ("op", "pick", (), [draw(expressions("M", sub)), ("labels",)])
    if rule == "loss":
        name = draw(st.sampled_from(["softmax_cross_entropy", "hinge", "mse", "l1"]))
        if name in ("mse", "l1"):
            c = draw(st.sampled_from(["M", "V", "S"]))
            return ("op", name, (), [draw(expressions(c, sub)), draw(expressions(c, sub))])
        return ("op", name, (), [draw(expressions("M", sub)), ("labels",)])
    if rule == "matmul":
        left, right = draw(st.sampled_from({
            "M": [("M", "Q")],
            "R": [("M", "V")],
            "V": [("V", "Q"), ("Q", "V")],
            "S": [("V", "V")],
            "Q": [("Q", "Q"), ("MT", "M")],
        }[cls]))
        a = (("op", "transpose", (), [draw(expressions("M", sub))]) if left == "MT"
             else draw(expressions(left, sub)))
        return ("op", "matmul", (), [a, draw(expressions(right, sub))])
    if rule == "reshape_transpose":
        inner = ("op", "reshape", (("shape", (4, 3)),), [child()])
        return ("op", "transpose", (), [inner])
    if rule == "transpose":
        return ("op", "transpose", (("axes", (1, 0)),), [child()])
    if rule == "select":
        return _select(draw, cls, sub)
    raise AssertionError(rule)


def _select(draw, cls: str, depth: int):
    """An expression of class ``cls`` made by selecting or joining entries of others."""
    name, source, *index = draw(st.sampled_from(SELECT[cls]))
    if name == "getitem":
        return ("op", "getitem", (("index", index[0]),), [draw(expressions(source, depth))])
    if name == "take":
        return ("op", "take", (), [draw(expressions("Q", depth)), ("labels",) if cls == "M" else ("rows",)])
    if name == "broadcast_to":
        return ("op", "broadcast_to", (("shape", SHAPES[cls]),), [draw(expressions(source, depth))])
    a, b = draw(expressions(source, depth)), draw(expressions(source, depth))
    if name == "concat":  # columns of two M's: the first two of one, the last two of another
        left = ("op", "getitem", (("index", (S_, slice(None, 2))),), [a])
        right = ("op", "getitem", (("index", (S_, slice(2, None))),), [b])
        return ("op", "concat", (("axis", draw(st.sampled_from([1, -1]))),), [left, right])
    return ("op", "stack", (("axis", -1 if cls == "M" else 0),), [a, b, a, b])


@st.composite
def problems(draw):
    cls = draw(st.sampled_from(list(SHAPES)))
    tree = draw(expressions(cls, draw(st.integers(1, 5)), root=True))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    return cls, tree, seed


def _leaves(seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=LEAF_SHAPES[name]) for name in LEAF_NAMES], rng


def _engine_fun(tree):
    return lambda *xs: evaluate(tree, dict(zip(LEAF_NAMES, xs)), engine_op)


def _autograd_fun(tree):
    return lambda *xs: evaluate(tree, dict(zip(LEAF_NAMES, xs)), autograd_op)


def _close(actual, expected, what, rtol=1e-7):
    expected = np.asarray(expected, dtype=np.float64)
    assert np.shape(actual) == expected.shape, f"{what}: shape {np.shape(actual)} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-10 * scale, err_msg=what)


def _quiet():
    """autograd warns when the output does not depend on some leaf; that is expected here."""
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore", UserWarning)
    return ctx


def _op(name, *children, **params):
    return ("op", name, tuple(params.items()), list(children))


X, Y, V, W, S = (("leaf", n) for n in ("X", "Y", "v", "w", "s"))
# hand-written compositions, so the rarer ops are always in the mix whatever hypothesis draws
EXAMPLES = [
    ("S", _op("softmax_cross_entropy", _op("mul", X, _op("sigmoid", Y)), ("labels",)), 1),
    ("S", _op("hinge", _op("add", _op("leaky_relu", X, alpha=0.3), V), ("labels",)), 2),
    ("S", _op("l1", _op("logsumexp", _op("sin", X), axis=0), _op("abs", W)), 3),
    ("M", ("center", "logsumexp", 1, _op("matmul", _op("log_softmax", X, axis=0), ("leaf", "Q"))), 4),
    ("S", _op("matmul", _op("maximum", V, S), _op("div", W, ("pos", "square", V))), 5),
    ("R", _op("pick", _op("softmax", _op("pow", ("pos", "exp", X), _op("tanh", Y))), ("labels",)), 6),
    ("S", _op("mse", _op("mean", X, axis=(0, 1)), _op("max", _op("cos", V), axis=-1)), 7),
    ("M", _op("concat", _op("getitem", _op("log1p", ("pos", "square", X)), index=(S_, slice(None, 2))),
              _op("getitem", _op("clip", Y, lo=-0.5, hi=0.5), index=(S_, slice(2, None))), axis=1), 8),
    ("Q", _op("stack", _op("expm1", _op("tanh", V)), _op("var", X, axis=0), V, W), 9),
    ("M", _op("take", _op("broadcast_to", _op("getitem", V, index=(slice(None, None, -1),)), shape=(4, 4)),
              ("labels",)), 10),
    ("S", _op("sum", _op("take", ("leaf", "Q"), ("rows",))), 11),
]


def _examples(test):
    for problem in EXAMPLES:
        test = example(problem)(test)
    return test


@settings(max_examples=400)
@_examples
@given(problems())
def test_values_and_gradients_match_autograd(problem):
    cls, tree, seed = problem
    what = f"[{cls}] {show(tree)}"
    leaves, rng = _leaves(seed)
    weights = rng.normal(size=SHAPES[cls])  # contract to a scalar with fixed random weights

    engine_fun, ag_fun = _engine_fun(tree), _autograd_fun(tree)
    value, pullback = vjp(lambda *xs: apply("sum", apply("mul", engine_fun(*xs), weights)), *leaves)
    expected_value = np.sum(ag_fun(*leaves) * weights)
    _close(value, expected_value, f"value of {what}")

    ctx = _quiet()
    try:
        expected = grad(lambda xs: anp.sum(ag_fun(*xs) * weights))(tuple(leaves))
    finally:
        ctx.__exit__(None, None, None)
    grads = pullback(1.0)
    for name, g, e in zip(LEAF_NAMES, grads, expected):
        _close(g, e, f"d/d{name} of {what}")


@settings(max_examples=200)
@_examples
@given(problems())
def test_jvp_matches_autograd_forward_mode(problem):
    cls, tree, seed = problem
    what = f"[{cls}] {show(tree)}"
    leaves, rng = _leaves(seed)
    tangents = [rng.normal(size=np.shape(x)) for x in leaves]

    engine_fun, ag_fun = _engine_fun(tree), _autograd_fun(tree)
    value, tangent = jvp(engine_fun, leaves, tangents)
    ctx = _quiet()
    try:
        expected_value, expected_tangent = make_jvp(
            lambda eps: ag_fun(*[x + eps * t for x, t in zip(leaves, tangents)]))(0.0)(1.0)
    finally:
        ctx.__exit__(None, None, None)
    _close(value, expected_value, f"value of {what}")
    _close(tangent, expected_tangent, f"JVP of {what}")

    # and forward mode is the transpose of the engine's own reverse mode
    u = rng.normal(size=np.shape(value))
    grads = vjp(engine_fun, *leaves)[1](u)
    lhs = float(np.sum(u * tangent))
    rhs = float(sum(np.sum(g * t) for g, t in zip(grads, tangents)))
    scale = max(1.0, float(np.sum(np.abs(u * tangent))),
                float(sum(np.sum(np.abs(g * t)) for g, t in zip(grads, tangents))))
    assert abs(lhs - rhs) <= 1e-9 * scale, f"{what}: u.(Jv) = {lhs!r}, (J^T u).v = {rhs!r}"
