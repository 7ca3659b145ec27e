"""Reductions over axes, and the normalizing ops of classifiers (softmax and friends).

``axis`` is None (all axes), an int or a tuple of ints, as in numpy; on a 0-d input, axis 0
or -1 names no axis and the reduction returns the input (torch's convention, see
``normalize_axes``). The softmax family is computed in shifted form, so values and gradients
stay finite at |x| = 1e3.
"""

import numpy as np

from grader.engine.registry import Branch, defop, expand_reduced, normalize_axes

_REDUCE = {"axis": None, "keepdims": False}


@defop("sum", 1, params=_REDUCE)
class Sum:
    """sum over axes"""
    def forward(x, axis=None, keepdims=False): return np.sum(x, axis=_ax(x, axis), keepdims=keepdims)
    def vjp(g, out, x, axis=None, keepdims=False): return (expand_reduced(g, x.shape, axis, keepdims),)
    def jvp(ts, out, x, axis=None, keepdims=False): return np.sum(ts[0], axis=_ax(x, axis), keepdims=keepdims)


@defop("mean", 1, params=_REDUCE)
class Mean:
    """mean over axes"""
    def forward(x, axis=None, keepdims=False): return np.mean(x, axis=_ax(x, axis), keepdims=keepdims)
    def vjp(g, out, x, axis=None, keepdims=False):
        return (expand_reduced(g, x.shape, axis, keepdims) / _count(x, axis),)
    def jvp(ts, out, x, axis=None, keepdims=False): return np.mean(ts[0], axis=_ax(x, axis), keepdims=keepdims)


def _extreme_share(out, x, axis, keepdims):
    """Where x attains the reduced extreme, split evenly among ties (autograd's convention)."""
    hit = (x == expand_reduced(out, x.shape, axis, keepdims)).astype(np.float64)
    return hit / np.sum(hit, axis=_ax(x, axis), keepdims=True)


def _extreme(name: str, reduce, doc: str, word: str) -> None:
    """Register max or min over axes; ties share the gradient evenly. Its branch: the entries
    that are the ``word`` (maximum, minimum) of what they are reduced with."""

    class Extreme:
        def forward(x, axis=None, keepdims=False): return reduce(x, axis=_ax(x, axis), keepdims=keepdims)
        def vjp(g, out, x, axis=None, keepdims=False):
            return (expand_reduced(g, x.shape, axis, keepdims) * _extreme_share(out, x, axis, keepdims),)
        def jvp(ts, out, x, axis=None, keepdims=False):
            share = _extreme_share(out, x, axis, keepdims)
            return np.sum(ts[0] * share, axis=_ax(x, axis), keepdims=keepdims)
        def branches(names, x, axis=None, keepdims=False):
            over = "of all its entries" if axis is None else f"along axis {axis}"
            hit = x == reduce(x, axis=_ax(x, axis), keepdims=True)
            return [Branch(hit, f"where {names[0]} is the {word} {over}", f"where {names[0]} is not the {word} {over}",
                           ties=True)]

    Extreme.__doc__ = doc
    defop(name, 1, params=_REDUCE)(Extreme)


_extreme("max", np.max, "maximum over axes; ties share the gradient evenly", "maximum")
_extreme("min", np.min, "minimum over axes; ties share the gradient evenly", "minimum")


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the maximum so it never overflows."""
    axes = _ax(x, axis)
    z = np.exp(x - np.max(x, axis=axes, keepdims=True))
    return z / np.sum(z, axis=axes, keepdims=True)


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, computed as m + log(sum(exp(x - m))); -inf over an
    empty axis (the log of an empty sum, as in torch)."""
    axes = _ax(x, axis)
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axes)


@defop("softmax", 1, params={"axis": -1})
class Softmax:
    """exp(x) / sum(exp(x)) along an axis (the last by default)"""
    def forward(x, axis=-1): return softmax(x, axis)
    def vjp(g, out, x, axis=-1): return (out * (g - np.sum(g * out, axis=_ax(x, axis), keepdims=True)),)
    def jvp(ts, out, x, axis=-1): return out * (ts[0] - np.sum(ts[0] * out, axis=_ax(x, axis), keepdims=True))


@defop("log_softmax", 1, params={"axis": -1})
class LogSoftmax:
    """x - logsumexp(x) along an axis (the last by default)"""
    def forward(x, axis=-1): return x - logsumexp(x, axis=axis, keepdims=True)
    def vjp(g, out, x, axis=-1): return (g - np.exp(out) * np.sum(g, axis=_ax(x, axis), keepdims=True),)
    def jvp(ts, out, x, axis=-1): return ts[0] - np.sum(np.exp(out) * ts[0], axis=_ax(x, axis), keepdims=True)


@defop("logsumexp", 1, params=_REDUCE)
class LogSumExp:
    """log(sum(exp(x))) over axes (all by default)"""
    def forward(x, axis=None, keepdims=False): return logsumexp(x, axis, keepdims)
    def vjp(g, out, x, axis=None, keepdims=False):
        return (expand_reduced(g, x.shape, axis, keepdims) * _weights(out, x, axis, keepdims),)
    def jvp(ts, out, x, axis=None, keepdims=False):
        return np.sum(ts[0] * _weights(out, x, axis, keepdims), axis=_ax(x, axis), keepdims=keepdims)


def _weights(out, x, axis, keepdims):
    """d logsumexp / dx: the softmax of x over the reduced axes."""
    return np.exp(x - expand_reduced(out, x.shape, axis, keepdims))


def _ax(x, axis) -> tuple[int, ...]:
    """The axes of ``x`` an ``axis`` parameter names, as the tuple numpy wants."""
    return normalize_axes(axis, np.ndim(x))


def _count(x, axis) -> int:
    return int(np.prod([x.shape[a] for a in normalize_axes(axis, x.ndim)], dtype=np.int64))


def _centered(x, axis):
    return x - np.mean(x, axis=_ax(x, axis), keepdims=True)


@defop("var", 1, params=_REDUCE)
class Variance:
    """mean of the squared deviations from the mean over axes (biased: numpy's ddof=0)"""
    def forward(x, axis=None, keepdims=False): return np.var(x, axis=_ax(x, axis), keepdims=keepdims)
    def vjp(g, out, x, axis=None, keepdims=False):
        return (expand_reduced(g, x.shape, axis, keepdims) * 2.0 * _centered(x, axis) / _count(x, axis),)
    def jvp(ts, out, x, axis=None, keepdims=False):
        return np.sum(ts[0] * 2.0 * _centered(x, axis), axis=_ax(x, axis), keepdims=keepdims) / _count(x, axis)


def _std_slope(out, x, axis, keepdims):
    """d std / dx = (x - mean) / (n · std), and 0 where std is 0 (all entries equal: a kink,
    like |x| at 0; torch's convention)."""
    std = expand_reduced(out, x.shape, axis, keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, _centered(x, axis) / (_count(x, axis) * std), 0.0)


@defop("std", 1, params=_REDUCE)
class StandardDeviation:
    """square root of var over axes (biased); gradient 0 where all entries are equal"""
    def forward(x, axis=None, keepdims=False): return np.std(x, axis=_ax(x, axis), keepdims=keepdims)
    def vjp(g, out, x, axis=None, keepdims=False):
        return (expand_reduced(g, x.shape, axis, keepdims) * _std_slope(out, x, axis, keepdims),)
    def jvp(ts, out, x, axis=None, keepdims=False):
        return np.sum(ts[0] * _std_slope(out, x, axis, keepdims), axis=_ax(x, axis), keepdims=keepdims)
