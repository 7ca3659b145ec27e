import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def affine_forward(x, w, b):
    rows = x.reshape(x.shape[0], w.shape[0])
    return np.einsum("nd,dm->nm", rows, w) + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    rows = x.reshape(x.shape[0], -1)
    return np.einsum("nm,dm->nd", dout, w).reshape(x.shape), np.einsum("nd,nm->dm", rows, dout), dout.sum(0)


def relu_forward(x):
    return x * (x > 0), x > 0


def relu_backward(dout, cache):
    return dout * cache


def svm_loss(x, y):
    N = len(y)
    idx = np.arange(N)
    margins = x - x[idx, y, None] + 1
    margins[idx, y] = 0
    active = margins > 0
    loss = margins[active].sum() / N
    dx = active.astype(np.float64)
    np.add.at(dx, (idx, y), -active.sum(axis=1))
    return float(loss), dx / N


def softmax_loss(x, y):
    N = len(y)
    log_z = np.logaddexp.reduce(x, axis=1, keepdims=True)
    log_p = x - log_z
    onehot = np.zeros_like(x)
    np.add.at(onehot, (np.arange(N), y), 1.0)
    return float(-(log_p * onehot).sum() / N), (np.exp(log_p) - onehot) / N


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    if bn_param["mode"] == "train":
        mean = x.sum(axis=0) / len(x)
        var = ((x - mean) ** 2).sum(axis=0) / len(x)
        if "running_mean" in bn_param:
            # in place: the arrays the dict holds are updated themselves
            bn_param["running_mean"] *= momentum
            bn_param["running_mean"] += (1 - momentum) * mean
            bn_param["running_var"] *= momentum
            bn_param["running_var"] += (1 - momentum) * var
        else:
            bn_param["running_mean"] = (1 - momentum) * mean
            bn_param["running_var"] = (1 - momentum) * var
        train = True
    else:
        mean = bn_param.get("running_mean", np.zeros(D))
        var = bn_param.get("running_var", np.zeros(D))
        train = False
    inv = (var + eps) ** -0.5
    xhat = (x - mean) * inv
    return xhat * gamma + beta, [train, xhat, gamma, inv]


def batchnorm_backward(dout, cache):
    train, xhat, gamma, inv = cache
    g = dout * gamma
    dx = g * inv
    if train:
        # the simplified form: subtract the projections on the mean's and the variance's paths
        dx = inv * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param["eps"] if "eps" in ln_param else 1e-5
    mean = x.mean(axis=1)[:, None]
    inv = 1 / np.sqrt(((x - mean) ** 2).mean(axis=1) + eps)[:, None]
    xhat = (x - mean) * inv
    return xhat * gamma + beta, [xhat, gamma, inv]


def layernorm_backward(dout, cache):
    xhat, gamma, inv = cache
    g = dout * gamma
    dx = inv * (g - g.mean(axis=1)[:, None] - xhat * (g * xhat).mean(axis=1)[:, None])
    return dx, np.einsum("nd,nd->d", dout, xhat), dout.sum(axis=0)


def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if dropout_param["mode"] != "train":
        return x.copy(), None
    mask = (np.random.rand(*x.shape) < p) / p
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout.copy() if cache is None else dout * cache


def conv_forward_naive(x, w, b, conv_param):
    s, pad = conv_param["stride"], conv_param["pad"]
    HH, WW = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    windows = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::s, ::s]   # (N, C, Ho, Wo, HH, WW)
    out = np.einsum("nchwij,fcij->nfhw", windows, w) + b[:, None, None]
    return out, (x, w, s, pad)


def conv_backward_naive(dout, cache):
    x, w, s, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    # one loop per kernel offset: each offset sees a strided slice of the padded input
    for i in range(HH):
        for j in range(WW):
            patch = xp[:, :, i:i + s * Ho:s, j:j + s * Wo:s]            # (N, C, Ho, Wo)
            dw[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, patch)
            dxp[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, np.einsum("nfhw->f", dout)


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    windows = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]  # (N, C, Ho, Wo, ph, pw)
    flat = windows.reshape(*windows.shape[:4], -1)
    first = flat.argmax(axis=-1)
    return flat.max(axis=-1), (x.shape, first, ph, pw, s)


def max_pool_backward_naive(dout, cache):
    shape, first, ph, pw, s = cache
    N, C, Ho, Wo = dout.shape
    n, c, i, j = np.indices((N, C, Ho, Wo))
    rows = i * s + first // pw
    cols = j * s + first % pw
    dx = np.zeros(shape)
    np.add.at(dx, (n, c, rows, cols), dout)    # overlapping windows may pick one entry twice
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    # normalized over N, H and W directly, without reshaping
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    C = x.shape[1]
    if bn_param["mode"] == "train":
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros(C)) + (1 - momentum) * mean
        bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros(C)) + (1 - momentum) * var
    else:
        mean, var = bn_param.get("running_mean", np.zeros(C)), bn_param.get("running_var", np.zeros(C))
    inv = 1 / np.sqrt(var + eps)[None, :, None, None]
    xhat = (x - mean[None, :, None, None]) * inv
    out = gamma[None, :, None, None] * xhat + beta[None, :, None, None]
    return out, (bn_param["mode"] == "train", xhat, gamma, inv)


def spatial_batchnorm_backward(dout, cache):
    train, xhat, gamma, inv = cache
    axes = (0, 2, 3)
    g = dout * gamma[None, :, None, None]
    if train:
        dx = inv * (g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True))
    else:
        dx = g * inv
    return dx, (dout * xhat).sum(axis=axes), dout.sum(axis=axes)
