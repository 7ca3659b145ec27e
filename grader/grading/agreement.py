"""How closely passing gradients match the reference, and a note for the instructor when a
backward passes only as closely as finite differences or single precision could: the
grade stands, the way it was earned may not."""

from __future__ import annotations

import numpy as np

from grader.spec.reference import Result


def agreement(grads: list, inputs: list, expected: Result) -> float:
    """How closely gradients that passed match the reference: the largest error relative to
    each gradient's size."""
    worst = 0.0
    for inp, g in zip(inputs, grads):
        want = expected.grads.get(inp.name)
        if not inp.graded or g is None or want is None or np.shape(g) != np.shape(want):
            continue
        scale = float(np.max(np.abs(want), initial=0.0))
        if scale > 0 and np.isfinite(scale):
            worst = max(worst, float(np.max(np.abs(np.asarray(g, dtype=np.float64) - want))) / scale)
    return worst


ANALYTIC_AGREEMENT = 1e-12  # analytic float64 backwards agree to 1e-15 at worst; finite differences to 1e-11 at best


def precision_note(node: str, agreement: list[float]) -> str | None:
    """A note for the instructor when a node's backward passed but never agreed with the
    reference better than finite differences or single precision can (1e-12 and
    worse, in every case): the grade stands, the way it was earned may not. ``node`` is a
    node's name (its backward is meant) or a call such as ``Sin.jvp``."""
    if len(agreement) < 4 or min(agreement) <= ANALYTIC_AGREEMENT:
        return None
    call = node if "." in node else f"{node}.backward"  # a forward-mode node comes as "Sin.jvp"
    return (f"{call} passes, but agrees with the reference only to about {np.median(agreement):.0e} "
            f"(relative) in every one of {len(agreement)} cases: a numerical derivative (finite differences "
            "of its own forward) or single precision, rather than the analytic derivative?")
