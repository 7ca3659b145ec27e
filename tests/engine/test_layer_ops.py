"""The ops of real courses' layers against independent implementations: HIPS autograd always
(convolution and pooling written as naive loops over output pixels, nothing like the engine's
windows), torch when it is installed. Each case compares the value, the VJP for a random
cotangent and the JVP along a random tangent.

Inputs are continuous random draws, so no case sits on a kink (clip's bounds, ties in a
pooling window, a standard deviation of 0): what the engine does there is in
``test_edge_cases.py`` and ``test_kink_conventions.py``.
"""

from __future__ import annotations

import warnings
import zlib

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import make_jvp, make_vjp

from grader.engine import apply, jvp, vjp


def _pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _windows_loop(x, kernel, stride, reduce):
    """reduce(patch) for each output pixel, patch (N, C, kh, kw): one Python step per pixel."""
    (kh, kw), (sh, sw) = kernel, stride
    rows = []
    for i in range(1 + (x.shape[2] - kh) // sh):
        cols = [reduce(x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw])
                for j in range(1 + (x.shape[3] - kw) // sw)]
        rows.append(anp.stack(cols, axis=-1))
    return anp.stack(rows, axis=-2)


def ag_conv2d(x, w, stride=1, pad=0):
    (ph, pw) = _pair(pad)
    xp = anp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), "constant")
    return _windows_loop(xp, w.shape[2:], _pair(stride),
                         lambda patch: anp.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])))


def ag_pool(reduce):
    def pool(x, size=2, stride=None):
        kernel = _pair(size)
        return _windows_loop(x, kernel, kernel if stride is None else _pair(stride),
                             lambda patch: reduce(patch, axis=(2, 3)))
    return pool


def ag_var(x, axis, keepdims):
    """From its definition: autograd's own var has no forward mode over a tuple of axes."""
    return anp.mean((x - anp.mean(x, axis=axis, keepdims=True)) ** 2, axis=axis, keepdims=keepdims)


AUTOGRAD = {
    "conv2d": ag_conv2d,
    "max_pool2d": ag_pool(anp.max),
    "avg_pool2d": ag_pool(anp.mean),
    "var": lambda x, axis=None, keepdims=False: ag_var(x, axis, keepdims),
    "std": lambda x, axis=None, keepdims=False: anp.sqrt(ag_var(x, axis, keepdims)),
    "take": lambda w, idx: w[idx],
    "concat": lambda *xs, axis=0: anp.concatenate(xs, axis=axis),
    "stack": lambda *xs, axis=0: anp.stack(xs, axis=axis),
    "clip": lambda x, lo=None, hi=None: anp.clip(x, lo, hi),
    "log1p": anp.log1p,
    "expm1": anp.expm1,
    "broadcast_to": lambda x, shape=(): x * np.ones(shape),
    "getitem": lambda x, index=(): x[index],
}


def _torch_twins(torch):
    F = torch.nn.functional
    return {
        "conv2d": lambda x, w, stride=1, pad=0: F.conv2d(x, w, stride=stride, padding=pad),
        "max_pool2d": lambda x, size=2, stride=None: F.max_pool2d(x, size, stride=stride),
        "avg_pool2d": lambda x, size=2, stride=None: F.avg_pool2d(x, size, stride=stride),
        "var": lambda x, axis=None, keepdims=False: torch.var(x, dim=axis, keepdim=keepdims, correction=0),
        "std": lambda x, axis=None, keepdims=False: torch.std(x, dim=axis, keepdim=keepdims, correction=0),
        "take": lambda w, idx: w[idx],
        "concat": lambda *xs, axis=0: torch.cat(xs, dim=axis),
        "stack": lambda *xs, axis=0: torch.stack(xs, dim=axis),
        "clip": lambda x, lo=None, hi=None: torch.clamp(x, lo, hi),
        "log1p": torch.log1p,
        "expm1": torch.expm1,
        "broadcast_to": lambda x, shape=(): torch.broadcast_to(x, shape),
        "getitem": lambda x, index=(): x[index],
    }


def n(*shape):
    return ("normal", shape)


def idx(*values):
    return ("index", np.array(values, dtype=np.int64))


