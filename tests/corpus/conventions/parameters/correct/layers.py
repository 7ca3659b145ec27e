import numpy as np


class Linear:
    def __init__(self, in_features=3, out_features=2):
        self.W = np.random.randn(out_features, in_features) * 0.01
        self.b = np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, dout):
        self.dW = dout.T @ self.x
        self.db = dout.sum(axis=0)
        return dout @ self.W
