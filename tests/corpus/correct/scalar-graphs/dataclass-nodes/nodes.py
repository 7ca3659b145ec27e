"""Nodes as dataclasses; the cache fields are dataclass fields too."""

from dataclasses import dataclass, field
import math
from typing import Any

import numpy as np


@dataclass
class Add:
    def forward(self, x, y):
        return x + y

    def backward(self, grad_output):
        return tuple(grad_output for _ in range(2))


@dataclass
class Mul:
    _xy: Any = field(default=None, repr=False)

    def forward(self, x, y):
        self._xy = (x, y)
        return x * y

    def backward(self, grad_output):
        x, y = self._xy
        return tuple(grad_output * other for other in (y, x))


@dataclass
class Pow:
    p: float = 1.0
    _x: Any = field(default=None, repr=False)

    def forward(self, x):
        self._x = x
        return x ** self.p

    def backward(self, grad_output):
        if self.p == 0:
            return np.zeros_like(grad_output)
        return grad_output * self.p * self._x ** (self.p - 1)


@dataclass
class Exp:
    _out: Any = field(default=None, repr=False)

    def forward(self, x):
        self._out = np.vectorize(math.exp, otypes=[np.float64])(x)
        return self._out

    def backward(self, grad_output):
        return grad_output * self._out


@dataclass
class Inverse:
    _x: Any = field(default=None, repr=False)

    def forward(self, x):
        self._x = x
        return x ** -1.0

    def backward(self, grad_output):
        return -grad_output * self._x ** -2.0


@dataclass
class Sigmoid:
    _out: Any = field(default=None, repr=False)

    def forward(self, x):
        z = np.exp(-np.abs(x))
        self._out = np.where(x >= 0, 1.0, z) / (1.0 + z)
        return self._out

    def backward(self, grad_output):
        return grad_output * self._out * (1 - self._out)


@dataclass
class ReLU:
    _positive: Any = field(default=None, repr=False)

    def forward(self, x):
        self._positive = np.greater(x, 0)
        return np.clip(x, 0.0, None)

    def backward(self, grad_output):
        return np.where(self._positive, grad_output, np.zeros_like(grad_output))


@dataclass
class Max:
    _winner: Any = field(default=None, repr=False)

    def forward(self, x, y):
        both = np.stack([np.asarray(x), np.asarray(y)])
        self._winner = np.argmax(both, axis=0)          # 0 where x wins, 1 where y wins
        return np.max(both, axis=0)

    def backward(self, grad_output):
        g = np.asarray(grad_output)
        return g * (self._winner == 0), g * (self._winner == 1)
