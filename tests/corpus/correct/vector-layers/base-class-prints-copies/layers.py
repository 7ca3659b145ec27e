"""A Layer base class with a cache dict; prints and warnings; in-place work on own copies; lists."""

import warnings

import numpy as np


class Layer:
    def __init__(self, **attributes):
        self.cache = {}
        self.__dict__.update(attributes)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(k for k in self.cache)})"


class Linear(Layer):
    def forward(self, x, W, b):
        print(f"Linear: {x.shape} x {W.T.shape} + {b.shape}")
        self.cache["x"] = x
        self.cache["W"] = W
        out = x @ W.T
        out += b                  # out is a fresh array: safe to add in place
        return out

    def backward(self, grad_output):
        warnings.warn("Linear.backward")
        x, W = self.cache["x"], self.cache["W"]
        return [grad_output @ W, grad_output.T @ x, grad_output.sum(axis=0)]


class ReLU(Layer):
    def forward(self, x):
        out = x.copy()
        out[out < 0] = 0.0
        self.cache["dead"] = x <= 0
        return out

    def backward(self, grad_output):
        g = np.array(grad_output, copy=True)
        g[self.cache["dead"]] = 0.0
        return [g]


class LeakyReLU(Layer):
    def __init__(self, alpha=0.01):
        super().__init__(alpha=alpha)

    def forward(self, x):
        out = x.copy()
        neg = out <= 0
        out[neg] *= self.alpha
        self.cache["neg"] = neg
        return out

    def backward(self, grad_output):
        g = grad_output.copy()
        g[self.cache["neg"]] *= self.alpha
        return [g]


class Sigmoid(Layer):
    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        out = np.empty_like(x)
        pos = x >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        z = np.exp(x[~pos])
        out[~pos] = z / (1.0 + z)
        if np.any(np.abs(x) > 30):
            warnings.warn("sigmoid saturates")
        self.cache["out"] = out
        return out

    def backward(self, grad_output):
        s = self.cache["out"]
        return [grad_output * s * (1.0 - s)]


class Tanh(Layer):
    def forward(self, x):
        out = np.tanh(x)
        self.cache["out"] = out
        print("tanh max |x| =", np.max(np.abs(x)))
        return out

    def backward(self, grad_output):
        t = self.cache["out"]
        return [grad_output - grad_output * t * t]


class MSELoss(Layer):
    def forward(self, pred, target):
        diff = pred - target
        self.cache["diff"] = diff
        loss = float(np.sum(diff * diff) / diff.size)
        print("MSE", loss)
        return loss

    def backward(self, grad_output):
        diff = self.cache["diff"]
        dpred = diff * (2.0 / diff.size)
        dpred *= grad_output       # in place on my own array, not on grad_output
        return [dpred, -dpred]


class L1Loss(Layer):
    def forward(self, pred, target):
        diff = pred - target
        self.cache["sign"] = np.sign(diff)
        return float(np.abs(diff).mean())

    def backward(self, grad_output):
        sign = self.cache["sign"]
        dpred = sign / sign.size * grad_output
        return [dpred, -dpred]


class SoftmaxCrossEntropy(Layer):
    def forward(self, logits, labels):
        z = logits - logits.max(axis=1, keepdims=True)   # a new array
        p = np.exp(z)
        sums = p.sum(axis=1, keepdims=True)
        p /= sums                                        # in place on my own array
        rows = np.arange(len(labels))
        # -log p[label] = log(sum) - z[label]: stays finite even where p underflows to 0
        losses = np.log(sums[:, 0]) - z[rows, labels]
        self.cache.update(p=p, labels=labels)
        print("cross-entropy per example:", losses)
        return float(losses.mean())

    def backward(self, grad_output):
        p, labels = self.cache["p"], self.cache["labels"]
        d = p.copy()
        d[np.arange(len(labels)), labels] -= 1.0
        d *= grad_output / len(labels)
        return [d, None]


class HingeLoss(Layer):
    def forward(self, scores, labels):
        n = len(labels)
        rows = np.arange(n)
        m = scores - scores[rows, labels].reshape(-1, 1) + 1.0
        m[rows, labels] = 0.0
        m[m < 0] = 0.0
        self.cache.update(active=m > 0, labels=labels)
        return float(m.sum() / n)

    def backward(self, grad_output):
        active, labels = self.cache["active"], self.cache["labels"]
        n = len(labels)
        d = active.astype(np.float64)
        d[np.arange(n), labels] -= active.sum(axis=1)
        return [d * (grad_output / n), None]
