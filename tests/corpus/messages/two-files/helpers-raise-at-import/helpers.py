"""Helpers of nodes.py."""

import numpy as np

SCALE = np.float64(1.0)
LIMITS = {"low": -1.0}
HIGH = LIMITS["high"]  # the key is "low"


def product(a, b):
    return SCALE * a * b
