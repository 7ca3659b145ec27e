"""Keeps only the inputs and recomputes in backward; tensordot, logaddexp, take_along_axis."""

import numpy as np


def _log_sigmoid(x):
    """log sigma(x) = -log(1 + e^-x), stable for any |x|."""
    return -np.logaddexp(0.0, -x)


class Linear:
    def forward(self, x, W, b):
        self.inputs = (x, W, b)
        return np.tensordot(x, W, axes=([1], [1])) + b

    def backward(self, grad_output):
        x, W, b = self.inputs
        dx = np.tensordot(grad_output, W, axes=([1], [0]))
        dW = np.tensordot(grad_output, x, axes=([0], [0]))
        db = np.ones(grad_output.shape[0]) @ grad_output
        return dx, dW, db


class ReLU:
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, 0.0)

    def backward(self, grad_output):
        return np.where(self.x > 0, grad_output, 0.0)


class LeakyReLU:
    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, grad_output):
        return np.where(self.x > 0, 1.0, self.alpha) * grad_output


class Sigmoid:
    def forward(self, x):
        self.x = x
        return np.exp(_log_sigmoid(x))

    def backward(self, grad_output):
        # sigma(x) (1 - sigma(x)) = sigma(x) sigma(-x), done in log space
        return grad_output * np.exp(_log_sigmoid(self.x) + _log_sigmoid(-self.x))


class Tanh:
    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, grad_output):
        t = np.tanh(self.x)
        return grad_output * (1.0 - t * t)


class MSELoss:
    def forward(self, pred, target):
        self.inputs = (pred, target)
        d = pred - target
        return np.einsum("ij,ij->", d, d) / d.size

    def backward(self, grad_output):
        pred, target = self.inputs
        dpred = 2.0 * grad_output * (pred - target) / pred.size
        return dpred, -dpred


class L1Loss:
    def forward(self, pred, target):
        self.inputs = (pred, target)
        return np.abs(pred - target).sum() / pred.size

    def backward(self, grad_output):
        pred, target = self.inputs
        dpred = grad_output * np.sign(pred - target) / pred.size
        return dpred, -dpred


class SoftmaxCrossEntropy:
    @staticmethod
    def _log_softmax(logits):
        rows = []
        for row in logits:            # a per-row log-sum-exp
            m = row.max()
            rows.append(row - (m + np.log(np.sum(np.exp(row - m)))))
        return np.array(rows)

    def forward(self, logits, labels):
        self.inputs = (logits, labels)
        logp = self._log_softmax(logits)
        return np.float64(-np.take_along_axis(logp, labels[:, None], axis=1).mean())

    def backward(self, grad_output):
        logits, labels = self.inputs
        d = np.exp(self._log_softmax(logits))
        np.put_along_axis(d, labels[:, None], np.take_along_axis(d, labels[:, None], axis=1) - 1.0, axis=1)
        return grad_output * d / logits.shape[0], None


class HingeLoss:
    def forward(self, scores, labels):
        self.inputs = (scores, labels)
        margins, _ = self._margins(scores, labels)
        return np.float64(margins.sum() / scores.shape[0])

    @staticmethod
    def _margins(scores, labels):
        correct = np.take_along_axis(scores, labels[:, None], axis=1)
        margins = np.maximum(scores - correct + 1.0, 0.0)
        is_label = np.arange(scores.shape[1])[None, :] == labels[:, None]
        margins = np.where(is_label, 0.0, margins)
        return margins, is_label

    def backward(self, grad_output):
        scores, labels = self.inputs
        margins, is_label = self._margins(scores, labels)
        active = (margins > 0).astype(float)
        d = active - is_label * active.sum(axis=1, keepdims=True)
        return grad_output * d / scores.shape[0], None
