import numpy as np


def gate_step_forward(x, prev_c):
    # BEGIN SOLUTION gate_step_forward: next_c, then next_h; keep what backward needs
    s, t = 1 / (1 + np.exp(-x)), np.tanh(x)
    next_c = s * prev_c + t
    next_h = np.tanh(next_c)
    return next_h, next_c, (s, t, prev_c, next_h)
    # END SOLUTION


def gate_step_backward(dnext_h, dnext_c, cache):
    # BEGIN SOLUTION gate_step_backward: both upstream gradients reach next_c
    s, t, prev_c, next_h = cache
    dc = dnext_h * (1 - next_h ** 2)
    return dc * (s * (1 - s) * prev_c + 1 - t ** 2), dc * s
    # END SOLUTION
