"""Range tests: values and gradients at large inputs (|x| = 1e3) against the reference.

Finite is not enough: a loss that clamps its probabilities at 1e-10 is finite at logits of
1e3 and wrong by two orders of magnitude. So a range case is judged like any other, against
the reference (stable there), with a tolerance suited to the inputs' magnitude; a failure
names the usual cause: overflow to inf or NaN (no maximum subtracted), the log of a
probability that underflowed to 0, a value clamped at a floor.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from grader.grading.diagnose import compare
from grader.spec.model import Input, NodeType, Tolerance
from grader.grading.unstable import FLOORS, fix_for, replays

ROUNDING = 1e-12  # absolute error allowed per unit of the largest input


def tolerance(tol: Tolerance, inputs: Mapping[str, np.ndarray]) -> Tolerance:
    """The test's tolerance, with an absolute part of at least ROUNDING × the largest input.

    Values computed from inputs of size s carry rounding errors of a few ulps of s however
    small they are themselves (z − max(z) is exact only to about 2e-13 at s = 1e3), and a
    saturated gradient (σ'(1000) = e^−1000) is 0 or a few ulps in any stable formula, so a
    relative tolerance alone would fail correct code there. 1e-12·s is thousands of ulps of
    s, and still ten orders of magnitude below what a real mistake changes (clamping turns a
    loss of 2000 into 23).
    """
    return Tolerance(tol.rtol, max(tol.atol, ROUNDING * max(1.0, largest(inputs))))


def largest(inputs: Mapping[str, np.ndarray]) -> float:
    return max((float(np.max(np.abs(v), initial=0)) for v in inputs.values() if isinstance(v, np.ndarray) and v.dtype.kind == "f"), default=0.0)


def judge_range(node: NodeType, attributes: Mapping[str, Any], graded: Sequence[Input],
                inputs: Mapping[str, np.ndarray], tol: Tolerance, out: np.ndarray, grads: Sequence[Any],
                want_output: np.ndarray | None, want_grads: Mapping[str, np.ndarray]) -> str | None:
    """None if the student's output and gradients at these inputs are right (or, where there
    is nothing to compare with, finite); else what is wrong and its likely cause.

    ``inputs`` are the case's arrays in forward's order, ``grads`` the student's gradient of
    each, ``graded`` the inputs whose gradients count, ``want_*`` the expected values (a
    gradient missing there is only checked to be finite).
    """
    tol = tolerance(tol, inputs)
    big = f"{largest(inputs):g}"
    grad_problem = _gradients(node, graded, inputs, grads, want_grads, tol, big)
    if want_output is None:
        if not np.all(np.isfinite(out)):
            return f"forward gives NaN or inf for inputs as large as {big}: {fix_for(node, False)}"
        return grad_problem
    problem = compare(out, want_output, what="the output", rtol=tol.rtol, atol=tol.atol)
    if problem is None:
        return grad_problem
    if np.shape(out) != np.shape(want_output):
        return problem
    return f"{problem} (inputs as large as {big}): " + _cause(node, attributes, inputs, out, want_output, tol,
                                                               gradients_right=grad_problem is None)


def _gradients(node: NodeType, graded: Sequence[Input], inputs: Mapping[str, np.ndarray], grads: Sequence[Any],
               want_grads: Mapping[str, np.ndarray], tol: Tolerance, big: str) -> str | None:
    by_name = dict(zip(inputs, grads))
    for inp in graded:
        g = by_name.get(inp.name)
        if g is None:
            return f"d{inp.name} is None, but {inp.name} needs a gradient"
        want = want_grads.get(inp.name)
        finite = np.all(np.isfinite(g)) if np.asarray(g).dtype.kind in "biuf" else True
        if want is None:
            if not finite:
                return f"d{inp.name} has NaN or inf for inputs as large as {big}: {fix_for(node, True)}"
            continue
        problem = compare(g, want, what=f"d{inp.name}", rtol=tol.rtol, atol=tol.atol)
        if problem:
            return f"{problem} (inputs as large as {big})" + ("" if finite else f": {fix_for(node, True)}")
    return None


def _cause(node: NodeType, attributes: Mapping[str, Any], inputs: Mapping[str, np.ndarray], out: np.ndarray,
           want: np.ndarray, tol: Tolerance, gradients_right: bool) -> str:
    """The mistake that reproduces the student's output; else what the symptom usually means."""
    if node.reference is not None:
        matches = [u for u, value in replays(node, attributes, inputs)
                   if _same(out, value, tol) and not _same(value, want, tol)]
        if matches:  # inf can come from two mistakes; the gradients tell them apart
            unstable = next((u for u in matches if u.in_gradient != gradients_right), matches[0])
            return f"{unstable.cause}; {unstable.fix}"
    return _symptom(np.asarray(out, dtype=np.float64), np.asarray(want, dtype=np.float64), tol) + fix_for(node, False)


def _same(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(a, b, rtol=tol.rtol, atol=tol.atol, equal_nan=True))


def _symptom(out: np.ndarray, want: np.ndarray, tol: Tolerance) -> str:
    if np.isnan(out).any():
        return "NaN comes from inf/inf or inf − inf after an exp overflowed (e^x is inf for x above 709); "
    if np.isinf(out).any():
        return ("inf comes from an exp that overflowed (e^x is inf for x above 709) or from the log of "
                "a probability that underflowed to 0; ")
    wrong = ~np.isclose(out, want, rtol=tol.rtol, atol=tol.atol)
    values = out[wrong] if out.ndim else out.reshape(1)
    for c in FLOORS:
        for value, text in ((np.log(c), f"log({c:g})"), (-np.log(c), f"−log({c:g})"), (c, f"{c:g}"),
                            (1.0 - c, f"1 − {c:g}")):
            if values.size and value != 1.0 and np.allclose(values, value, rtol=1e-9, atol=0):
                return f"it is stuck at {value:.4g} = {text}: something clamps it; "
    if values.size > 1 and np.ptp(values) == 0 and np.ptp(want[wrong]) > 0:
        return f"every wrong entry is {values[0]:.4g}: is something clamped? "
    return ""
