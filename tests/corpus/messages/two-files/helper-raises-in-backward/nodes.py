"""Mul, with its gradients written in helpers.py."""

from helpers import gradient


class Mul:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, grad_output):
        return gradient(grad_output, self.y), gradient(grad_output, self.x)
