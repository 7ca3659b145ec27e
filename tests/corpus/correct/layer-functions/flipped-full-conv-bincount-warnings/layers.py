import warnings

import numpy as np
from numpy.lib.stride_tricks import as_strided

EPS = 1e-5


def affine_forward(x, w, b):
    N = x.shape[0]
    out = np.matmul(np.reshape(x, (N, -1)), w) + b
    return out, {"x": x, "w": w}


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = np.reshape(np.matmul(dout, w.T), np.shape(x))
    dw = np.matmul(np.reshape(x, (x.shape[0], -1)).T, dout)
    return dx, dw, np.sum(dout, axis=0)


def relu_forward(x):
    return np.clip(x, 0, None), {"x": x}


def relu_backward(dout, cache):
    return dout * np.heaviside(cache["x"], 0.0)


def svm_loss(x, y):
    N, C = x.shape
    margins = x - np.take_along_axis(x, y[:, None], axis=1) + 1.0
    margins[np.arange(N), y] = 0.0
    active = margins > 0
    loss = np.sum(margins * active) / N
    # the label column of row i gets minus the count of active margins: a bincount over flat indices
    dx = active.astype(float) - np.bincount(np.arange(N) * C + y, weights=active.sum(axis=1),
                                            minlength=N * C).reshape(N, C)
    return loss, dx / N


def softmax_loss(x, y):
    N, C = x.shape
    z = x - x.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    labels = np.bincount(np.arange(N) * C + y, minlength=N * C).reshape(N, C)
    return -np.sum(log_p * labels) / N, (np.exp(log_p) - labels) / N


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", EPS)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    if mode == "train":
        mu, sigma2 = np.mean(x, axis=0), np.var(x, axis=0)
        bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros(D)) + (1 - momentum) * mu
        bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros(D)) + (1 - momentum) * sigma2
    elif mode == "test":
        if "running_mean" not in bn_param:
            warnings.warn("batchnorm_forward in test mode before any training: running statistics are zeros")
        mu = bn_param.get("running_mean", np.zeros(D))
        sigma2 = bn_param.get("running_var", np.zeros(D))
    else:
        raise ValueError(mode)
    xhat = (x - mu) / np.sqrt(sigma2 + eps)
    return gamma * xhat + beta, {"mode": mode, "xhat": xhat, "gamma": gamma, "sigma": np.sqrt(sigma2 + eps)}


def batchnorm_backward(dout, cache):
    xhat, gamma, sigma = cache["xhat"], cache["gamma"], cache["sigma"]
    dgamma, dbeta = np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)
    if cache["mode"] == "test":
        return dout * gamma / sigma, dgamma, dbeta
    N = dout.shape[0]
    dx = gamma / (N * sigma) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", EPS)
    sigma = np.sqrt(np.var(x, axis=1, keepdims=True) + eps)
    xhat = (x - np.mean(x, axis=1, keepdims=True)) / sigma
    return gamma * xhat + beta, {"xhat": xhat, "gamma": gamma, "sigma": sigma}


def layernorm_backward(dout, cache):
    xhat, gamma, sigma = cache["xhat"], cache["gamma"], cache["sigma"]
    D = dout.shape[1]
    g = dout * gamma
    dx = (D * g - g.sum(axis=1, keepdims=True) - xhat * (g * xhat).sum(axis=1, keepdims=True)) / (D * sigma)
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "test":
        return np.array(x, copy=True), {"mode": mode}
    keep = np.random.binomial(1, p, size=x.shape)   # not rand() < p, but a mask of the same law
    return x * keep / p, {"mode": mode, "keep": keep, "p": p}


def dropout_backward(dout, cache):
    if cache["mode"] == "test":
        return np.array(dout, copy=True)
    return dout * cache["keep"] / cache["p"]


def _windows(x, HH, WW, stride):
    """A read-only (N, C, Ho, Wo, HH, WW) view of every window of x."""
    N, C, H, W = x.shape
    Ho, Wo = (H - HH) // stride + 1, (W - WW) // stride + 1
    sn, sc, sh, sw = x.strides
    return as_strided(x, (N, C, Ho, Wo, HH, WW), (sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.tensordot(_windows(xp, w.shape[2], w.shape[3], stride), w, axes=([1, 4, 5], [1, 2, 3]))
    out = out.transpose(0, 3, 1, 2) + b[None, :, None, None]
    return out, {"xp": xp, "w": w, "stride": stride, "pad": pad, "x_shape": x.shape}


def conv_backward_naive(dout, cache):
    xp, w, stride, pad = cache["xp"], cache["w"], cache["stride"], cache["pad"]
    N, C, H, W = cache["x_shape"]
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    dw = np.tensordot(dout, _windows(xp, HH, WW, stride), axes=([0, 2, 3], [0, 2, 3]))
    # dx: the full convolution of dout (dilated by the stride) with the flipped filters
    dilated = np.zeros((N, F, (Ho - 1) * stride + 1, (Wo - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = dout
    full = np.pad(dilated, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)))
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)          # (C, F, HH, WW)
    dxp = np.tensordot(_windows(full, HH, WW, 1), flipped, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    dxp = np.pad(dxp, ((0, 0), (0, 0), (0, Hp - dxp.shape[2]), (0, Wp - dxp.shape[3])))
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    windows = _windows(x, ph, pw, s)
    N, C, Ho, Wo = windows.shape[:4]
    flat = windows.reshape(N, C, Ho, Wo, ph * pw)
    k = flat.argmax(axis=-1)
    return flat.max(axis=-1), {"shape": x.shape, "k": k, "pool": (ph, pw, s)}


def max_pool_backward_naive(dout, cache):
    N, C, H, W = cache["shape"]
    ph, pw, s = cache["pool"]
    k = cache["k"]
    Ho, Wo = dout.shape[2:]
    n, c, i, j = np.meshgrid(np.arange(N), np.arange(C), np.arange(Ho), np.arange(Wo), indexing="ij")
    flat = np.ravel_multi_index((n, c, i * s + k // pw, j * s + k % pw), (N, C, H, W))
    return np.bincount(flat.ravel(), weights=dout.ravel(), minlength=N * C * H * W).reshape(N, C, H, W)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(np.swapaxes(x, 1, 3).reshape(-1, C), gamma, beta, bn_param)
    return np.swapaxes(out.reshape(N, W, H, C), 1, 3), cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward(np.swapaxes(dout, 1, 3).reshape(-1, C), cache)
    return np.swapaxes(dx.reshape(N, W, H, C), 1, 3), dgamma, dbeta
