"""Debugging prints left in everywhere, warnings, and a verbose temporal loss."""
import warnings

import numpy as np

DEBUG = True


def log(*args):
    if DEBUG:
        print("[debug]", *args)


def sigmoid(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    log("rnn_step_forward", x.shape, prev_h.shape)
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    log("rnn_step_backward", dnext_h.shape)
    da = dnext_h * (1 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(0)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    print(f"rnn_forward: N={N} T={T} D={D} H={h0.shape[1]}")
    h, caches, prev = [], [], h0
    for t in range(T):
        prev, c = rnn_step_forward(x[:, t], prev, Wx, Wh, b)
        h.append(prev)
        caches.append(c)
    return np.stack(h, 1), caches


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    print("rnn_backward: |dh| =", np.abs(dh).sum())
    dx = [None] * T
    dprev = np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx[t], dprev, a, c, d = rnn_step_backward(dh[:, t] + dprev, cache[t])
        dWx, dWh, db = dWx + a, dWh + c, db + d
    return np.stack(dx, 1), dprev, dWx, dWh, db


def word_embedding_forward(x, W):
    if np.unique(x).size < x.size:
        warnings.warn("repeated words in this batch")
    return W[x], (x, W)


def word_embedding_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, x, dout)
    print("dW rows touched:", np.count_nonzero(dW.any(axis=1)))
    return dW


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    log("gates mean", i.mean(), f.mean(), o.mean(), g.mean())
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * tc * o * (1 - o),
                         dc * i * (1 - g ** 2)], axis=1)
    log("lstm_step_backward |da| =", np.abs(da).max())
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(0)


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    print("lstm_forward", x.shape)
    h, c = h0, np.zeros_like(h0)
    hs, caches = [], []
    for t in range(T):
        h, c, cache_t = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
        caches.append(cache_t)
    return np.stack(hs, 1), caches


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx = [None] * T
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx[t], dprev_h, dprev_c, a, c, d = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx, dWh, db = dWx + a, dWh + c, db + d
    print("lstm_backward done")
    return np.stack(dx, 1), dprev_h, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    out = x @ w + b
    print("temporal_affine_forward ->", out.shape)
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    D, M = w.shape
    return dout @ w.T, x.reshape(-1, D).T @ dout.reshape(-1, M), dout.sum((0, 1))


def temporal_softmax_loss(x, y, mask, verbose=True):
    N, T, V = x.shape
    x_flat, y_flat, mask_flat = x.reshape(N * T, V), y.reshape(N * T), mask.reshape(N * T)
    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
    dx_flat = probs.copy()
    dx_flat[np.arange(N * T), y_flat] -= 1
    dx_flat /= N
    dx_flat *= mask_flat[:, None]
    if verbose:
        print("dx_flat: ", dx_flat.shape)
    return loss, dx_flat.reshape(N, T, V)
