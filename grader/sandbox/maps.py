"""The f a student's ``jacobian(f, x)`` is called with, built in the worker: one of a few
fixed smooth maps of x and the parameters the grader sent, its value and its tangent written
out by hand in plain numpy. Each map is one whole function, not built from reusable pieces,
so the worker holds no differentiation rules a node could borrow (no engine); the grader
computes the expected Jacobian on its own engine (``grader.spec.maps``), and a test holds the
two to agree.

``f`` counts its calls and notes each tangent (and whether x was the one given), for the
grader to judge "exactly len(x) calls" and to explain a wrong Jacobian. The count lives in
the student's process: code that tampers with its own process could forge it (the values of
the Jacobian are still judged by the grader).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

KEPT = 64  # tangents noted per jacobian call (the count goes on past it)


def _lecture(p: dict, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x1, x2) = sin(x2) + x1·x2: ẏ = cos(x2)·ẋ2 + ẋ1·x2 + x1·ẋ2."""
    y = np.array([np.sin(x[1]) + x[0] * x[1]])
    return y, np.array([np.cos(x[1]) * t[1] + t[0] * x[1] + x[0] * t[1]])


def _affine(p: dict, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y = A x + b: ẏ = A ẋ."""
    return p["A"] @ x + p["b"], p["A"] @ t


def _layer(p: dict, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y = W2 tanh(W1 x + b1): ẏ = W2 ((1 - tanh²) ⊙ (W1 ẋ))."""
    h = np.tanh(p["W1"] @ x + p["b1"])
    return p["W2"] @ h, p["W2"] @ ((1.0 - h * h) * (p["W1"] @ t))


MAPS: dict[str, Callable] = {"lecture": _lecture, "affine": _affine, "layer": _layer}


class Calls:
    """What f saw: how many calls, the first ``KEPT`` tangents, and how many calls were at
    another point than the x given to jacobian."""

    def __init__(self) -> None:
        self.count = 0
        self.tangents: list[np.ndarray] = []
        self.moved = 0


def make(name: str, params: dict[str, Any], x0: np.ndarray) -> tuple[Callable, Calls]:
    """``f(x, x_dot) -> (y, y_dot)`` for map ``name`` at these parameters, and its record."""
    rule = MAPS[name]
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    x0 = np.array(x0, dtype=np.float64)
    n = x0.shape[0]
    calls = Calls()

    def f(x, x_dot):
        """The map's value y at x and its tangent y_dot along x_dot (both 1-d of len(x))."""
        x, x_dot = np.array(x, dtype=np.float64), np.array(x_dot, dtype=np.float64)
        if x.shape != (n,) or x_dot.shape != (n,):
            raise ValueError(f"f takes x and x_dot of shape ({n},), one tangent per call; got x of shape "
                             f"{x.shape} and x_dot of shape {x_dot.shape}")
        calls.count += 1
        if len(calls.tangents) < KEPT:
            calls.tangents.append(x_dot.copy())
        if x.tobytes() != x0.tobytes():
            calls.moved += 1
        return rule(params, x, x_dot)

    return f, calls
