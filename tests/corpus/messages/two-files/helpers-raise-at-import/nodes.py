"""Mul, with the product written in helpers.py."""

from helpers import product


class Mul:
    def forward(self, x, y):
        self.x, self.y = x, y
        return product(x, y)

    def backward(self, grad_output):
        return product(grad_output, self.y), product(grad_output, self.x)
