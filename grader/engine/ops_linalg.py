"""Matrix products and ops that move entries around: matmul, transpose, reshape, pick."""

import numpy as np

from grader.engine.registry import defop


def _as_matrices(a, b, g):
    """Promote 1-d operands of a matmul to matrices (and ``g`` to match), numpy-style."""
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    if b.ndim == 1:  # first, so a 0-d g (vector @ vector) has an axis for the next line
        g = np.expand_dims(g, -1)
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    return a2, b2, g


@defop("matmul", 2)
class MatMul:
    """x @ y with numpy's rules for 1-d and batched operands"""
    def forward(x, y): return np.matmul(x, y)
    def vjp(g, out, x, y):
        x2, y2, g2 = _as_matrices(x, y, g)
        gx = g2 @ np.swapaxes(y2, -1, -2)
        gy = np.swapaxes(x2, -1, -2) @ g2
        if x.ndim == 1:
            gx = gx[..., 0, :]
        if y.ndim == 1:
            gy = gy[..., :, 0]
        return gx, gy
    def jvp(ts, out, x, y): return np.matmul(ts[0], y) + np.matmul(x, ts[1])


@defop("transpose", 1, params={"axes": None})
class Transpose:
    """permute axes (reverse them by default)"""
    def forward(x, axes=None): return np.transpose(x, axes)
    def vjp(g, out, x, axes=None):
        return (np.transpose(g, None if axes is None else np.argsort([a % x.ndim for a in axes])),)
    def jvp(ts, out, x, axes=None): return np.transpose(ts[0], axes)


@defop("reshape", 1, params={"shape": ()})
class Reshape:
    """the same entries in a new shape (one dim may be -1)"""
    def forward(x, shape=()): return np.reshape(x, shape)
    def vjp(g, out, x, shape=()): return (np.reshape(g, x.shape),)
    def jvp(ts, out, x, shape=()): return np.reshape(ts[0], out.shape)


def picked(x, labels):
    """x[..., labels] entry by entry: the last axis indexed by an integer label per row."""
    return np.take_along_axis(x, np.asarray(labels)[..., np.newaxis], axis=-1)[..., 0]


@defop("pick", 2, nondiff=(1,))
class Pick:
    """x[i, labels[i]]: one entry per row, chosen by integer labels (for cross-entropy)"""
    def forward(x, labels): return picked(x, labels)
    def vjp(g, out, x, labels):
        gx = np.zeros(x.shape)
        np.put_along_axis(gx, np.asarray(labels)[..., np.newaxis], np.asarray(g)[..., np.newaxis], axis=-1)
        return gx, None
    def jvp(ts, out, x, labels): return picked(ts[0], labels)
