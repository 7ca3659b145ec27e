class Linear:
    @staticmethod
    def forward(x, W, b):
        return x @ W.T + b, (x, W)

    @staticmethod
    def backward(dout, cache):
        x, W = cache
        return dout @ W, dout.T @ x, dout.sum(axis=0)
