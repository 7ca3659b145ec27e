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
        self.x, self.W = x, W
        return x @ W.T + b

    def backward(self, grad_output):
        dx = grad_output @ self.W
        dW = grad_output.T @ self.x
        db = grad_output.sum(axis=0)
        return dx, dW, db


class ReLU:
    """out = max(0, x), element-wise, for x of any shape."""

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, grad_output):
        return np.where(self.mask, grad_output, 0.0)


class LeakyReLU:
    """out = x where x > 0, else alpha * x."""

    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, self.alpha * x)

    def backward(self, grad_output):
        return np.where(self.mask, grad_output, self.alpha * grad_output)


class Sigmoid:
    """out = 1 / (1 + e ** -x); finite for |x| up to 1e3 and beyond."""

    def forward(self, x):
        self.out = _sigmoid(x)
        return self.out

    def backward(self, grad_output):
        return grad_output * self.out * (1.0 - self.out)


class Tanh:
    """out = tanh(x), with d tanh/dx = 1 - tanh(x) ** 2."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad_output):
        return grad_output * (1.0 - self.out ** 2)


class MSELoss:
    """out = mean((pred - target) ** 2) over all N * D elements; a 0-d array."""

    def forward(self, pred, target):
        self.diff = pred - target
        return np.mean(self.diff ** 2)

    def backward(self, grad_output):
        dpred = grad_output * 2.0 * self.diff / self.diff.size
        return dpred, -dpred


class L1Loss:
    """out = mean(|pred - target|) over all elements; a 0-d array."""

    def forward(self, pred, target):
        self.diff = pred - target
        return np.mean(np.abs(self.diff))

    def backward(self, grad_output):
        dpred = grad_output * np.sign(self.diff) / self.diff.size
        return dpred, -dpred


class SoftmaxCrossEntropy:
    """out = mean over i of -log softmax(logits[i])[labels[i]]; logits (N, C), labels (N,)."""

    def forward(self, logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs = np.exp(log_probs)
        self.labels = labels
        return -np.mean(log_probs[np.arange(len(labels)), labels])

    def backward(self, grad_output):
        n = len(self.labels)
        dlogits = self.probs.copy()
        dlogits[np.arange(n), self.labels] -= 1.0
        return grad_output * dlogits / n, None


class HingeLoss:
    """out = mean over i of sum over j != labels[i] of max(0, s[i, j] - s[i, labels[i]] + 1)."""

    def forward(self, scores, labels):
        n = len(labels)
        rows = np.arange(n)
        margins = np.maximum(0.0, scores - scores[rows, labels][:, None] + 1.0)
        margins[rows, labels] = 0.0
        self.active = (margins > 0).astype(float)
        self.labels = labels
        return margins.sum() / n

    def backward(self, grad_output):
        # each positive margin adds 1 to its column's score gradient
        n = len(self.labels)
        dscores = self.active.copy()
        return grad_output * dscores / n, None
