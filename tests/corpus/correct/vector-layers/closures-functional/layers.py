"""Pure functions return (output, backward-closure); the layer classes are thin wrappers."""

import numpy as np


def linear(x, W, b):
    return x @ W.T + b, lambda g: (g @ W, g.T @ x, g.sum(0))


def leaky(x, alpha):
    slope = np.where(x > 0, 1.0, alpha)
    return slope * x, lambda g: (slope * g,)


def sigmoid(x):
    # log-domain: sigma = exp(-softplus(-x))
    out = np.exp(-np.logaddexp(0.0, -x))
    return out, lambda g: (g * out * (1.0 - out),)


def tanh(x):
    out = np.tanh(x)
    return out, lambda g: (g * (1.0 - out ** 2),)


def mse(pred, target):
    d = pred - target
    n = d.size
    return (d ** 2).sum() / n, lambda g: (2.0 * g * d / n, -2.0 * g * d / n)


def l1(pred, target):
    d = pred - target
    n = d.size
    s = np.sign(d)
    return np.abs(d).sum() / n, lambda g: (g * s / n, -g * s / n)


def softmax_xent(logits, labels):
    n = logits.shape[0]
    m = logits.max(axis=1)
    lse = m + np.log(np.exp(logits - m[:, None]).sum(axis=1))
    p = np.exp(logits - lse[:, None])
    rows = np.arange(n)

    def back(g):
        d = p.copy()
        d[rows, labels] -= 1.0
        return g * d / n, None
    return (lse - logits[rows, labels]).sum() / n, back


def hinge(scores, labels):
    n = scores.shape[0]
    rows = np.arange(n)
    raw = scores - scores[rows, labels][:, None] + 1.0
    hit = raw > 0
    hit[rows, labels] = False
    loss = raw[hit].sum() / n

    def back(g):
        d = hit.astype(float)
        d[rows, labels] = -hit.sum(axis=1)
        return g * d / n, None
    return loss, back


class _Wrapped:
    fn = None

    def __init__(self, **attrs):
        self.attrs = attrs

    def forward(self, *inputs):
        out, self._back = type(self).fn(*inputs, **self.attrs)
        return out

    def backward(self, grad_output):
        return self._back(grad_output)


class Linear(_Wrapped):
    fn = staticmethod(linear)


class ReLU(_Wrapped):
    fn = staticmethod(lambda x: leaky(x, 0.0))


class LeakyReLU(_Wrapped):
    fn = staticmethod(leaky)

    def __init__(self, alpha=0.01):
        super().__init__(alpha=alpha)


class Sigmoid(_Wrapped):
    fn = staticmethod(sigmoid)


class Tanh(_Wrapped):
    fn = staticmethod(tanh)


class MSELoss(_Wrapped):
    fn = staticmethod(mse)


class L1Loss(_Wrapped):
    fn = staticmethod(l1)


class SoftmaxCrossEntropy(_Wrapped):
    fn = staticmethod(softmax_xent)


class HingeLoss(_Wrapped):
    fn = staticmethod(hinge)

