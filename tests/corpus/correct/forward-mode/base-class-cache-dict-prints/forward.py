"""A base class keeps every input in a dict; nodes print what they do and return Python
floats for 0-d results."""

import numpy as np


class Node:
    def __init__(self, **attributes):
        self.cache = {}
        self.attributes = attributes

    def forward(self, *inputs):
        self.cache = {"inputs": [np.copy(x) for x in inputs]}
        out = self.compute(*inputs)
        print(f"{type(self).__name__}.forward -> shape {np.shape(out)}")
        return out.item() if np.ndim(out) == 0 else out

    def jvp(self, *tangents):
        t = self.tangent(*self.cache["inputs"], *tangents)
        return float(t) if np.ndim(t) == 0 else t


class Add(Node):
    def compute(self, x, y):
        return np.add(x, y)

    def tangent(self, x, y, dx, dy):
        return np.add(dx, dy)


class Mul(Node):
    def compute(self, x, y):
        return np.multiply(x, y)

    def tangent(self, x, y, dx, dy):
        return dx * y + x * dy


class Pow(Node):
    def __init__(self, p=2):
        super().__init__(p=p)
        self.p = p

    def compute(self, x):
        return np.power(x, self.p)

    def tangent(self, x, dx):
        return self.p * np.power(x, self.p - 1) * dx


class Exp(Node):
    def compute(self, x):
        return np.exp(x)

    def tangent(self, x, dx):
        return np.exp(x) * dx


class Log(Node):
    def compute(self, x):
        return np.log(x)

    def tangent(self, x, dx):
        return np.divide(dx, x)


class Sin(Node):
    def compute(self, x):
        return np.sin(x)

    def tangent(self, x, dx):
        return np.cos(x) * dx


class Cos(Node):
    def compute(self, x):
        return np.cos(x)

    def tangent(self, x, dx):
        return -np.sin(x) * dx


class Sigmoid(Node):
    def compute(self, x):
        return 0.5 * (1.0 + np.tanh(0.5 * x))  # σ via tanh: never overflows

    def tangent(self, x, dx):
        s = self.compute(x)
        return s * (1.0 - s) * dx


class ReLU(Node):
    def compute(self, x):
        return np.maximum(x, 0.0)

    def tangent(self, x, dx):
        return dx * (x > 0)


def jacobian(f, x):
    x = np.array(x, dtype=float)
    J = None
    for j in range(x.size):
        seed = np.zeros_like(x)
        seed[j] = 1.0
        y, y_dot = f(x, seed)
        if J is None:
            J = np.empty((np.size(y), x.size))
        J[:, j] = y_dot
    print(f"jacobian: {J.shape}")
    return J
