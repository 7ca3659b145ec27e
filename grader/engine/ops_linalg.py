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


def checked_labels(x, labels) -> np.ndarray:
    """``labels`` as integer class labels for the rows of ``x``: one per row (shape
    ``x.shape[:-1]``), each in [0, C) for C classes on the last axis. numpy would wrap a
    negative label and broadcast labels of the wrong length; in a spec both are mistakes."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise ValueError(f"class labels must be integers, got {labels.dtype} labels")
    if np.ndim(x) == 0:
        raise ValueError("class labels index the last axis of the scores, and 0-d scores have none")
    rows, classes = np.shape(x)[:-1], np.shape(x)[-1]
    if labels.shape != rows:
        raise ValueError(f"class labels must have shape {rows}, one per row of the scores of shape "
                         f"{np.shape(x)}; got labels of shape {labels.shape}")
    bad = labels[(labels < 0) | (labels >= classes)]
    if bad.size:
        raise ValueError(f"class label {bad.flat[0]} is outside [0, {classes}): the scores have "
                         f"{classes} classes on their last axis")
    return labels


def picked(x, labels):
    """x[..., labels] entry by entry: the last axis indexed by an integer label per row."""
    return np.take_along_axis(x, checked_labels(x, labels)[..., np.newaxis], axis=-1)[..., 0]


@defop("pick", 2, nondiff=(1,))
class Pick:
    """x[i, labels[i]]: one entry per row, chosen by integer labels (for cross-entropy);
    labels of shape x.shape[:-1], each in [0, C)"""
    def forward(x, labels): return picked(x, labels)
    def vjp(g, out, x, labels):
        gx = np.zeros(x.shape)
        np.put_along_axis(gx, checked_labels(x, labels)[..., np.newaxis], np.asarray(g)[..., np.newaxis], axis=-1)
        return gx, None
    def jvp(ts, out, x, labels): return picked(ts[0], labels)
