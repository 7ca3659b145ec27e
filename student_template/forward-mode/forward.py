"""Forward-mode differentiation: element-wise nodes that push tangents forward, and a
Jacobian built from them.

Each node is a class with two methods:

- ``forward(*inputs)`` takes numpy arrays of one shape (0-d for scalars) and returns the
  output. Keep on ``self`` whatever ``jvp`` will need.
- ``jvp(*input_tangents)`` is called after ``forward`` on the same instance, with one
  tangent per input (x_dot, shaped like x), and returns the output's tangent: the sum over
  the inputs of d(out)/d(input) times that input's tangent. For out = sin(x) that is
  cos(x) * x_dot, not cos(x) alone.

``jacobian(f, x)`` gets ``f(x, x_dot) -> (y, y_dot)``, which evaluates a function forward
mode, and builds dy/dx of shape (len(y), len(x)) from exactly len(x) calls of f.

Do not modify the input arrays or the tangents: compute new arrays instead.
"""

import numpy as np


class Add:
    """out = x + y: the tangents add up."""

    def forward(self, x, y):
        raise NotImplementedError('Add.forward: return x + y')

    def jvp(self, x_dot, y_dot):
        raise NotImplementedError('Add.jvp: the tangent of x + y is x_dot + y_dot')


class Mul:
    """out = x * y: the product rule, one term per input."""

    def forward(self, x, y):
        raise NotImplementedError('Mul.forward: remember x and y for jvp, then return x * y')

    def jvp(self, x_dot, y_dot):
        raise NotImplementedError('Mul.jvp: the tangent of x * y is x_dot * y + x * y_dot')


class Pow:
    """out = x ** p for a fixed number p (x > 0 when p is not an integer)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        raise NotImplementedError('Pow.forward: remember x, then return x ** self.p')

    def jvp(self, x_dot):
        raise NotImplementedError('Pow.jvp: d(x ** p)/dx = p * x ** (p - 1), times x_dot')


class Exp:
    """out = e ** x, whose derivative is itself."""

    def forward(self, x):
        raise NotImplementedError('Exp.forward: return np.exp(x), keeping it for jvp')

    def jvp(self, x_dot):
        raise NotImplementedError('Exp.jvp: d(e ** x)/dx = e ** x, times x_dot')


class Log:
    """out = ln x for x > 0, with d(ln x)/dx = 1 / x."""

    def forward(self, x):
        raise NotImplementedError('Log.forward: remember x, then return np.log(x)')

    def jvp(self, x_dot):
        raise NotImplementedError('Log.jvp: d(ln x)/dx = 1 / x, times x_dot')


class Sin:
    """out = sin x, with d(sin x)/dx = cos x."""

    def forward(self, x):
        raise NotImplementedError('Sin.forward: remember x, then return np.sin(x)')

    def jvp(self, x_dot):
        raise NotImplementedError('Sin.jvp: d(sin x)/dx = cos x, times x_dot')


class Cos:
    """out = cos x, with d(cos x)/dx = -sin x."""

    def forward(self, x):
        raise NotImplementedError('Cos.forward: remember x, then return np.cos(x)')

    def jvp(self, x_dot):
        raise NotImplementedError('Cos.jvp: d(cos x)/dx = -sin x, times x_dot')


class Sigmoid:
    """out = 1 / (1 + e ** -x), with dσ/dx = σ(x) · (1 - σ(x))."""

    def forward(self, x):
        raise NotImplementedError('Sigmoid.forward: return 1 / (1 + np.exp(-x)), keeping it for jvp')

    def jvp(self, x_dot):
        raise NotImplementedError('Sigmoid.jvp: dσ/dx = σ(x) * (1 - σ(x)), times x_dot')


class ReLU:
    """out = max(0, x): the tangent passes where x > 0 and is 0 elsewhere."""

    def forward(self, x):
        raise NotImplementedError('ReLU.forward: remember where x > 0, then return np.maximum(x, 0)')

    def jvp(self, x_dot):
        raise NotImplementedError('ReLU.jvp: x_dot where x > 0, else 0')


def jacobian(f, x):
    """dy/dx of shape (len(y), len(x)): column j is the y_dot of f(x, e_j), where e_j is 1
    at j and 0 elsewhere (one forward-mode pass per input)."""
    raise NotImplementedError('jacobian: for each j, call f(x, e_j) once; its y_dot is column j of dy/dx')
