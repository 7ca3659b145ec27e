# A careful student who trusts loops more than broadcasting: every sum is written out.
import numpy as np


def sigmoid(z):
    out = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        v = z[idx]
        out[idx] = 1 / (1 + np.exp(-v)) if v >= 0 else np.exp(v) / (1 + np.exp(v))
    return out


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    N = x.shape[0]
    next_h = np.zeros((N, Wx.shape[1]))
    for n in range(N):
        next_h[n] = np.tanh(x[n] @ Wx + prev_h[n] @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dx, dprev_h = np.zeros_like(x), np.zeros_like(prev_h)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wx.shape[1])
    for n in range(x.shape[0]):
        da = dnext_h[n] * (1 - next_h[n] ** 2)
        dx[n] = Wx @ da
        dprev_h[n] = Wh @ da
        dWx += np.outer(x[n], da)
        dWh += np.outer(prev_h[n], da)
        db += da
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    hs, caches = [], []
    h = h0
    for t in range(T):
        h, c = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        hs.append(h)
        caches.append(c)
    return np.stack(hs, axis=1), caches


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    grads = None
    carry = np.zeros((N, H))
    dxs = [None] * T
    for t in range(T - 1, -1, -1):
        dx_t, carry, dWx, dWh, db = rnn_step_backward(dh[:, t] + carry, cache[t])
        dxs[t] = dx_t
        if grads is None:
            grads = [dWx, dWh, db]
        else:
            grads = [grads[0] + dWx, grads[1] + dWh, grads[2] + db]
    return np.stack(dxs, axis=1), carry, grads[0], grads[1], grads[2]


def word_embedding_forward(x, W):
    N, T = x.shape
    out = np.zeros((N, T, W.shape[1]))
    for n in range(N):
        for t in range(T):
            out[n, t] = W[x[n, t]]
    return out, (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    for n in range(x.shape[0]):
        for t in range(x.shape[1]):
            dW[x[n, t]] += dout[n, t]
    return dW


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i = sigmoid(a[:, 0:H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:4 * H])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tc * tc)
    da_i = dc * g * i * (1 - i)
    da_f = dc * prev_c * f * (1 - f)
    da_o = dnext_h * tc * o * (1 - o)
    da_g = dc * i * (1 - g * g)
    da = np.concatenate([da_i, da_f, da_o, da_g], axis=1)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dprev_c = dc * f
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    for n in range(x.shape[0]):
        dWx += np.outer(x[n], da[n])
        dWh += np.outer(prev_h[n], da[n])
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h, c = h0, np.zeros_like(h0)
    hs, caches = [], []
    for t in range(T):
        h, c, cache_t = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
        caches.append(cache_t)
    return np.stack(hs, axis=1), caches


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H))
    dxs = []
    sums = None
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, dWx, dWh, db = lstm_step_backward(dh[:, t] + dh_next, dc_next, cache[t])
        dxs.insert(0, dx_t)
        sums = (dWx, dWh, db) if sums is None else tuple(s + g for s, g in zip(sums, (dWx, dWh, db)))
    return (np.stack(dxs, axis=1), dh_next) + sums


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    out = np.zeros((N, T, w.shape[1]))
    for t in range(T):
        out[:, t] = x[:, t] @ w + b
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros(w.shape[1])
    for t in range(x.shape[1]):
        dx[:, t] = dout[:, t] @ w.T
        dw += x[:, t].T @ dout[:, t]
        db += dout[:, t].sum(axis=0)
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for n in range(N):
        for t in range(T):
            if not mask[n, t]:
                continue
            scores = x[n, t] - np.max(x[n, t])
            p = np.exp(scores) / np.sum(np.exp(scores))
            loss -= scores[y[n, t]] - np.log(np.sum(np.exp(scores)))
            p[y[n, t]] -= 1
            dx[n, t] = p / N
    return loss / N, dx