S = slice
CASES = [
    ("conv2d", [n(2, 3, 5, 5), n(4, 3, 3, 3)], {}),
    ("conv2d", [n(2, 3, 5, 5), n(4, 3, 3, 3)], {"stride": 2, "pad": 1}),
    ("conv2d", [n(1, 2, 6, 5), n(3, 2, 2, 3)], {"stride": (2, 1), "pad": (0, 2)}),
    ("conv2d", [n(1, 2, 7, 6), n(3, 2, 2, 2)], {"stride": 3}),
    ("conv2d", [n(1, 1, 4, 3), n(1, 1, 1, 1)], {}),
    ("max_pool2d", [n(2, 3, 6, 6)], {}),
    ("max_pool2d", [n(1, 2, 5, 5)], {"size": 3, "stride": 1}),
    ("max_pool2d", [n(2, 1, 4, 7)], {"size": (2, 3), "stride": (1, 2)}),
    ("max_pool2d", [n(1, 2, 5, 7)], {"size": 2}),
    ("avg_pool2d", [n(2, 3, 6, 6)], {}),
    ("avg_pool2d", [n(1, 2, 5, 5)], {"size": 3, "stride": 1}),
    ("avg_pool2d", [n(2, 1, 4, 7)], {"size": (2, 3), "stride": (1, 2)}),
    ("avg_pool2d", [n(1, 1, 3, 3)], {"size": 1}),
    ("var", [n(3, 4)], {}),
    ("var", [n(3, 4)], {"axis": -1, "keepdims": True}),
    ("var", [n(2, 3, 4)], {"axis": (0, 2)}),
    ("var", [n(2, 3, 4)], {"axis": (-1, 0), "keepdims": True}),
    ("var", [n(3, 1)], {"axis": 1}),
    ("var", [n()], {}),
    ("std", [n(3, 4)], {}),
    ("std", [n(3, 4)], {"axis": 0, "keepdims": True}),
    ("std", [n(2, 3, 4)], {"axis": (-1, 1)}),
    ("std", [n(5, 1, 2)], {"axis": -1}),
    ("take", [n(5, 3), idx([1, 1, 4], [0, 2, 1])], {}),
    ("take", [n(6), idx(5, 0, 5, 2)], {}),
    ("take", [n(4, 2, 3), idx(3)], {}),
    ("take", [n(1, 2), idx(0, 0)], {}),
    ("concat", [n(2, 3), n(2, 1), n(2, 2)], {"axis": 1}),
    ("concat", [n(2, 3, 2), n(2, 1, 2)], {"axis": -2}),
    ("concat", [n(1, 4), n(3, 4)], {}),
    ("stack", [n(2, 3), n(2, 3), n(2, 3)], {"axis": -1}),
    ("stack", [n(), n()], {}),
    ("stack", [n(1, 2), n(1, 2)], {"axis": 1}),
    ("clip", [n(3, 4)], {"lo": -0.5, "hi": 0.5}),
    ("clip", [n(6)], {"lo": -0.2}),
    ("clip", [n(2, 3)], {"hi": 0.3}),
    ("clip", [n()], {"lo": 0.1, "hi": 0.2}),
    ("log1p", [("positive", (3, 4))], {}),
    ("log1p", [("positive", ())], {}),
    ("expm1", [n(3, 4)], {}),
    ("expm1", [n()], {}),
    ("broadcast_to", [n(3, 1)], {"shape": (2, 3, 4)}),
    ("broadcast_to", [n()], {"shape": (2, 2)}),
    ("broadcast_to", [n(1, 4)], {"shape": (3, 4)}),
    ("getitem", [n(4, 5)], {"index": (S(None), S(1, 3))}),
    ("getitem", [n(3)], {"index": (None, S(None), None, None)}),
    ("getitem", [n(2, 3, 4)], {"index": (Ellipsis, 0)}),
    ("getitem", [n(2, 3, 4)], {"index": (-1, S(None), S(1, -1))}),
    ("getitem", [n(2, 3, 4)], {"index": (1, 2, 3)}),
    ("getitem", [n(1, 3)], {"index": (0,)}),
    ("getitem", [n()], {"index": (None,)}),
    ("getitem", [n(4, 5)], {"index": (S(None, None, -1), S(1, None, 2))}),  # autograd only:
    ("getitem", [n(2, 3, 4)], {"index": (S(None), -2, None, S(-1, 0, -2))}),  # torch has no step < 0
]
TORCH_CANNOT = {"negative steps": lambda name, params: name == "getitem" and any(
    isinstance(i, slice) and (i.step or 1) < 0 for i in params["index"])}


