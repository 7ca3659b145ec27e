"""Mul is right; Exp.forward asks for 2 GiB at once, Sigmoid.forward fills memory 32 MiB at
a time up to 2 GiB: both more than Gradescope's whole container (768 MB)."""

import numpy as np


class Mul:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, grad_output):
        return grad_output * self.y, grad_output * self.x


class Exp:
    def forward(self, x):
        big = np.ones(2**28)  # 2 GiB of float64
        self.out = np.exp(x) * big[0]
        return self.out

    def backward(self, grad_output):
        return grad_output * self.out


class Sigmoid:
    def forward(self, x):
        hoard = []
        for _ in range(64):  # 64 x 32 MiB = 2 GiB, every page touched
            hoard.append(np.full(2**22, 1.0))
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, grad_output):
        return grad_output * self.out * (1 - self.out)
