"""The reference autodiff engine: numpy, float64, reverse and forward mode.

It is the ground truth for every student gradient, so it is small enough to read in one
sitting: ``registry`` holds the op definitions (each with its forward, VJP and JVP),
``graph`` the tape and the two passes; it imports nothing of the grader's but itself (it is
the bottom of the package). The functions here are the convenient entry points::

    out, pullback = vjp(lambda x, w: apply("sum", (x @ w) ** 2), x, w)
    gx, gw = pullback(1.0)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from grader.engine import (ops_conv, ops_elementwise, ops_linalg, ops_losses,  # noqa: F401  (they register the ops)
                           ops_reduce, ops_shape)
from grader.engine.graph import (Var, apply, as_array, backward, forward_tangents,
                                 topological_order, unbroadcast)
from grader.engine.registry import OPS, Op

__all__ = ["OPS", "Op", "Var", "apply", "as_array", "backward", "forward_tangents",
           "topological_order", "unbroadcast", "vjp", "jvp", "evaluate"]


def _trace(fun: Callable[..., Any], args: Sequence[Any]) -> tuple[list[Var], Var]:
    leaves = [Var(a) for a in args]
    out = fun(*leaves)
    return leaves, out if isinstance(out, Var) else Var(out)


def evaluate(fun: Callable[..., Any], *args: Any) -> np.ndarray:
    """The value of ``fun`` at ``args`` (arrays), computed by the engine."""
    return _trace(fun, args)[1].value


def vjp(fun: Callable[..., Any], *args: Any) -> tuple[np.ndarray, Callable[[Any], tuple]]:
    """Reverse mode: ``fun``'s value and a pullback taking a cotangent of the output to one
    cotangent per argument (zeros for arguments the output does not depend on), each a
    writable array of its own."""
    leaves, out = _trace(fun, args)

    def pullback(cotangent: Any) -> tuple[np.ndarray, ...]:
        grads = backward(out, np.broadcast_to(as_array(cotangent), out.shape))
        return tuple(grads.get(id(v), np.zeros(v.shape)) for v in leaves)

    return out.value, pullback


def jvp(fun: Callable[..., Any], args: Sequence[Any], tangents: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Forward mode: ``fun``'s value at ``args`` and its derivative along ``tangents``."""
    leaves, out = _trace(fun, args)
    result = forward_tangents(out, {id(v): t for v, t in zip(leaves, tangents)})
    return out.value, result[id(out)]
