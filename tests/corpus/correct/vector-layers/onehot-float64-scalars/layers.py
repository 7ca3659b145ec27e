"""One-hot matrices for the classifiers, np.float64 scalars everywhere, np.dot and reductions."""

import numpy as np

HALF = np.float64(0.5)
ONE = np.float64(1.0)
TWO = np.float64(2.0)


def _onehot(labels, c):
    return (labels.reshape(-1, 1) == np.arange(c).reshape(1, -1)).astype(np.float64)


class Linear:
    def forward(self, x, W, b):
        self.x, self.W = x, W
        return np.dot(x, W.T) + b.reshape(1, -1)

    def backward(self, grad_output):
        return (np.dot(grad_output, self.W),
                np.dot(grad_output.T, self.x),
                np.add.reduce(grad_output, axis=0))


class ReLU:
    def forward(self, x):
        self.on = np.signbit(-x)                      # True where -x >= +0, i.e. x > 0 ... or x == -0
        self.on &= x != 0                             # and not at 0
        return x * self.on

    def backward(self, grad_output):
        return grad_output * self.on


class LeakyReLU:
    def __init__(self, alpha=0.01):
        self.alpha = np.float64(alpha)

    def forward(self, x):
        self.slope = np.ones_like(x)
        self.slope[x <= 0] = self.alpha
        return x * self.slope

    def backward(self, grad_output):
        return grad_output * self.slope


class Sigmoid:
    """sigma(x) = e^min(x, 0) / (1 + e^-|x|): both exponents are <= 0."""

    def forward(self, x):
        self.out = np.exp(np.minimum(x, 0.0)) / (ONE + np.exp(-np.abs(x)))
        return self.out

    def backward(self, grad_output):
        return grad_output * (self.out - np.square(self.out))


class Tanh:
    """tanh(x) = sign(x) (1 - e^-2|x|) / (1 + e^-2|x|), finite for all x."""

    def forward(self, x):
        e = np.exp(-TWO * np.abs(x))
        self.out = np.sign(x) * (-np.expm1(-TWO * np.abs(x))) / (ONE + e)
        return self.out

    def backward(self, grad_output):
        return grad_output * (ONE - self.out ** 2)


class MSELoss:
    def forward(self, pred, target):
        self.diff = pred - target
        return np.float64(np.square(self.diff).sum() * (ONE / self.diff.size))

    def backward(self, grad_output):
        dpred = (TWO / self.diff.size) * self.diff * grad_output
        return dpred, np.negative(dpred)


class L1Loss:
    def forward(self, pred, target):
        self.diff = pred - target
        return np.float64(np.abs(self.diff).mean())

    def backward(self, grad_output):
        dpred = np.copysign(ONE, self.diff) * (grad_output / self.diff.size)
        return dpred, np.negative(dpred)


class SoftmaxCrossEntropy:
    def forward(self, logits, labels):
        n, c = logits.shape
        self.y = _onehot(labels, c)
        shifted = logits - np.max(logits, axis=1, keepdims=True)
        logsum = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        logp = shifted - logsum
        self.p = np.exp(logp)
        return np.float64(-np.sum(self.y * logp) / n)

    def backward(self, grad_output):
        n = self.y.shape[0]
        return (self.p - self.y) * (grad_output / n), None


class HingeLoss:
    def forward(self, scores, labels):
        n, c = scores.shape
        y = _onehot(labels, c)
        correct = np.sum(scores * y, axis=1, keepdims=True)
        margins = (scores - correct + ONE) * (ONE - y)
        self.active = (margins > 0) * (ONE - y)
        self.y = y
        return np.float64(np.sum(margins * self.active) / n)

    def backward(self, grad_output):
        n = self.y.shape[0]
        d = self.active - self.y * self.active.sum(axis=1, keepdims=True)
        return d * (grad_output / n), None
