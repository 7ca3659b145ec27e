import numpy as np


def sigmoid(x):
    pos = x >= 0
    z = np.exp(np.where(pos, -x, x))
    return np.where(pos, 1 / (1 + z), z / (1 + z))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return h, {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "h": h}


def rnn_step_backward(dnext_h, cache):
    da = dnext_h * (1 - cache["h"] ** 2)
    return (da @ cache["Wx"].T, da @ cache["Wh"].T, cache["x"].T @ da, cache["prev_h"].T @ da, da.sum(axis=0))


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    cache = {"steps": [], "D": D}
    h = np.zeros((N, T, h0.shape[1]))
    prev = h0
    for t in range(T):
        prev, cache_t = rnn_step_forward(x[:, t, :], prev, Wx, Wh, b)
        h[:, t, :] = prev
        cache["steps"].append(cache_t)
    return h, cache


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    out = {"dx": np.zeros((N, T, cache["D"])), "dWx": 0.0, "dWh": 0.0, "db": 0.0}
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dprev, dWx, dWh, db = rnn_step_backward(dh[:, t, :] + dprev, cache["steps"][t])
        out["dx"][:, t, :] = dx_t
        out["dWx"] = out["dWx"] + dWx
        out["dWh"] = out["dWh"] + dWh
        out["db"] = out["db"] + db
    return out["dx"], dprev, out["dWx"], out["dWh"], out["db"]


def word_embedding_forward(x, W):
    return W[x], {"x": x, "V": W.shape[0], "D": W.shape[1]}


def word_embedding_backward(dout, cache):
    dW = np.zeros((cache["V"], cache["D"]))
    np.add.at(dW, cache["x"].ravel(), dout.reshape(-1, cache["D"]))
    return dW


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    gates = {"i": sigmoid(a[:, :H]), "f": sigmoid(a[:, H:2 * H]), "o": sigmoid(a[:, 2 * H:3 * H]),
             "g": np.tanh(a[:, 3 * H:])}
    next_c = gates["f"] * prev_c + gates["i"] * gates["g"]
    next_h = gates["o"] * np.tanh(next_c)
    cache = {"x": x, "prev_h": prev_h, "prev_c": prev_c, "Wx": Wx, "Wh": Wh, "next_c": next_c, **gates}
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    c = cache
    tanh_c = np.tanh(c["next_c"])
    dc = dnext_c + dnext_h * c["o"] * (1 - tanh_c ** 2)
    parts = {
        "i": dc * c["g"] * c["i"] * (1 - c["i"]),
        "f": dc * c["prev_c"] * c["f"] * (1 - c["f"]),
        "o": dnext_h * tanh_c * c["o"] * (1 - c["o"]),
        "g": dc * c["i"] * (1 - c["g"] ** 2),
    }
    da = np.concatenate([parts[k] for k in "ifog"], axis=1)
    return (da @ c["Wx"].T, da @ c["Wh"].T, dc * c["f"], c["x"].T @ da, c["prev_h"].T @ da, da.sum(axis=0))


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    state = {"h": h0, "c": np.zeros_like(h0)}
    cache = {"steps": [], "D": D}
    for t in range(T):
        state["h"], state["c"], cache_t = lstm_step_forward(x[:, t, :], state["h"], state["c"], Wx, Wh, b)
        h[:, t, :] = state["h"]
        cache["steps"].append(cache_t)
    return h, cache


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache["D"]))
    carry = {"h": np.zeros((N, H)), "c": np.zeros((N, H))}
    total = {"Wx": 0.0, "Wh": 0.0, "b": 0.0}
    for t in reversed(range(T)):
        dx[:, t, :], carry["h"], carry["c"], dWx, dWh, db = lstm_step_backward(
            dh[:, t, :] + carry["h"], carry["c"], cache["steps"][t])
        total = {"Wx": total["Wx"] + dWx, "Wh": total["Wh"] + dWh, "b": total["b"] + db}
    return dx, carry["h"], total["Wx"], total["Wh"], total["b"]


def temporal_affine_forward(x, w, b):
    return x @ w + b, {"x": x, "w": w}


def temporal_affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    return dout @ w.T, np.tensordot(x, dout, axes=([0, 1], [0, 1])), dout.sum(axis=(0, 1))


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    shifted = x - x.max(axis=2, keepdims=True)
    logsum = np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    probs = np.exp(shifted - logsum)
    picked = np.take_along_axis(shifted - logsum, y[:, :, None], axis=2)[:, :, 0]
    loss = -np.sum(picked[mask]) / N
    dx = probs.copy()
    np.put_along_axis(dx, y[:, :, None], np.take_along_axis(dx, y[:, :, None], axis=2) - 1, axis=2)
    dx[~mask] = 0
    return loss, dx / N
