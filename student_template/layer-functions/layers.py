"""Layers as pairs of functions with a cache, batch first.

Each ``<name>_forward(...)`` returns ``(out, cache)``; ``<name>_backward(dout, cache)``
returns the gradients of the forward's array inputs, in order (a bare array when there is
one), each shaped like its input. The cache is yours: store whatever backward needs. The
losses return ``(loss, dx)``. Settings come in a dict (``bn_param``, ``ln_param``,
``dropout_param``, ``conv_param``, ``pool_param``); only batch norm changes its dict, by
storing its running statistics there in train mode.

Do not modify the input arrays or ``dout``. Use numpy and the standard library.
"""

import numpy as np


def affine_forward(x, w, b):
    """out = x.reshape(N, D) @ w + b for x (N, d_1, ..., d_k), w (D, M), b (M,)."""
    raise NotImplementedError('affine_forward: flatten each example of x to a row, return (x_rows @ w + b, cache)')


def affine_backward(dout, cache):
    """Returns (dx, dw, db); dx has x's own shape."""
    raise NotImplementedError("affine_backward: return (dx, dw, db), with dx reshaped back to x's shape")


def relu_forward(x):
    """out = max(0, x), for x of any shape."""
    raise NotImplementedError('relu_forward: return (max(0, x), cache)')


def relu_backward(dout, cache):
    """Returns dx: dout where x > 0, else 0."""
    raise NotImplementedError('relu_backward: return dx, dout passed where x > 0')


def svm_loss(x, y):
    """The multiclass SVM loss of scores x (N, C) for labels y (N,); returns (loss, dx)."""
    raise NotImplementedError('svm_loss: margins max(0, x_j - x_y + 1) for j != y, summed per row and averaged; return (loss, dx)')


def softmax_loss(x, y):
    """Softmax cross-entropy of scores x (N, C) for labels y (N,); returns (loss, dx)."""
    raise NotImplementedError("softmax_loss: a stable log-softmax (subtract each row's max); return (mean of -log p[y], (p - one_hot(y)) / N)")


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch norm of x (N, D) over the batch (train) or with the running statistics (test)."""
    raise NotImplementedError("batchnorm_forward: train: normalize with the batch's mean and variance and update bn_param's running statistics; test: use them; return (out, cache)")


def batchnorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta); in train mode dx includes the paths through the batch's
    mean and variance."""
    raise NotImplementedError('batchnorm_backward: return (dx, dgamma, dbeta); in train mode dx also flows through the batch mean and variance')


def layernorm_forward(x, gamma, beta, ln_param):
    """Each row of x (N, D) normalized over its features, then scaled and shifted."""
    raise NotImplementedError('layernorm_forward: normalize each row over its D features (axis 1); return (gamma * xhat + beta, cache)')


def layernorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta)."""
    raise NotImplementedError("layernorm_backward: return (dx, dgamma, dbeta): batch norm's backward with the roles of the axes swapped")


def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability p (scaled by 1 / p) in train mode."""
    raise NotImplementedError('dropout_forward: seed if given; train: mask = (np.random.rand(*x.shape) < p) / p, out = x * mask; test: out = x; return (out, cache)')


def dropout_backward(dout, cache):
    """Returns dx, through the mask the forward drew."""
    raise NotImplementedError("dropout_backward: return dx: dout times the forward's mask in train mode, dout in test mode")


def conv_forward_naive(x, w, b, conv_param):
    """Cross-correlation of x (N, C, H, W) with filters w (F, C, HH, WW), plus b (F,)."""
    raise NotImplementedError('conv_forward_naive: pad x, then loop over the output positions; return (out, cache)')


def conv_backward_naive(dout, cache):
    """Returns (dx, dw, db); dx has x's shape (the padding stripped)."""
    raise NotImplementedError('conv_backward_naive: return (dx, dw, db): each output position sends dout back to its window; strip the padding from dx')


def max_pool_forward_naive(x, pool_param):
    """The maximum of each pool_height x pool_width window of x (N, C, H, W)."""
    raise NotImplementedError("max_pool_forward_naive: loop over the output positions, take each window's max; return (out, cache)")


def max_pool_backward_naive(dout, cache):
    """Returns dx: each window's gradient goes to its first maximum (windows that overlap add up)."""
    raise NotImplementedError("max_pool_backward_naive: return dx: each window's dout goes to its first maximum (np.argmax), added up where windows overlap")


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch norm of x (N, C, H, W) per channel, over N, H and W."""
    raise NotImplementedError('spatial_batchnorm_forward: move the channels last, flatten to (N*H*W, C), reuse batchnorm_forward; return (out, cache)')


def spatial_batchnorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta)."""
    raise NotImplementedError("spatial_batchnorm_backward: flatten dout like the forward's input, reuse batchnorm_backward, shape dx back; return (dx, dgamma, dbeta)")