def _args(k, specs):
    rng = np.random.default_rng(zlib.crc32(f"layer-ops/{k}".encode()))
    out = []
    for kind, what in specs:
        if kind == "normal":
            out.append(rng.normal(size=what))
        elif kind == "positive":
            out.append(rng.uniform(0.1, 3.0, size=what))
        else:
            out.append(what)
    return out, rng


def _differentiable(args):
    return [i for i, a in enumerate(args) if a.dtype.kind == "f"]


def _close(actual, expected, what):
    expected = np.asarray(expected, dtype=np.float64)
    assert np.shape(actual) == expected.shape, f"{what}: shape {np.shape(actual)} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12, err_msg=what)


def _engine(name, args, params, rng):
    """The engine's value, VJP for a random cotangent, JVP for random tangents (and those)."""
    fun = lambda *xs: apply(name, *xs, **params)  # noqa: E731
    value, pullback = vjp(fun, *args)
    cotangent = rng.normal(size=np.shape(value))
    diff = _differentiable(args)
    tangents = [rng.normal(size=np.shape(a)) if i in diff else np.zeros(np.shape(a)) for i, a in enumerate(args)]
    return value, pullback(cotangent), jvp(fun, args, tangents)[1], cotangent, tangents


def _ids():
    return [f"{k}-{name}-{params}" for k, (name, _, params) in enumerate(CASES)]


@pytest.mark.parametrize("k", range(len(CASES)), ids=_ids())
def test_agrees_with_autograd(k):
    name, specs, params = CASES[k]
    args, rng = _args(k, specs)
    value, grads, tangent, cotangent, tangents = _engine(name, args, params, rng)
    diff = _differentiable(args)

    def twin(*xs):
        full = list(args)
        for i, x in zip(diff, xs):
            full[i] = x
        return AUTOGRAD[name](*full, **params)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected_pullback, expected_value = make_vjp(lambda xs: twin(*xs))(tuple(args[i] for i in diff))
        expected = expected_pullback(cotangent)
        _, expected_tangent = make_jvp(lambda eps: twin(*[args[i] + eps * tangents[i] for i in diff]))(0.0)(1.0)
    what = f"{name}{tuple(np.shape(a) for a in args)} {params}"
    _close(value, expected_value, f"value of {what}")
    for i, e in zip(diff, expected):
        _close(grads[i], e, f"VJP of {what}, argument {i}")
    _close(tangent, expected_tangent, f"JVP of {what}")


@pytest.mark.parametrize("k", range(len(CASES)), ids=_ids())
def test_agrees_with_torch(k):
    torch = pytest.importorskip("torch")
    name, specs, params = CASES[k]
    if any(cannot(name, params) for cannot in TORCH_CANNOT.values()):
        pytest.skip("torch cannot do this case")
    args, rng = _args(k, specs)
    value, grads, tangent, cotangent, tangents = _engine(name, args, params, rng)
    diff = _differentiable(args)
    leaves = [torch.tensor(a, requires_grad=i in diff) for i, a in enumerate(args)]
    out = _torch_twins(torch)[name](*leaves, **params)
    expected = torch.autograd.grad(out, [leaves[i] for i in diff], torch.tensor(cotangent))

    def twin(*xs):
        full = list(leaves)
        for i, x in zip(diff, xs):
            full[i] = x
        return _torch_twins(torch)[name](*full, **params)

    _, expected_tangent = torch.func.jvp(twin, tuple(leaves[i].detach() for i in diff),
                                         tuple(torch.tensor(tangents[i]) for i in diff))
    what = f"{name}{tuple(np.shape(a) for a in args)} {params}"
    _close(value, out.detach().numpy(), f"value of {what}")
    for i, e in zip(diff, expected):
        _close(grads[i], e.numpy(), f"VJP of {what}, argument {i}")
    _close(tangent, expected_tangent.numpy(), f"JVP of {what}")
