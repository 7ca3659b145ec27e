import numpy as np


def dropout_forward(x, dropout_param):
    # BEGIN SOLUTION dropout_forward: return (out, cache); keep each entry with probability p, scaled by 1 / p
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)
    # END SOLUTION


def dropout_backward(dout, cache):
    # BEGIN SOLUTION dropout_backward: return dx, with the forward's mask
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout
    # END SOLUTION
