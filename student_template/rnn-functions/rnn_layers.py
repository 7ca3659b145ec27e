"""Layers of recurrent networks as function pairs with a cache, batch first.

Shapes: N sequences, T time steps, D input features, H hidden units, V words, M outputs.
Each ``<name>_forward`` returns its output(s) and a ``cache`` (anything you like: the grader
passes it back to ``<name>_backward`` unchanged). Each ``<name>_backward`` returns the
gradients of the forward's float inputs, in order, each shaped like its input.

Do not modify the input arrays or the upstream gradients: compute new arrays.
"""

import numpy as np


def _sigmoid(x):
    """1 / (1 + e ** -x) without overflow: e ** -|x| is at most 1."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """next_h = tanh(x @ Wx + prev_h @ Wh + b), with x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,)."""
    raise NotImplementedError('rnn_step_forward: next_h = tanh(x @ Wx + prev_h @ Wh + b); return (next_h, cache)')


def rnn_step_backward(dnext_h, cache):
    """Returns (dx, dprev_h, dWx, dWh, db)."""
    raise NotImplementedError("rnn_step_backward: tanh' = 1 - next_h ** 2; return (dx, dprev_h, dWx, dWh, db)")


def rnn_forward(x, h0, Wx, Wh, b):
    """h (N, T, H): the hidden state after every step of x (N, T, D), starting from h0 (N, H)."""
    raise NotImplementedError('rnn_forward: run rnn_step_forward over t = 0 .. T-1; return (h, cache)')


def rnn_backward(dh, cache):
    """dh (N, T, H) is the upstream gradient of every step's h. Returns (dx, dh0, dWx, dWh, db)."""
    raise NotImplementedError("rnn_backward: go back in time; each step's dnext_h is dh[:, t] plus what flows back from step t + 1")


def word_embedding_forward(x, W):
    """out[n, t] = W[x[n, t]]: x (N, T) integers in [0, V), W (V, D); out (N, T, D)."""
    raise NotImplementedError('word_embedding_forward: out = W[x]; return (out, cache)')


def word_embedding_backward(dout, cache):
    """Returns dW (V, D); a word used several times gets the sum of its gradients."""
    raise NotImplementedError('word_embedding_backward: add every dout[n, t] into dW[x[n, t]] (np.add.at: repeated words add up)')


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step; the gates of a = x @ Wx + prev_h @ Wh + b are in the order i, f, o, g.
    Returns (next_h, next_c, cache)."""
    raise NotImplementedError('lstm_step_forward: a = x @ Wx + prev_h @ Wh + b; gates i, f, o = sigmoid, g = tanh of its four blocks of H')


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Returns (dx, dprev_h, dprev_c, dWx, dWh, db)."""
    raise NotImplementedError("lstm_step_backward: dnext_c gets dnext_h's share through tanh(next_c); stack the gates' gradients in the order i, f, o, g")


def lstm_forward(x, h0, Wx, Wh, b):
    """h (N, T, H) of an LSTM over x (N, T, D), from h0 (N, H) and a zero cell state."""
    raise NotImplementedError('lstm_forward: run lstm_step_forward over time, the cell state starting at zeros; return (h, cache)')


def lstm_backward(dh, cache):
    """Returns (dx, dh0, dWx, dWh, db); the cell state's gradient flows back in time too."""
    raise NotImplementedError('lstm_backward: go back in time carrying both dprev_h and dprev_c; add up dWx, dWh, db')


def temporal_affine_forward(x, w, b):
    """out = x @ w + b at every step: x (N, T, D), w (D, M), b (M,); out (N, T, M)."""
    raise NotImplementedError('temporal_affine_forward: out = x @ w + b at every time step; return (out, cache)')


def temporal_affine_backward(dout, cache):
    """Returns (dx, dw, db)."""
    raise NotImplementedError('temporal_affine_backward: dw and db add up over both N and T')


def temporal_softmax_loss(x, y, mask, verbose=False):
    """The softmax loss of x (N, T, V) for the words y (N, T), over the steps where mask (N, T)
    is True, summed and divided by N. Returns (loss, dx)."""
    raise NotImplementedError('temporal_softmax_loss: -log softmax(x[i, t])[y[i, t]] summed over the masked (i, t), divided by N; return (loss, dx)')
