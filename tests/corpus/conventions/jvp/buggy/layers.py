import numpy as np


class Linear:
    def forward(self, x, W, b):
        self.x, self.W = x, W
        return x @ W.T + b

    def jvp(self, x_dot, W_dot, b_dot):
        return x_dot @ self.W.T + self.x @ W_dot.T


class Tanh:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def jvp(self, x_dot):
        return (1.0 - self.out ** 2) * x_dot
