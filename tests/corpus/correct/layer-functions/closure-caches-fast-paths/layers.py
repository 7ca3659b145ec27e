"""Every forward returns, as its cache, the function that finishes the backward pass:
backward only calls it. Pooling takes a reshape fast path when the windows tile the image."""
import numpy as np


def _normalize(x, gamma, beta, axis, eps):
    """(x - mean) / std over ``axis`` (kept), then scaled; returns out and a closure for dx, dgamma, dbeta."""
    mean = np.mean(x, axis=axis, keepdims=True)
    std = np.sqrt(np.mean((x - mean) ** 2, axis=axis, keepdims=True) + eps)
    xhat = (x - mean) / std
    m = x.size // mean.size

    def grads(dout, param_axes):
        dxhat = dout * gamma
        dx = (m * dxhat - np.sum(dxhat, axis=axis, keepdims=True)
              - xhat * np.sum(dxhat * xhat, axis=axis, keepdims=True)) / (m * std)
        return dx, np.sum(dout * xhat, axis=param_axes), np.sum(dout, axis=param_axes)

    return gamma * xhat + beta, grads, mean, std


def affine_forward(x, w, b):
    flat = x.reshape(x.shape[0], -1)

    def backward(dout):
        return (dout @ w.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)

    return flat @ w + b, backward


def affine_backward(dout, cache):
    return cache(dout)


def relu_forward(x):
    keep = x > 0
    return np.maximum(x, 0), lambda dout: np.where(keep, dout, 0)


def relu_backward(dout, cache):
    return cache(dout)


def svm_loss(x, y):
    N, C = x.shape
    onehot = np.eye(C)[y]
    correct = np.sum(x * onehot, axis=1, keepdims=True)
    margins = np.maximum(0, x - correct + 1) * (1 - onehot)
    active = (margins > 0).astype(float)
    dx = (active - onehot * active.sum(axis=1, keepdims=True)) / N
    return np.array(margins.sum() / N), dx


def softmax_loss(x, y):
    N, C = x.shape
    m = x.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    onehot = np.eye(C)[y]
    loss = np.mean(lse[:, 0] - np.sum(x * onehot, axis=1))
    return np.array(loss), (np.exp(x - lse) - onehot) / N


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        out, grads, mean, std = _normalize(x, gamma, beta, 0, eps)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean[0]
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * x.var(axis=0)
        return out, lambda dout: grads(dout, 0)
    std = np.sqrt(running_var + eps)
    xhat = (x - running_mean) / std
    return gamma * xhat + beta, lambda dout: (dout * gamma / std, (dout * xhat).sum(0), dout.sum(0))


def batchnorm_backward(dout, cache):
    return cache(dout)


def layernorm_forward(x, gamma, beta, ln_param):
    out, grads, _, _ = _normalize(x, gamma, beta, 1, ln_param.get("eps", 1e-5))
    return out, lambda dout: grads(dout, 0)


def layernorm_backward(dout, cache):
    return cache(dout)


def dropout_forward(x, dropout_param):
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if dropout_param["mode"] == "test":
        return x.copy(), lambda dout: dout.copy()
    p = dropout_param["p"]
    mask = (np.random.rand(*x.shape) < p) / p
    return x * mask, lambda dout: dout * mask


def dropout_backward(dout, cache):
    return cache(dout)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # im2col with loops: one row of the patch matrix per output position
    patches = np.empty((N, Ho, Wo, C * HH * WW))
    for i in range(Ho):
        for j in range(Wo):
            patches[:, i, j] = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW].reshape(N, -1)
    out = (patches @ w.reshape(F, -1).T + b).transpose(0, 3, 1, 2)

    def backward(dout):
        d = dout.transpose(0, 2, 3, 1)                      # (N, Ho, Wo, F)
        dw = np.tensordot(d, patches, axes=([0, 1, 2], [0, 1, 2])).reshape(w.shape)
        dpatches = d @ w.reshape(F, -1)
        dxp = np.zeros_like(xp)
        for i in range(Ho):
            for j in range(Wo):
                dxp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += \
                    dpatches[:, i, j].reshape(N, C, HH, WW)
        return dxp[:, :, pad:pad + H, pad:pad + W], dw, d.sum(axis=(0, 1, 2))

    return out, backward


def conv_backward_naive(dout, cache):
    return cache(dout)


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    if s == ph == pw and H % ph == 0 and W % pw == 0:
        # the windows tile the image: a reshape makes them an axis of their own
        tiles = x.reshape(N, C, Ho, ph, Wo, pw).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, -1)
        first = tiles.argmax(axis=-1)
        out = np.take_along_axis(tiles, first[..., None], axis=-1)[..., 0]

        def backward(dout):
            dtiles = np.zeros(tiles.shape)
            np.put_along_axis(dtiles, first[..., None], dout[..., None], axis=-1)
            return dtiles.reshape(N, C, Ho, Wo, ph, pw).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H, W)

        return out, backward
    out = np.zeros((N, C, Ho, Wo))
    where = {}
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            k = window.argmax(axis=-1)
            where[i, j] = (i * s + k // pw, j * s + k % pw)
            out[:, :, i, j] = window.max(axis=-1)

    def backward(dout):
        dx = np.zeros_like(x)
        n, c = np.ogrid[:N, :C]
        for (i, j), (rows, cols) in where.items():
            dx[n, c, rows, cols] += dout[:, :, i, j]
        return dx

    return out, backward


def max_pool_backward_naive(dout, cache):
    return cache(dout)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    cols = x.transpose(1, 0, 2, 3).reshape(C, -1).T          # (N*H*W, C)
    out, inner = batchnorm_forward(cols, gamma, beta, bn_param)

    def backward(dout):
        dcols = dout.transpose(1, 0, 2, 3).reshape(C, -1).T
        dx, dgamma, dbeta = inner(dcols)
        return dx.T.reshape(C, N, H, W).transpose(1, 0, 2, 3), dgamma, dbeta

    return out.T.reshape(C, N, H, W).transpose(1, 0, 2, 3), backward


def spatial_batchnorm_backward(dout, cache):
    return cache(dout)
