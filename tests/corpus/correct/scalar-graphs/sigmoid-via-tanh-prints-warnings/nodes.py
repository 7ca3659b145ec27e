"""Debugging output left in: prints in forward, warnings in backward. Unary nodes return bare arrays."""

import warnings

import numpy as np


class Add:
    def forward(self, x, y):
        print("Add.forward", np.shape(x), np.shape(y))
        return np.add(x, y)

    def backward(self, grad_output):
        warnings.warn("Add.backward called")
        return grad_output, grad_output


class Mul:
    def forward(self, x, y):
        print("Mul.forward x =", x, "y =", y)
        self.x = x
        self.y = y
        return np.multiply(x, y)

    def backward(self, grad_output):
        warnings.warn(f"Mul.backward got {grad_output!r}", RuntimeWarning)
        return np.multiply(grad_output, self.y), np.multiply(grad_output, self.x)


class Pow:
    def __init__(self, p):
        print("Pow with p =", p)
        self.p = p

    def forward(self, x):
        self.x = x
        return np.float_power(x, self.p)

    def backward(self, grad_output):
        warnings.warn("Pow.backward", UserWarning)
        return grad_output * self.p * np.float_power(self.x, self.p - 1)


class Exp:
    def forward(self, x):
        self.out = np.exp(x)
        print("exp ->", self.out)
        return self.out

    def backward(self, grad_output):
        return self.out * grad_output


class Inverse:
    def forward(self, x):
        self.out = np.reciprocal(x)
        return self.out

    def backward(self, grad_output):
        warnings.warn("Inverse.backward")
        return -np.square(self.out) * grad_output


class Sigmoid:
    """sigma(x) = (1 + tanh(x / 2)) / 2, which never overflows."""

    def forward(self, x):
        self.t = np.tanh(0.5 * x)
        print("sigmoid via tanh")
        return 0.5 * (1.0 + self.t)

    def backward(self, grad_output):
        # d/dx (1 + tanh(x/2)) / 2 = (1 - tanh(x/2)^2) / 4
        warnings.warn("Sigmoid.backward")
        return grad_output * 0.25 * (1.0 - self.t) * (1.0 + self.t)


class ReLU:
    def forward(self, x):
        out = x.copy()          # work on my own copy, never on x
        out[out < 0] = 0.0
        self.mask = x > 0
        print("relu zeroed", int(np.sum(~self.mask)), "entries")
        return out

    def backward(self, grad_output):
        g = grad_output.copy()  # again my own copy
        g[~self.mask] = 0.0
        return g


class Max:
    def forward(self, x, y):
        self.x_wins = x > y
        print("Max.forward")
        return np.maximum(x, y)

    def backward(self, grad_output):
        warnings.warn("Max.backward")
        dx = np.zeros_like(grad_output)
        dy = np.zeros_like(grad_output)
        dx[self.x_wins] = grad_output[self.x_wins]
        dy[~self.x_wins] = grad_output[~self.x_wins]
        return dx, dy
