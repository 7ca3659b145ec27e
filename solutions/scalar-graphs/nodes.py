"""Element-wise nodes of a computational graph.

Each node is a class with two methods:

- ``forward(*inputs)`` takes numpy arrays of one shape (0-d for scalars) and returns the
  output. Keep on ``self`` whatever ``backward`` will need.
- ``backward(grad_output)`` takes dL/d(output), shaped like the output, and returns a
  tuple with dL/d(input) for each input, in order (a unary node may return the array).

Do not modify the input arrays or ``grad_output``: compute new arrays instead.
"""

import numpy as np


class Add:
    """out = x + y. The add gate distributes the gradient: both inputs get it unchanged."""

    def forward(self, x, y):
        # BEGIN SOLUTION Add.forward: return x + y
        return x + y
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Add.backward: return (dL/dx, dL/dy), each equal to grad_output
        return grad_output, grad_output
        # END SOLUTION


class Mul:
    """out = x * y. The mul gate switches: each input gets the gradient times the other."""

    def forward(self, x, y):
        # BEGIN SOLUTION Mul.forward: remember x and y for backward, then return x * y
        self.x, self.y = x, y
        return x * y
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Mul.backward: return (grad_output * y, grad_output * x)
        return grad_output * self.y, grad_output * self.x
        # END SOLUTION


class Pow:
    """out = x ** p for a fixed number p (x > 0 when p is not an integer)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        # BEGIN SOLUTION Pow.forward: remember x, then return x ** self.p
        self.x = x
        return x ** self.p
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Pow.backward: d(x ** p)/dx = p * x ** (p - 1)
        return grad_output * self.p * self.x ** (self.p - 1)
        # END SOLUTION


class Exp:
    """out = e ** x, whose derivative is itself."""

    def forward(self, x):
        # BEGIN SOLUTION Exp.forward: return np.exp(x), keeping it for backward
        self.out = np.exp(x)
        return self.out
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Exp.backward: d(e ** x)/dx = e ** x
        return grad_output * self.out
        # END SOLUTION


class Inverse:
    """out = 1 / x, with d(1/x)/dx = -1 / x ** 2."""

    def forward(self, x):
        # BEGIN SOLUTION Inverse.forward: return 1 / x, keeping what backward needs
        self.out = 1.0 / x
        return self.out
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Inverse.backward: d(1/x)/dx = -1 / x ** 2
        return -grad_output * self.out * self.out
        # END SOLUTION


class Sigmoid:
    """out = 1 / (1 + e ** -x), with dσ/dx = σ(x) · (1 - σ(x))."""

    def forward(self, x):
        # BEGIN SOLUTION Sigmoid.forward: return 1 / (1 + np.exp(-x)), keeping it for backward
        e = np.exp(-np.abs(x))  # never overflows, for x of either sign
        self.out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.out
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Sigmoid.backward: dσ/dx = σ(x) * (1 - σ(x))
        return grad_output * self.out * (1.0 - self.out)
        # END SOLUTION


class ReLU:
    """out = max(0, x): the gradient passes where x > 0 and is 0 elsewhere."""

    def forward(self, x):
        # BEGIN SOLUTION ReLU.forward: remember where x > 0, then return np.maximum(x, 0)
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION ReLU.backward: grad_output where x > 0, else 0
        return np.where(self.mask, grad_output, 0.0)
        # END SOLUTION


class Max:
    """out = max(x, y) element-wise. The max gate routes the gradient to the larger input."""

    def forward(self, x, y):
        # BEGIN SOLUTION Max.forward: remember where x > y, then return np.maximum(x, y)
        self.x_wins = x > y
        return np.maximum(x, y)
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Max.backward: grad_output goes to x where x > y, to y elsewhere
        return (np.where(self.x_wins, grad_output, 0.0),
                np.where(self.x_wins, 0.0, grad_output))
        # END SOLUTION
