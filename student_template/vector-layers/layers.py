"""Vectorized layers and losses, batch first.

Shapes: N examples, D features, C classes. ``forward`` takes numpy arrays (float64; integer
class labels) and returns the output; ``backward(grad_output)`` returns one gradient per
forward input, in order, each shaped like that input (``None`` for integer labels). Losses
return a 0-d output, and their ``grad_output`` is a 0-d array that is not always 1.

Do not modify the inputs or ``grad_output``; keep on ``self`` what ``backward`` needs.
"""

import numpy as np


def _sigmoid(x):
    """1 / (1 + e ** -x) without overflow: e ** -|x| is at most 1."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class Linear:
    """out = x @ W.T + b, with x (N, D_in), W (D_out, D_in), b (D_out,)."""

    def forward(self, x, W, b):
        raise NotImplementedError('Linear.forward: keep x and W, return x @ W.T + b (shape (N, D_out))')

    def backward(self, grad_output):
        raise NotImplementedError('Linear.backward: return (dx, dW, db); db sums grad_output over the batch')


class ReLU:
    """out = max(0, x), element-wise, for x of any shape."""

    def forward(self, x):
        raise NotImplementedError('ReLU.forward: remember where x > 0, return max(0, x)')

    def backward(self, grad_output):
        raise NotImplementedError('ReLU.backward: grad_output where x > 0, else 0')


class LeakyReLU:
    """out = x where x > 0, else alpha * x."""

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        raise NotImplementedError('LeakyReLU.forward: remember where x > 0, return x or alpha * x')

    def backward(self, grad_output):
        raise NotImplementedError('LeakyReLU.backward: the slope is 1 where x > 0, alpha elsewhere')


class Sigmoid:
    """out = 1 / (1 + e ** -x); finite for |x| up to 1e3 and beyond."""

    def forward(self, x):
        raise NotImplementedError('Sigmoid.forward: return σ(x) without overflow for large |x|')

    def backward(self, grad_output):
        raise NotImplementedError('Sigmoid.backward: dσ/dx = σ(x) * (1 - σ(x))')


class Tanh:
    """out = tanh(x), with d tanh/dx = 1 - tanh(x) ** 2."""

    def forward(self, x):
        raise NotImplementedError('Tanh.forward: return np.tanh(x), keeping it for backward')

    def backward(self, grad_output):
        raise NotImplementedError('Tanh.backward: d tanh/dx = 1 - tanh(x) ** 2')


class MSELoss:
    """out = mean((pred - target) ** 2) over all N * D elements; a 0-d array."""

    def forward(self, pred, target):
        raise NotImplementedError('MSELoss.forward: keep pred - target, return the mean of its squares')

    def backward(self, grad_output):
        raise NotImplementedError('MSELoss.backward: d/dpred = 2 (pred - target) / (N * D); d/dtarget is its negative')


class L1Loss:
    """out = mean(|pred - target|) over all elements; a 0-d array."""

    def forward(self, pred, target):
        raise NotImplementedError('L1Loss.forward: keep pred - target, return the mean of its absolute values')

    def backward(self, grad_output):
        raise NotImplementedError('L1Loss.backward: d/dpred = sign(pred - target) / (N * D)')


class SoftmaxCrossEntropy:
    """out = mean over i of -log softmax(logits[i])[labels[i]]; logits (N, C), labels (N,)."""

    def forward(self, logits, labels):
        raise NotImplementedError("SoftmaxCrossEntropy.forward: a stable log-softmax (subtract each row's max), then the mean negative log-probability of the labels")

    def backward(self, grad_output):
        raise NotImplementedError('SoftmaxCrossEntropy.backward: dlogits = (softmax - one_hot(labels)) / N; labels get None')


class HingeLoss:
    """out = mean over i of sum over j != labels[i] of max(0, s[i, j] - s[i, labels[i]] + 1)."""

    def forward(self, scores, labels):
        raise NotImplementedError('HingeLoss.forward: margins max(0, s_j - s_label + 1) for j != label, summed per row, averaged over rows')

    def backward(self, grad_output):
        raise NotImplementedError('HingeLoss.backward: +1 for each positive margin, minus their count at the label, over N; labels get None')
