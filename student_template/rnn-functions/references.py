"""The instructor's references of rnn-functions: engine Vars in, Vars out (``ops`` holds the
engine's ops). The sequence models unroll their step over time, so the engine's backward
pass is backpropagation through time."""


def rnn_step(x, prev_h, Wx, Wh, b):
    return ops.tanh(x @ Wx + prev_h @ Wh + b)


def rnn(x, h0, Wx, Wh, b):
    """h[:, t] = tanh(x[:, t] @ Wx + h[:, t - 1] @ Wh + b), from h0; every step's h, stacked on axis 1."""
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t, :], h, Wx, Wh, b)
        hs.append(h)
    return ops.stack(*hs, axis=1)


def lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    """The gates in the contract's order: input, forget, output, then the candidate g."""
    H = prev_h.shape[1]
    if Wx.shape[1] != 4 * H or Wh.shape != (H, 4 * H) or b.shape != (4 * H,):
        raise ValueError(f"Wx, Wh and b need 4H = {4 * H} columns for H = {H}: set the dim FourH to 4 times H")
    a = x @ Wx + prev_h @ Wh + b
    i = ops.sigmoid(a[:, :H])
    f = ops.sigmoid(a[:, H:2 * H])
    o = ops.sigmoid(a[:, 2 * H:3 * H])
    g = ops.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    return o * ops.tanh(next_c), next_c


def lstm(x, h0, Wx, Wh, b):
    """lstm_step over time from h0 and a zero cell state; every step's h, stacked on axis 1."""
    h, c, hs = h0, np.zeros(h0.shape), []
    for t in range(x.shape[1]):
        h, c = lstm_step(x[:, t, :], h, c, Wx, Wh, b)
        hs.append(h)
    return ops.stack(*hs, axis=1)
