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
        # BEGIN SOLUTION Add.forward: return x + y
        return x + y
        # END SOLUTION

    def jvp(self, x_dot, y_dot):
        # BEGIN SOLUTION Add.jvp: the tangent of x + y is x_dot + y_dot
        return x_dot + y_dot
        # END SOLUTION


class Mul:
    """out = x * y: the product rule, one term per input."""

    def forward(self, x, y):
        # BEGIN SOLUTION Mul.forward: remember x and y for jvp, then return x * y
        self.x, self.y = x, y
        return x * y
        # END SOLUTION

    def jvp(self, x_dot, y_dot):
        # BEGIN SOLUTION Mul.jvp: the tangent of x * y is x_dot * y + x * y_dot
        return x_dot * self.y + self.x * y_dot
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

    def jvp(self, x_dot):
        # BEGIN SOLUTION Pow.jvp: d(x ** p)/dx = p * x ** (p - 1), times x_dot
        return self.p * self.x ** (self.p - 1) * x_dot
        # END SOLUTION


class Exp:
    """out = e ** x, whose derivative is itself."""

    def forward(self, x):
        # BEGIN SOLUTION Exp.forward: return np.exp(x), keeping it for jvp
        self.out = np.exp(x)
        return self.out
        # END SOLUTION

    def jvp(self, x_dot):
        # BEGIN SOLUTION Exp.jvp: d(e ** x)/dx = e ** x, times x_dot
        return self.out * x_dot
        # END SOLUTION


class Log:
    """out = ln x for x > 0, with d(ln x)/dx = 1 / x."""

    def forward(self, x):
        # BEGIN SOLUTION Log.forward: remember x, then return np.log(x)
        self.x = x
        return np.log(x)
        # END SOLUTION

    def jvp(self, x_dot):
        # BEGIN SOLUTION Log.jvp: d(ln x)/dx = 1 / x, times x_dot
        return x_dot / self.x
        # END SOLUTION


class Sin:
    """out = sin x, with d(sin x)/dx = cos x."""

    def forward(self, x):
        # BEGIN SOLUTION Sin.forward: remember x, then return np.sin(x)
        self.x = x
        return np.sin(x)
        # END SOLUTION

    def jvp(self, x_dot):
        # BEGIN SOLUTION Sin.jvp: d(sin x)/dx = cos x, times x_dot
        return np.cos(self.x) * x_dot
        # END SOLUTION


class Cos:
    """out = cos x, with d(cos x)/dx = -sin x."""

    def forward(self, x):
        # BEGIN SOLUTION Cos.forward: remember x, then return np.cos(x)
        self.x = x
        return np.cos(x)
        # END SOLUTION

    def jvp(self, x_dot):
        # BEGIN SOLUTION Cos.jvp: d(cos x)/dx = -sin x, times x_dot
        return -np.sin(self.x) * x_dot
        # END SOLUTION


class Sigmoid:
    """out = 1 / (1 + e ** -x), with dσ/dx = σ(x) · (1 - σ(x))."""

    def forward(self, x):
        # BEGIN SOLUTION Sigmoid.forward: return 1 / (1 + np.exp(-x)), keeping it for jvp
        e = np.exp(-np.abs(x))  # never overflows, for x of either sign
        self.out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.out
        # END SOLUTION

    def jvp(self, x_dot):
        # BEGIN SOLUTION Sigmoid.jvp: dσ/dx = σ(x) * (1 - σ(x)), times x_dot
        return self.out * (1.0 - self.out) * x_dot
        # END SOLUTION


class ReLU:
    """out = max(0, x): the tangent passes where x > 0 and is 0 elsewhere."""

    def forward(self, x):
        # BEGIN SOLUTION ReLU.forward: remember where x > 0, then return np.maximum(x, 0)
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)
        # END SOLUTION

    def jvp(self, x_dot):
        # BEGIN SOLUTION ReLU.jvp: x_dot where x > 0, else 0
        return np.where(self.mask, x_dot, 0.0)
        # END SOLUTION


def jacobian(f, x):
    """dy/dx of shape (len(y), len(x)): column j is the y_dot of f(x, e_j), where e_j is 1
    at j and 0 elsewhere (one forward-mode pass per input)."""
    # BEGIN SOLUTION jacobian: for each j, call f(x, e_j) once; its y_dot is column j of dy/dx
    columns = []
    for j in range(len(x)):
        e_j = np.zeros(len(x))
        e_j[j] = 1.0
        _, y_dot = f(x, e_j)
        columns.append(np.asarray(y_dot, dtype=np.float64))
    return np.stack(columns, axis=1)
    # END SOLUTION
