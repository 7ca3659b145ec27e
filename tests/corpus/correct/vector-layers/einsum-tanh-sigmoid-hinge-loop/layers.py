"""Linear through einsum, sigmoid through tanh, losses via np.dot / logaddexp / a loop over rows."""

import numpy as np


class Linear:
    def forward(self, x, W, b):
        self.x, self.W = x, W
        return np.einsum("ni,oi->no", x, W) + b

    def backward(self, grad_output):
        dx = np.einsum("no,oi->ni", grad_output, self.W)
        dW = np.einsum("no,ni->oi", grad_output, self.x)
        db = np.einsum("no->o", grad_output)
        return dx, dW, db


class ReLU:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, grad_output):
        return grad_output * (self.x > 0)


class LeakyReLU:
    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self.slope = np.where(x > 0, 1.0, self.alpha)
        return self.slope * x

    def backward(self, grad_output):
        return self.slope * grad_output


class Sigmoid:
    """sigma(x) = (1 + tanh(x/2)) / 2: tanh saturates at +-1 instead of overflowing."""

    def forward(self, x):
        self.t = np.tanh(x / 2.0)
        return (1.0 + self.t) / 2.0

    def backward(self, grad_output):
        return grad_output * (1.0 - self.t) * (1.0 + self.t) / 4.0


class Tanh:
    def forward(self, x):
        self.t = np.tanh(x)
        return self.t

    def backward(self, grad_output):
        return grad_output * (1.0 - self.t) * (1.0 + self.t)


class MSELoss:
    def forward(self, pred, target):
        self.shape = pred.shape
        self.d = (pred - target).ravel()
        return np.dot(self.d, self.d) / self.d.size

    def backward(self, grad_output):
        dpred = (2.0 / self.d.size * grad_output) * self.d.reshape(self.shape)
        return dpred, -dpred


class L1Loss:
    def forward(self, pred, target):
        diff = pred - target
        self.sign = np.where(diff > 0, 1.0, -1.0)   # any subgradient at 0
        return np.dot(self.sign.ravel(), diff.ravel()) / diff.size

    def backward(self, grad_output):
        dpred = grad_output * self.sign / self.sign.size
        return dpred, -dpred


class SoftmaxCrossEntropy:
    """log-sum-exp through np.logaddexp.reduce, which never overflows."""

    def forward(self, logits, labels):
        lse = np.logaddexp.reduce(logits, axis=1)
        self.probs = np.exp(logits - lse[:, None])
        self.labels = labels
        picked = np.take_along_axis(logits, labels[:, None], axis=1)[:, 0]
        return np.mean(lse - picked)

    def backward(self, grad_output):
        n, c = self.probs.shape
        onehot = np.arange(c)[None, :] == self.labels[:, None]
        return (self.probs - onehot) * (grad_output / n), None


class HingeLoss:
    """The multiclass SVM loss, one row at a time."""

    def forward(self, scores, labels):
        n, c = scores.shape
        self.dscores = np.zeros((n, c))
        total = 0.0
        for i in range(n):
            y = int(labels[i])
            for j in range(c):
                if j == y:
                    continue
                margin = scores[i, j] - scores[i, y] + 1.0
                if margin > 0:
                    total += margin
                    self.dscores[i, j] += 1.0
                    self.dscores[i, y] -= 1.0
        self.n = n
        return total / n

    def backward(self, grad_output):
        return self.dscores * grad_output / self.n, None
