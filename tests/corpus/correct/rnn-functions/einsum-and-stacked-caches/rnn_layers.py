"""einsum for every contraction; the sequence caches are stacked arrays, not lists."""
import numpy as np


def _sigmoid(a):
    return np.exp(-np.logaddexp(0.0, -a))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", prev_h, Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h * next_h)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh),
            np.einsum("nd,nh->dh", x, da), np.einsum("nk,nh->kh", prev_h, da), np.einsum("nh->h", da))


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    hs = np.zeros((T + 1, N, h0.shape[1]))
    hs[0] = h0
    for t in range(T):
        hs[t + 1] = np.tanh(x[:, t] @ Wx + hs[t] @ Wh + b)
    return np.transpose(hs[1:], (1, 0, 2)), (x, hs, Wx, Wh)


def rnn_backward(dh, cache):
    x, hs, Wx, Wh = cache
    N, T, H = dh.shape
    das = np.zeros((T, N, H))
    carry = np.zeros((N, H))
    for t in reversed(range(T)):
        das[t] = (dh[:, t] + carry) * (1 - hs[t + 1] ** 2)
        carry = das[t] @ Wh.T
    dx = np.einsum("tnh,dh->ntd", das, Wx)
    dWx = np.einsum("ntd,tnh->dh", x, das)
    dWh = np.einsum("tnk,tnh->kh", hs[:-1], das)
    return dx, carry, dWx, dWh, das.sum(axis=(0, 1))


def word_embedding_forward(x, W):
    return np.take(W, x, axis=0), (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    onehot = (x[..., None] == np.arange(shape[0])).astype(dout.dtype)
    return np.einsum("ntv,ntd->vd", onehot, dout)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = np.einsum("nd,dg->ng", x, Wx) + np.einsum("nh,hg->ng", prev_h, Wh) + b
    ifo = _sigmoid(a[:, :3 * H])
    g = np.tanh(a[:, 3 * H:])
    i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    states = np.stack([i, f, o, g, prev_c, np.tanh(next_c)])  # one (6, N, H) array
    return next_h, next_c, (x, prev_h, Wx, Wh, states)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, Wx, Wh, states = cache
    i, f, o, g, prev_c, tanh_c = states
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    local = np.stack([g * i * (1 - i), prev_c * f * (1 - f), tanh_c * o * (1 - o), i * (1 - g ** 2)])
    upstream = np.stack([dc, dc, dnext_h, dc])
    da = np.concatenate(list(upstream * local), axis=1)
    return (np.einsum("ng,dg->nd", da, Wx), np.einsum("ng,hg->nh", da, Wh), dc * f,
            np.einsum("nd,ng->dg", x, da), np.einsum("nh,ng->hg", prev_h, da), np.einsum("ng->g", da))


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    hs = np.zeros((T, N, H))
    caches = []
    h, c = h0, np.zeros((N, H))
    for t in range(T):
        h, c, cache_t = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs[t] = h
        caches.append(cache_t[4])
    return np.einsum("tnh->nth", hs), (x, h0, hs, Wx, Wh, np.stack(caches))


def lstm_backward(dh, cache):
    x, h0, hs, Wx, Wh, states = cache
    N, T, H = dh.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wx.shape[1])
    dh_carry, dc_carry = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        prev_h = h0 if t == 0 else hs[t - 1]
        step = (x[:, t], prev_h, Wx, Wh, states[t])
        dx[:, t], dh_carry, dc_carry, a, c, d = lstm_step_backward(dh[:, t] + dh_carry, dc_carry, step)
        dWx += a
        dWh += c
        db += d
    return dx, dh_carry, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    return np.einsum("ntd,dm->ntm", x, w) + b, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    return np.einsum("ntm,dm->ntd", dout, w), np.einsum("ntd,ntm->dm", x, dout), np.einsum("ntm->m", dout)


def temporal_softmax_loss(x, y, mask, verbose=False):
    N = x.shape[0]
    shifted = x - x.max(axis=-1, keepdims=True)
    log_z = np.log(np.einsum("ntv->nt", np.exp(shifted)))
    onehot = (y[..., None] == np.arange(x.shape[-1]))
    log_p = np.einsum("ntv,ntv->nt", shifted, onehot) - log_z
    loss = -np.einsum("nt,nt->", log_p, mask) / N
    dx = (np.exp(shifted - log_z[..., None]) - onehot) * mask[..., None] / N
    return loss, dx
