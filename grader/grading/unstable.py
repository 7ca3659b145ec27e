"""Textbook formulas that break at large inputs, to name what a student's code did there.

Each entry is one op of the reference engine written the way it often is, and wrong at
|x| = 1e3: softmax without subtracting the maximum (e^1000 is inf, inf/inf is NaN), the log
of a probability that underflowed to 0 (-inf), a probability clamped at 1e-10 (a loss stuck
at 23.03), sigmoid as e^x / (1 + e^x). Replaying a node's reference with one op swapped for
one of these, and finding the student's output among the replays, names the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from grader.engine import OPS
from grader.engine.ops_linalg import picked
from grader.engine.ops_reduce import softmax
from grader.spec.model import NodeType

# where students clamp probabilities: Keras' 1e-7, sklearn's 1e-15, machine epsilon, ...
FLOORS = tuple(10.0 ** -k for k in range(4, 21)) + (float(np.finfo(np.float64).eps), float(np.finfo(np.float64).tiny))

SOFTMAX_FIX = "subtract each row's maximum before exp: softmax(z) = softmax(z − max(z))"
LOG_PROB_FIX = "take log-probabilities as z − logsumexp(z), which need no clamp"


@dataclass(frozen=True)
class Unstable:
    """One op computed an unstable way: its numpy forward (the op's arguments and parameters),
    what goes wrong, and what to do instead."""

    op: str
    forward: Callable[..., Any]
    cause: str
    fix: str
    in_gradient: bool  # backward usually reuses the same broken values, so it breaks too


def _naive_softmax(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def _axes(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _catalogue() -> list[Unstable]:
    overflow = "e^x is inf for x above 709, so"
    out = [
        Unstable("softmax", _naive_softmax, f"exp overflowed ({overflow} e^x / Σ e^x is inf/inf = NaN)",
                 SOFTMAX_FIX, True),
        Unstable("logsumexp", lambda x, axis=None, keepdims=False:
                 np.log(np.sum(np.exp(x), axis=_axes(axis), keepdims=keepdims)),
                 f"exp overflowed ({overflow} log Σ e^x is inf)",
                 "compute it as m + log Σ e^(x − m), with m the maximum", True),
        Unstable("log_softmax", lambda x, axis=-1: x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True)),
                 f"exp overflowed ({overflow} log Σ e^x is inf)", SOFTMAX_FIX, True),
        Unstable("log_softmax", lambda x, axis=-1: np.log(softmax(x, axis)),
                 "a probability underflowed to 0 (e^−1000 is 0 in float64) and its log is −inf",
                 LOG_PROB_FIX, False),
        Unstable("softmax_cross_entropy", lambda z, y: np.mean(np.log(np.sum(np.exp(z), axis=-1)) - picked(z, y)),
                 f"exp overflowed ({overflow} log Σ e^z is inf)", SOFTMAX_FIX, True),
        Unstable("softmax_cross_entropy", lambda z, y: -np.mean(np.log(picked(_naive_softmax(z), y))),
                 f"exp overflowed ({overflow} e^z / Σ e^z is inf/inf = NaN)", SOFTMAX_FIX, True),
        Unstable("softmax_cross_entropy", lambda z, y: -np.mean(np.log(picked(softmax(z), y))),
                 "the label's probability underflowed to 0 (e^−1000 is 0 in float64) and −log(0) is inf",
                 LOG_PROB_FIX, False),
        Unstable("sigmoid", lambda x: np.exp(x) / (1.0 + np.exp(x)),
                 "e^x / (1 + e^x) is inf/inf = NaN for x above 709",
                 "use 1 / (1 + e^−x) where x ≥ 0 and e^x / (1 + e^x) where x < 0, so exp never sees a large x",
                 True),
        Unstable("tanh", lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
                 "(e^x − e^−x) / (e^x + e^−x) is inf/inf = NaN for |x| above 709", "use np.tanh", True),
    ]
    for c in FLOORS:
        stuck = f"−log({c:g}) ≈ {-np.log(c):.4g}"
        out += [
            Unstable("softmax_cross_entropy", lambda z, y, c=c: -np.mean(np.log(np.maximum(picked(softmax(z), y), c))),
                     f"the probability is clamped at {c:g}, which caps each row's loss at {stuck}", LOG_PROB_FIX, False),
            Unstable("softmax_cross_entropy", lambda z, y, c=c: -np.mean(np.log(picked(softmax(z), y) + c)),
                     f"{c:g} is added to the probability, which caps each row's loss at {stuck}", LOG_PROB_FIX, False),
            Unstable("log_softmax", lambda x, axis=-1, c=c: np.log(np.maximum(softmax(x, axis), c)),
                     f"the probabilities are clamped at {c:g}, so no log-probability goes below log({c:g}) ≈ "
                     f"{np.log(c):.4g}", LOG_PROB_FIX, False),
            Unstable("log", lambda x, c=c: np.log(np.maximum(x, c)),
                     f"log's argument is clamped at {c:g}, so it never goes below log({c:g}) ≈ {np.log(c):.4g}",
                     "take the log of the value itself, computed in a stable form", False),
            Unstable("sigmoid", lambda x, c=c: np.clip(OPS["sigmoid"].forward(x), c, 1.0 - c),
                     f"σ is clamped to [{c:g}, 1 − {c:g}]", "return σ(x) itself: e^−|x| keeps it finite", False),
        ]
    return out


CATALOGUE = _catalogue()


def replays(node: NodeType, attributes: Mapping[str, Any], inputs: Mapping[str, np.ndarray]) -> Iterator[tuple[Unstable, np.ndarray]]:
    """For each unstable form of an op the node's reference calls: the output the reference
    gives with that op computed that way (NaN and inf included)."""
    ops = node.reference.ops
    leaves = {**attributes, **{name: value if isinstance(value, dict) else np.asarray(value) for name, value in inputs.items()}}
    for unstable in CATALOGUE:
        if unstable.op not in ops:
            continue
        try:
            with np.errstate(all="ignore"):
                yield unstable, node.reference.evaluate(leaves, {unstable.op: unstable.forward}).value
        except Exception:  # a form that does not apply to these inputs explains nothing
            continue


# What to do, by the ops a reference calls, for a NaN or inf no replay explains: (forward, backward).
FIXES = (
    ({"softmax", "log_softmax", "logsumexp", "softmax_cross_entropy"},
     (f"{SOFTMAX_FIX}, and {LOG_PROB_FIX}",
      "use softmax − one_hot, with the softmax computed after subtracting each row's maximum")),
    ({"sigmoid"}, ("compute σ with e^−|x| (one formula for x ≥ 0, another for x < 0)",
                   "use σ(x)·(1 − σ(x)) with the stable σ from forward")),
    ({"tanh"}, ("use np.tanh", "use 1 − tanh(x)² with tanh from forward")),
)


def fix_for(node: NodeType | None, gradient: bool) -> str:
    """What to do about a NaN or inf at large inputs, for the ops of the node's reference."""
    ops = node.reference.ops if node is not None and node.reference is not None else set()
    for names, fixes in FIXES:
        if ops & names:
            return fixes[gradient]
    return ("compute the gradient from the forward's stable values" if gradient
            else "use a numerically stable formula")
