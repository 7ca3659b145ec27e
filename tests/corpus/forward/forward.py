import numpy as np


class ReLU:
    def forward(self, x):
        self.on = x > 0
        return np.where(self.on, x, 0.0)

    def jvp(self, x_dot):
        return np.where(self.on, x_dot, 0.0)


class Mul:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def jvp(self, x_dot, y_dot):
        return x_dot * self.y + self.x * y_dot


class Sin:
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def jvp(self, x_dot):
        return np.cos(self.x) * x_dot


def jacobian(f, x):
    return np.stack([f(x, e)[1] for e in np.eye(len(x))], axis=1)
