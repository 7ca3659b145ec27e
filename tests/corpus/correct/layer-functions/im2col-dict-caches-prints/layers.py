"""Vectorized everywhere: convolution and pooling through im2col (col2im with np.add.at),
every cache a dict, and a debugging print in each forward."""
import numpy as np


def _im2col_indices(C, H, W, HH, WW, stride):
    """Row (channel, kernel row, kernel column) by column (output position) index arrays."""
    H_out, W_out = 1 + (H - HH) // stride, 1 + (W - WW) // stride
    i0 = np.tile(np.repeat(np.arange(HH), WW), C)
    i1 = stride * np.repeat(np.arange(H_out), W_out)
    j0 = np.tile(np.arange(WW), HH * C)
    j1 = stride * np.tile(np.arange(W_out), H_out)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), HH * WW).reshape(-1, 1)
    return k, i, j, H_out, W_out


def _im2col(x, HH, WW, stride):
    N, C, H, W = x.shape
    k, i, j, H_out, W_out = _im2col_indices(C, H, W, HH, WW, stride)
    cols = x[:, k, i, j]                      # (N, C*HH*WW, H_out*W_out)
    return cols, H_out, W_out


def _col2im(cols, shape, HH, WW, stride):
    N, C, H, W = shape
    k, i, j, _, _ = _im2col_indices(C, H, W, HH, WW, stride)
    x = np.zeros(shape)
    np.add.at(x, (slice(None), k, i, j), cols)
    return x


def affine_forward(x, w, b):
    print("affine_forward:", x.shape, "x", w.shape)
    out = x.reshape(len(x), -1).dot(w) + b
    return out, {"x": x, "w": w}


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    return dout.dot(w.T).reshape(x.shape), x.reshape(len(x), -1).T.dot(dout), dout.sum(axis=0)


def relu_forward(x):
    print("relu_forward on", x.size, "entries")
    return np.where(x > 0, x, 0.0), {"positive": x > 0}


def relu_backward(dout, cache):
    return np.where(cache["positive"], dout, 0.0)


def svm_loss(x, y):
    print("svm_loss: N =", x.shape[0])
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    return loss, dx / N


def softmax_loss(x, y):
    print("softmax_loss: N =", x.shape[0])
    shifted = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted), axis=1, keepdims=True)
    log_probs = shifted - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N


def batchnorm_forward(x, gamma, beta, bn_param):
    print("batchnorm_forward in", bn_param["mode"], "mode")
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    if bn_param["mode"] == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros(D)) + (1 - momentum) * mean
        bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros(D)) + (1 - momentum) * var
    else:
        mean = bn_param.get("running_mean", np.zeros(D))
        var = bn_param.get("running_var", np.zeros(D))
    std = np.sqrt(var + eps)
    xhat = (x - mean) / std
    cache = {"xhat": xhat, "gamma": gamma, "std": std, "train": bn_param["mode"] == "train"}
    return gamma * xhat + beta, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, std = cache["xhat"], cache["gamma"], cache["std"]
    dgamma, dbeta = np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)
    dxhat = dout * gamma
    if not cache["train"]:
        return dxhat / std, dgamma, dbeta
    N = dout.shape[0]
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0)) / (N * std)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    print("layernorm_forward")
    # layer norm is batch norm of the transposed input, in train mode, without its state
    eps = ln_param.get("eps", 1e-5)
    xt = x.T
    mean, var = xt.mean(axis=0), xt.var(axis=0)
    xhat_t = (xt - mean) / np.sqrt(var + eps)
    xhat = xhat_t.T
    return gamma * xhat + beta, {"xhat_t": xhat_t, "gamma": gamma, "std": np.sqrt(var + eps)}


def layernorm_backward(dout, cache):
    xhat_t, gamma, std = cache["xhat_t"], cache["gamma"], cache["std"]
    dgamma = np.sum(dout * xhat_t.T, axis=0)
    dbeta = np.sum(dout, axis=0)
    dxhat_t = (dout * gamma).T
    D = dxhat_t.shape[0]
    dx_t = (D * dxhat_t - dxhat_t.sum(axis=0) - xhat_t * np.sum(dxhat_t * xhat_t, axis=0)) / (D * std)
    return dx_t.T, dgamma, dbeta


def dropout_forward(x, dropout_param):
    print("dropout_forward, p =", dropout_param["p"])
    if dropout_param.get("seed") is not None:
        np.random.seed(dropout_param["seed"])
    if dropout_param["mode"] == "train":
        keep = np.random.rand(*x.shape) < dropout_param["p"]
        return x * keep / dropout_param["p"], {"keep": keep, "p": dropout_param["p"], "train": True}
    return x.copy(), {"train": False}


def dropout_backward(dout, cache):
    if cache["train"]:
        return dout * cache["keep"] / cache["p"]
    return dout.copy()


def conv_forward_naive(x, w, b, conv_param):
    print("conv_forward_naive:", x.shape, "*", w.shape, conv_param)
    stride, pad = conv_param["stride"], conv_param["pad"]
    N = x.shape[0]
    F, C, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols, H_out, W_out = _im2col(x_pad, HH, WW, stride)
    out = np.einsum("fk,nkp->nfp", w.reshape(F, -1), cols) + b[None, :, None]
    cache = {"x_shape": x.shape, "pad_shape": x_pad.shape, "cols": cols, "w": w, "stride": stride, "pad": pad}
    return out.reshape(N, F, H_out, W_out), cache


def conv_backward_naive(dout, cache):
    w, cols, stride, pad = cache["w"], cache["cols"], cache["stride"], cache["pad"]
    N, F = dout.shape[:2]
    _, _, HH, WW = w.shape
    d = dout.reshape(N, F, -1)
    dw = np.einsum("nfp,nkp->fk", d, cols).reshape(w.shape)
    dcols = np.einsum("fk,nfp->nkp", w.reshape(F, -1), d)
    dx_pad = _col2im(dcols, cache["pad_shape"], HH, WW, stride)
    H, W = cache["x_shape"][2:]
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    print("max_pool_forward_naive", pool_param)
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    cols, H_out, W_out = _im2col(x.reshape(N * C, 1, H, W), ph, pw, stride)   # (N*C, ph*pw, P)
    first = np.argmax(cols, axis=1)                                          # the first maximum
    out = np.take_along_axis(cols, first[:, None, :], axis=1)[:, 0, :]
    cache = {"x_shape": x.shape, "first": first, "cols_shape": cols.shape, "pool": (ph, pw, stride)}
    return out.reshape(N, C, H_out, W_out), cache


def max_pool_backward_naive(dout, cache):
    N, C, H, W = cache["x_shape"]
    ph, pw, stride = cache["pool"]
    dcols = np.zeros(cache["cols_shape"])
    rows = np.arange(dcols.shape[0])[:, None]
    positions = np.arange(dcols.shape[2])[None, :]
    dcols[rows, cache["first"], positions] = dout.reshape(N * C, -1)
    return _col2im(dcols, (N * C, 1, H, W), ph, pw, stride).reshape(N, C, H, W)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param)
    cache = {"inner": cache, "shape": (N, C, H, W)}
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = cache["shape"]
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache["inner"])
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta
