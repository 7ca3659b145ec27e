"""The losses of the student contract, each a mean over the batch (or over all elements).

They could be written with other ops; as ops of their own they give the reference a
numerically stable form and let a spec say ``mse(pred, target)``.
"""

import numpy as np

from grader.engine.ops_linalg import checked_labels, picked
from grader.engine.ops_reduce import softmax, logsumexp
from grader.engine.registry import Branch, defop


@defop("mse", 2)
class MSE:
    """mean((pred - target) ** 2) over all elements"""
    def forward(p, t): return np.mean((p - t) ** 2)
    def vjp(g, out, p, t):
        d = g * 2.0 * (p - t) / max(np.broadcast(p, t).size, 1)
        return d, -d
    def jvp(ts, out, p, t): return np.sum(2.0 * (p - t) * (ts[0] - ts[1])) / max(np.broadcast(p, t).size, 1)


@defop("l1", 2)
class L1:
    """mean(|pred - target|) over all elements; gradient 0 where they are equal"""
    def forward(p, t): return np.mean(np.abs(p - t))
    def vjp(g, out, p, t):
        d = g * np.sign(p - t) / max(np.broadcast(p, t).size, 1)
        return d, -d
    def jvp(ts, out, p, t): return np.sum(np.sign(p - t) * (ts[0] - ts[1])) / max(np.broadcast(p, t).size, 1)
    def branches(names, p, t): return [Branch.compared(names, ">", "<=", np.greater(p, t))]


@defop("softmax_cross_entropy", 2, nondiff=(1,))
class SoftmaxCrossEntropy:
    """mean over rows of -log softmax(logits)[label]; logits (N, C), labels (N,) in [0, C)"""
    def forward(z, y): return np.mean(logsumexp(z, axis=-1) - picked(z, y))
    def vjp(g, out, z, y): return g * (softmax(z) - _one_hot(y, z.shape)) / _rows(z), None
    def jvp(ts, out, z, y):
        return np.sum(softmax(z) * ts[0] - _one_hot(y, z.shape) * ts[0]) / _rows(z)
    def branches(names, z, y): return [_label_column(names, z, y)] if np.ndim(z) == 2 else []


def _hinge_margins(s, y):
    """max(0, s_j - s_label + 1) for every j except the label's own column."""
    margins = np.maximum(0.0, s - picked(s, y)[..., np.newaxis] + 1.0)
    return margins * (1.0 - _one_hot(y, s.shape))


def _hinge_weights(s, y):
    """d loss_i / d s_i (before the 1/N): 1 per positive margin, minus their count at the label."""
    active = (_hinge_margins(s, y) > 0).astype(np.float64)
    return active - _one_hot(y, s.shape) * np.sum(active, axis=-1, keepdims=True)


@defop("hinge", 2, nondiff=(1,))
class Hinge:
    """multiclass hinge: mean over rows of sum over j != label of max(0, s_j - s_label + 1);
    a margin of exactly 0 is inactive (gradient 0, like relu at 0)"""
    def forward(s, y): return np.sum(_hinge_margins(s, y)) / _rows(s)
    def vjp(g, out, s, y): return g * _hinge_weights(s, y) / _rows(s), None
    def jvp(ts, out, s, y): return np.sum(_hinge_weights(s, y) * ts[0]) / _rows(s)
    def branches(names, s, y):
        s_, y_ = names
        if np.ndim(s) != 2:
            return []  # the words below index rows i and columns j
        return [_label_column(names, s, y),
                Branch(_hinge_margins(s, y) > 0, f"where the margin {s_}[i, j] - {s_}[i, {y_}[i]] + 1 > 0, "
                                                 f"j ≠ {y_}[i]", None)]


def _label_column(names, s, y) -> Branch:
    """Where a classifier's loss (of 2-d scores) switches formula: each row's label column,
    and the others."""
    s_, y_ = names
    return Branch(_one_hot(y, s.shape) > 0, f"in the label's column, {s_}[i, {y_}[i]]",
                  f"off the label's column, {s_}[i, j] with j ≠ {y_}[i]")


def _one_hot(labels, shape):
    hot = np.zeros(shape)
    np.put_along_axis(hot, checked_labels(hot, labels)[..., np.newaxis], 1.0, axis=-1)
    return hot


def _rows(x) -> int:
    """The batch size a loss averages over: every entry but the class axis."""
    return max(int(np.prod(np.shape(x)[:-1], dtype=np.int64)), 1)
