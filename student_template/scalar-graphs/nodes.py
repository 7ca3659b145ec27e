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
        raise NotImplementedError('Add.forward: return x + y')

    def backward(self, grad_output):
        raise NotImplementedError('Add.backward: return (dL/dx, dL/dy), each equal to grad_output')


class Mul:
    """out = x * y. The mul gate switches: each input gets the gradient times the other."""

    def forward(self, x, y):
        raise NotImplementedError('Mul.forward: remember x and y for backward, then return x * y')

    def backward(self, grad_output):
        raise NotImplementedError('Mul.backward: return (grad_output * y, grad_output * x)')


class Pow:
    """out = x ** p for a fixed number p (x > 0 when p is not an integer)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        raise NotImplementedError('Pow.forward: remember x, then return x ** self.p')

    def backward(self, grad_output):
        raise NotImplementedError('Pow.backward: d(x ** p)/dx = p * x ** (p - 1)')


class Exp:
    """out = e ** x, whose derivative is itself."""

    def forward(self, x):
        raise NotImplementedError('Exp.forward: return np.exp(x), keeping it for backward')

    def backward(self, grad_output):
        raise NotImplementedError('Exp.backward: d(e ** x)/dx = e ** x')


class Inverse:
    """out = 1 / x, with d(1/x)/dx = -1 / x ** 2."""

    def forward(self, x):
        raise NotImplementedError('Inverse.forward: return 1 / x, keeping what backward needs')

    def backward(self, grad_output):
        raise NotImplementedError('Inverse.backward: d(1/x)/dx = -1 / x ** 2')


class Sigmoid:
    """out = 1 / (1 + e ** -x), with dσ/dx = σ(x) · (1 - σ(x))."""

    def forward(self, x):
        raise NotImplementedError('Sigmoid.forward: return 1 / (1 + np.exp(-x)), keeping it for backward')

    def backward(self, grad_output):
        raise NotImplementedError('Sigmoid.backward: dσ/dx = σ(x) * (1 - σ(x))')


class ReLU:
    """out = max(0, x): the gradient passes where x > 0 and is 0 elsewhere."""

    def forward(self, x):
        raise NotImplementedError('ReLU.forward: remember where x > 0, then return np.maximum(x, 0)')

    def backward(self, grad_output):
        raise NotImplementedError('ReLU.backward: grad_output where x > 0, else 0')


class Max:
    """out = max(x, y) element-wise. The max gate routes the gradient to the larger input."""

    def forward(self, x, y):
        raise NotImplementedError('Max.forward: remember where x > y, then return np.maximum(x, y)')

    def backward(self, grad_output):
        raise NotImplementedError('Max.backward: grad_output goes to x where x > y, to y elsewhere')
