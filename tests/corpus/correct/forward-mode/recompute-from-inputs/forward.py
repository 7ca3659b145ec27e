"""jvp recomputes every derivative from the inputs forward kept (as lists of copies); the
Jacobian is assembled from a list of columns turned into an array and transposed."""

import numpy as np


class Add:
    def forward(self, x, y):
        self.inputs = [x.copy(), y.copy()]
        return x + y

    def jvp(self, x_dot, y_dot):
        return sum([x_dot, y_dot])


class Mul:
    def forward(self, x, y):
        self.inputs = [x.copy(), y.copy()]
        return x * y

    def jvp(self, x_dot, y_dot):
        x, y = self.inputs
        partials = [y, x]
        return sum(d * t for d, t in zip(partials, [x_dot, y_dot]))


class Pow:
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.inputs = [x.copy()]
        return x ** self.p

    def jvp(self, x_dot):
        (x,) = self.inputs
        return (self.p * x ** (self.p - 1)) * x_dot


class Exp:
    def forward(self, x):
        self.inputs = [x.copy()]
        return np.exp(x)

    def jvp(self, x_dot):
        return np.exp(self.inputs[0]) * x_dot


class Log:
    def forward(self, x):
        self.inputs = [x.copy()]
        return np.log(x)

    def jvp(self, x_dot):
        return x_dot * (1.0 / self.inputs[0])


class Sin:
    def forward(self, x):
        self.inputs = [x.copy()]
        return np.sin(x)

    def jvp(self, x_dot):
        return np.cos(self.inputs[0]) * x_dot


class Cos:
    def forward(self, x):
        self.inputs = [x.copy()]
        return np.cos(x)

    def jvp(self, x_dot):
        return np.sin(self.inputs[0]) * -x_dot


class Sigmoid:
    def forward(self, x):
        self.inputs = [x.copy()]
        return self._sigma(x)

    @staticmethod
    def _sigma(x):
        return np.exp(-np.logaddexp(0.0, -x))

    def jvp(self, x_dot):
        s = self._sigma(self.inputs[0])
        return s * (1 - s) * x_dot


class ReLU:
    def forward(self, x):
        self.inputs = [x.copy()]
        return x * (x > 0)

    def jvp(self, x_dot):
        return x_dot * (self.inputs[0] > 0)


def jacobian(f, x):
    columns = []
    for j in range(len(x)):
        x_dot = [1.0 if k == j else 0.0 for k in range(len(x))]   # a list is fine for f
        columns.append(f(list(x), x_dot)[1])
    return np.array(columns).T    # rows of this array are columns of dy/dx
