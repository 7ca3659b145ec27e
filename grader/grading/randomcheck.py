"""Random nodes (dropout), graded in full without a deterministic reference.

The mask a student's forward drew is read off its output (an entry of the input that comes
out as 0 was dropped); the output and backward are then compared with the reference given
that mask, in the usual checks. This module judges the rest, the ``random`` check:

- the kept fraction is plausible for the keep probability p: an exact two-sided binomial
  test, so a correct forward fails it with probability below ``FALSE_FAILURE`` per test;
- the same seed gives the same mask (a second call, on a new instance);
- another seed gives another mask, where two independent masks would coincide with a
  probability below that bound (a forward that seeds with a fixed number fails).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grader.grading.outcome import NotCompared
from grader.spec.model import RandomMask

FALSE_FAILURE = 1e-9  # at most this chance, per test, that a correct forward fails a statistical check
NOT_RANDOM = NotCompared("cases where the node is not random")
NO_SEED = NotCompared("random cases without a seed")


def infer_mask(out: Any, x: np.ndarray) -> np.ndarray | None:
    """Which entries of ``x`` the output kept (1.0) or dropped (0.0); None when the output is
    not an array shaped like ``x``. An entry where x is 0 counts as kept."""
    out = np.asarray(out) if out is not None else None
    if out is None or out.shape != np.shape(x) or out.dtype.kind not in "biuf":
        return None
    return ((out != 0) | (np.asarray(x) == 0)).astype(np.float64)


def tails(kept: int, n: int, p: float) -> tuple[float, float]:
    """P(K <= kept) and P(K >= kept) for K ~ Binomial(n, p), computed exactly in log space."""
    if p >= 1.0:
        return (1.0 if kept >= n else 0.0), (1.0 if kept == n else 0.0)
    if p <= 0.0:
        return 1.0, (1.0 if kept == 0 else 0.0)
    j = np.arange(n, dtype=np.float64)
    steps = np.log((n - j) / (j + 1)) + math.log(p / (1 - p))  # log pmf(j + 1) - log pmf(j)
    logpmf = n * math.log1p(-p) + np.concatenate([[0.0], np.cumsum(steps)])
    top = float(logpmf.max())
    total = np.exp(logpmf - top)
    lower = float(total[:kept + 1].sum() / total.sum())
    upper = float(total[kept:].sum() / total.sum())
    return lower, upper


def same_mask_chance(p: float, n: int) -> float:
    """The probability that two independent masks of n entries coincide."""
    return float((p * p + (1 - p) * (1 - p)) ** n)


def judge(random: RandomMask, settings: dict[str, Any], mask: np.ndarray, x: np.ndarray, base: np.ndarray,
          again: dict | None, reseeded: dict | None, alpha: float) -> str | None:
    """The random check of one case: ``mask`` as read off the forward's output ``base``,
    ``again`` and ``reseeded`` the replies of forwards on new instances with the same seed and
    with another one, ``alpha`` this case's share of the false-failure bound."""
    p = random.keep_probability(settings)
    known = np.asarray(x) != 0
    n, kept = int(known.sum()), int(mask[known].sum())
    lower, upper = tails(kept, n, p)
    if min(lower, upper) < alpha / 2:
        name = f"{random.param}[{random.keep or random.drop!r}]"
        meaning = "keeping" if random.keep else "dropping"
        return (f"forward kept {kept} of {n} entries ({kept / max(n, 1):.0%}), but with {name} = {p if random.keep else 1 - p:g} "
                f"as the probability of {meaning} one, that happens with a chance below {alpha:.0e}: is {name} "
                f"the probability of {meaning}?")
    if random.seed is None or settings.get(random.seed) is None:
        return None
    seed = f"{random.param}[{random.seed!r}]"
    if again is not None and "ok" in again:
        if not same(again["ok"]["out"], base):
            return (f"two calls with the same {seed} gave different masks: seed numpy's generator with it "
                    "(np.random.seed) before drawing the mask")
    if reseeded is not None and "ok" in reseeded and same_mask_chance(p, n) < alpha / 2:
        other = infer_mask(reseeded["ok"]["out"], x)
        if other is not None and np.array_equal(other[known], mask[known]):
            return (f"a different {seed} gave the same mask: draw the mask after seeding with {seed}, "
                    "not with a fixed seed")
    return None


def same(a: Any, b: Any) -> bool:
    """Whether two outputs are identical (NaN where the other has NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b))
