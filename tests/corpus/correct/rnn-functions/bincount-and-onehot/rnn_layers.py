"""Repeated words added up with np.bincount (per feature column) and with a one-hot matrix."""
import numpy as np


def _sig(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the same sigmoid, stable everywhere


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dz = (1 - np.square(next_h)) * dnext_h
    return np.dot(dz, Wx.T), np.dot(dz, Wh.T), np.dot(x.T, dz), np.dot(prev_h.T, dz), np.sum(dz, axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    caches = []
    prev = h0
    for t in range(T):
        prev, c = rnn_step_forward(x[:, t, :], prev, Wx, Wh, b)
        h[:, t, :] = prev
        caches.append(c)
    return h, caches


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][2].shape[0]
    dx = np.empty((N, T, D))
    dWx, dWh, db = 0, 0, 0
    dprev = 0
    for t in range(T - 1, -1, -1):
        dx[:, t, :], dprev, a, c, d = rnn_step_backward(dh[:, t, :] + dprev, cache[t])
        dWx, dWh, db = dWx + a, dWh + c, db + d
    return dx, dprev, dWx, dWh, db


def word_embedding_forward(x, W):
    return W[x, :], (x, W.shape[0])


def word_embedding_backward(dout, cache):
    x, V = cache
    flat_x = x.reshape(-1)
    flat_d = dout.reshape(-1, dout.shape[-1])
    columns = [np.bincount(flat_x, weights=flat_d[:, j], minlength=V) for j in range(flat_d.shape[1])]
    return np.stack(columns, axis=1)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    i, f, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), _sig(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    t = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - t ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * t * o * (1 - o), dc * i * (1 - g ** 2)])
    return np.dot(da, Wx.T), np.dot(da, Wh.T), dc * f, np.dot(x.T, da), np.dot(prev_h.T, da), da.sum(0)


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    prev_h, prev_c, caches = h0, np.zeros_like(h0), []
    for t in range(T):
        prev_h, prev_c, c = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        caches.append(c)
    return h, caches


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx = np.empty((N, T, cache[0][3].shape[0]))
    dWx = dWh = db = 0
    dprev_h = dprev_c = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx[:, t, :], dprev_h, dprev_c, a, c, d = lstm_step_backward(dh[:, t, :] + dprev_h, dprev_c, cache[t])
        dWx, dWh, db = dWx + a, dWh + c, db + d
    return dx, dprev_h, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    out = x.reshape(N * T, D).dot(w).reshape(N, T, -1) + b
    return out, (x, w, b)


def temporal_affine_backward(dout, cache):
    x, w, b = cache
    N, T, D = x.shape
    M = b.shape[0]
    dx = dout.reshape(N * T, M).dot(w.T).reshape(N, T, D)
    dw = dout.reshape(N * T, M).T.dot(x.reshape(N * T, D)).T
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    z = x.reshape(N * T, V)
    onehot = np.eye(V)[y.reshape(N * T)]
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    m = mask.reshape(N * T, 1).astype(float)
    loss = -(m * onehot * logp).sum() / N
    dx = m * (np.exp(logp) - onehot) / N
    return loss, dx.reshape(N, T, V)
