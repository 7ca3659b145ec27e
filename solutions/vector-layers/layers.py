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
        # BEGIN SOLUTION Linear.forward: keep x and W, return x @ W.T + b (shape (N, D_out))
        self.x, self.W = x, W
        return x @ W.T + b
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Linear.backward: return (dx, dW, db); db sums grad_output over the batch
        dx = grad_output @ self.W
        dW = grad_output.T @ self.x
        db = grad_output.sum(axis=0)
        return dx, dW, db
        # END SOLUTION


class ReLU:
    """out = max(0, x), element-wise, for x of any shape."""

    def forward(self, x):
        # BEGIN SOLUTION ReLU.forward: remember where x > 0, return max(0, x)
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION ReLU.backward: grad_output where x > 0, else 0
        return np.where(self.mask, grad_output, 0.0)
        # END SOLUTION


class LeakyReLU:
    """out = x where x > 0, else alpha * x."""

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        # BEGIN SOLUTION LeakyReLU.forward: remember where x > 0, return x or alpha * x
        self.mask = x > 0
        return np.where(self.mask, x, self.alpha * x)
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION LeakyReLU.backward: the slope is 1 where x > 0, alpha elsewhere
        return np.where(self.mask, grad_output, self.alpha * grad_output)
        # END SOLUTION


class Sigmoid:
    """out = 1 / (1 + e ** -x); finite for |x| up to 1e3 and beyond."""

    def forward(self, x):
        # BEGIN SOLUTION Sigmoid.forward: return σ(x) without overflow for large |x|
        self.out = _sigmoid(x)
        return self.out
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Sigmoid.backward: dσ/dx = σ(x) * (1 - σ(x))
        return grad_output * self.out * (1.0 - self.out)
        # END SOLUTION


class Tanh:
    """out = tanh(x), with d tanh/dx = 1 - tanh(x) ** 2."""

    def forward(self, x):
        # BEGIN SOLUTION Tanh.forward: return np.tanh(x), keeping it for backward
        self.out = np.tanh(x)
        return self.out
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Tanh.backward: d tanh/dx = 1 - tanh(x) ** 2
        return grad_output * (1.0 - self.out ** 2)
        # END SOLUTION


class MSELoss:
    """out = mean((pred - target) ** 2) over all N * D elements; a 0-d array."""

    def forward(self, pred, target):
        # BEGIN SOLUTION MSELoss.forward: keep pred - target, return the mean of its squares
        self.diff = pred - target
        return np.mean(self.diff ** 2)
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION MSELoss.backward: d/dpred = 2 (pred - target) / (N * D); d/dtarget is its negative
        dpred = grad_output * 2.0 * self.diff / self.diff.size
        return dpred, -dpred
        # END SOLUTION


class L1Loss:
    """out = mean(|pred - target|) over all elements; a 0-d array."""

    def forward(self, pred, target):
        # BEGIN SOLUTION L1Loss.forward: keep pred - target, return the mean of its absolute values
        self.diff = pred - target
        return np.mean(np.abs(self.diff))
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION L1Loss.backward: d/dpred = sign(pred - target) / (N * D)
        dpred = grad_output * np.sign(self.diff) / self.diff.size
        return dpred, -dpred
        # END SOLUTION


class SoftmaxCrossEntropy:
    """out = mean over i of -log softmax(logits[i])[labels[i]]; logits (N, C), labels (N,)."""

    def forward(self, logits, labels):
        # BEGIN SOLUTION SoftmaxCrossEntropy.forward: a stable log-softmax (subtract each row's max), then the mean negative log-probability of the labels
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs = np.exp(log_probs)
        self.labels = labels
        return -np.mean(log_probs[np.arange(len(labels)), labels])
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION SoftmaxCrossEntropy.backward: dlogits = (softmax - one_hot(labels)) / N; labels get None
        n = len(self.labels)
        dlogits = self.probs.copy()
        dlogits[np.arange(n), self.labels] -= 1.0
        return grad_output * dlogits / n, None
        # END SOLUTION


class HingeLoss:
    """out = mean over i of sum over j != labels[i] of max(0, s[i, j] - s[i, labels[i]] + 1)."""

    def forward(self, scores, labels):
        # BEGIN SOLUTION HingeLoss.forward: margins max(0, s_j - s_label + 1) for j != label, summed per row, averaged over rows
        n = len(labels)
        rows = np.arange(n)
        margins = np.maximum(0.0, scores - scores[rows, labels][:, None] + 1.0)
        margins[rows, labels] = 0.0
        self.active = (margins > 0).astype(float)
        self.labels = labels
        return margins.sum() / n
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION HingeLoss.backward: +1 for each positive margin, minus their count at the label, over N; labels get None
        n = len(self.labels)
        dscores = self.active.copy()
        dscores[np.arange(n), self.labels] = -self.active.sum(axis=1)
        return grad_output * dscores / n, None
        # END SOLUTION
