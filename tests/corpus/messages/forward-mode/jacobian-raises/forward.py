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
        return x + y

    def jvp(self, x_dot, y_dot):
        return x_dot + y_dot


class Mul:
    """out = x * y: the product rule, one term per input."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def jvp(self, x_dot, y_dot):
        return x_dot * self.y + self.x * y_dot


class Pow:
    """out = x ** p for a fixed number p (x > 0 when p is not an integer)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.x = x
        return x ** self.p

    def jvp(self, x_dot):
        return self.p * self.x ** (self.p - 1) * x_dot


class Exp:
    """out = e ** x, whose derivative is itself."""

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def jvp(self, x_dot):
        return self.out * x_dot


class Log:
    """out = ln x for x > 0, with d(ln x)/dx = 1 / x."""

    def forward(self, x):
        self.x = x
        return np.log(x)

    def jvp(self, x_dot):
        return x_dot / self.x


class Sin:
    """out = sin x, with d(sin x)/dx = cos x."""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def jvp(self, x_dot):
        return np.cos(self.x) * x_dot


class Cos:
    """out = cos x, with d(cos x)/dx = -sin x."""

    def forward(self, x):
        self.x = x
        return np.cos(x)

    def jvp(self, x_dot):
        return -np.sin(self.x) * x_dot


class Sigmoid:
    """out = 1 / (1 + e ** -x), with dσ/dx = σ(x) · (1 - σ(x))."""

    def forward(self, x):
        e = np.exp(-np.abs(x))  # never overflows, for x of either sign
        self.out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self.out

    def jvp(self, x_dot):
        return self.out * (1.0 - self.out) * x_dot


class ReLU:
    """out = max(0, x): the tangent passes where x > 0 and is 0 elsewhere."""

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def jvp(self, x_dot):
        return np.where(self.mask, x_dot, 0.0)


def jacobian(f, x):
    """dy/dx of shape (len(y), len(x)): column j is the y_dot of f(x, e_j), where e_j is 1
    at j and 0 elsewhere (one forward-mode pass per input)."""
    columns = []
    for j in range(len(x)):
        e_j = np.zeros(len(x))
        e_j[j] = 1.0
        _, y_dot = f(x, np.eye(len(x)))  # all directions at once
        columns.append(np.asarray(y_dot, dtype=np.float64))
    return np.stack(columns, axis=1)
