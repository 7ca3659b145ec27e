"""A common base class; every node keeps its cache in a dict and backward returns lists."""

import numpy as np


class Node:
    """Stores keyword attributes, and a per-instance cache dict for backward."""

    def __init__(self, **attributes):
        self.cache = {}
        for name, value in attributes.items():
            setattr(self, name, value)

    def remember(self, **values):
        self.cache.clear()
        self.cache.update(values)

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError


class Add(Node):
    def forward(self, x, y):
        return x + y

    def backward(self, grad_output):
        return [grad_output.copy(), grad_output.copy()]


class Mul(Node):
    def forward(self, x, y):
        self.remember(x=x, y=y)
        return x * y

    def backward(self, grad_output):
        return [grad_output * self.cache["y"], grad_output * self.cache["x"]]


class Pow(Node):
    def forward(self, x):
        self.remember(x=x)
        return x ** self.p

    def backward(self, grad_output):
        x = self.cache["x"]
        return [grad_output * (self.p * x ** (self.p - 1))]


class Exp(Node):
    def forward(self, x):
        self.remember(out=np.exp(x))
        return self.cache["out"]

    def backward(self, grad_output):
        return [grad_output * self.cache["out"]]


class Inverse(Node):
    def forward(self, x):
        self.remember(x=x)
        return 1.0 / x

    def backward(self, grad_output):
        x = self.cache["x"]
        return [-grad_output / (x * x)]


class Sigmoid(Node):
    def forward(self, x):
        out = 1.0 / (1.0 + np.exp(-x))
        self.remember(out=out)
        return out

    def backward(self, grad_output):
        s = self.cache["out"]
        return [grad_output * s * (1.0 - s)]


class ReLU(Node):
    def forward(self, x):
        self.remember(mask=(x > 0).astype(np.float64))
        return x * self.cache["mask"]

    def backward(self, grad_output):
        return [grad_output * self.cache["mask"]]


class Max(Node):
    def forward(self, x, y):
        take_x = x >= y
        self.remember(take_x=take_x)
        return np.where(take_x, x, y)

    def backward(self, grad_output):
        take_x = self.cache["take_x"]
        return [np.where(take_x, grad_output, 0.0), np.where(take_x, 0.0, grad_output)]
