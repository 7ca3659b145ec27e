"""The numeric check: backward against central differences of the student's own forward.

The worker calls the forward, each time on a fresh instance, at x + h and x - h for every
stencil direction (each element of a small input, a few random unit directions of a large
one, so the cost does not grow with the parameter count), and then twice at x itself.
Judging here:

- Called again on the case's own inputs, the forward must give the answer it gave in the
  main call: a forward that depends on anything but its inputs (randomness, a module-level
  memory of earlier calls) cannot be differentiated, so it is not trusted to be.
- Where backward disagrees with the differences, the stencil point is left out only if the
  *reference* says finite differences cannot work there: a kink the spec declares lies
  between x - h and x + h (the ``kinks`` expression changes sign), or the reference's own
  differences miss the reference's own gradient. What the student's forward returns never
  decides it, so a forward that answers the probes with junk fails instead of being excused.
- A case where more than half of the points are left out is not counted, and the check
  says so: it never passes on points it did not compare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from grader.grading.diagnose import compare, fmt
from grader.grading.outcome import NotCompared
from grader.sandbox.protocol import directions
from grader.spec.model import NodeType
from grader.spec.reference import reference_env

if TYPE_CHECKING:
    from grader.grading.cases import Case

RTOL, ATOL = 1e-4, 1e-6
PER_ELEMENT_MAX = 64     # inputs up to this size get per-element differences
DIRECTIONS = 3           # random directions for larger inputs
STEP = 1e-5              # relative finite-difference step
SAME_RTOL = 1e-9         # a repeated call may differ by rounding, never by a step's worth
MOSTLY_KINKS = NotCompared("cases where most finite-difference points straddle a kink")


def plan(inputs: dict[str, np.ndarray], graded: list[int], rng: np.random.Generator) -> list[dict]:
    """The finite-difference plan of a case: per graded input, ±h for every element (small
    inputs) or along ``DIRECTIONS`` random unit directions (large ones); then a step of 0 on
    one input, i.e. the case's own inputs again (twice), to hold the forward to its answer."""
    plans: list[dict[str, Any]] = []
    values = list(inputs.values())
    for k in graded:
        x = values[k]
        if x.size <= PER_ELEMENT_MAX:
            plans.append({"input": k, "steps": STEP * np.maximum(1.0, np.abs(x.astype(np.float64)))})
        else:
            plans.append({"input": k, "seed": int(rng.integers(2 ** 62)), "count": DIRECTIONS,
                          "step": STEP * max(1.0, float(np.max(np.abs(x))))})
    again = next((k for k in graded if values[k].size), None)
    if again is not None:
        plans.append({"input": again, "steps": np.zeros(1), "repeat": True})
    return plans


def judge(node: NodeType, attributes: dict[str, Any], names: list[str], case: Case) -> str | None:
    """None when backward agrees with finite differences of the forward wherever the
    reference says they work; otherwise what is wrong (``MOSTLY_KINKS`` when too little
    could be compared). ``names`` are the test's inputs, in the plan's order."""
    grads = case.replies["backward"]["ok"]["grads"]
    base, g = _joined(case.replies["forward"]["ok"]["out"]), _joined(case.grad_output)
    outs = case.replies["many"]["ok"]["outs"]
    if not isinstance(outs, np.ndarray) or outs.shape[1:] != np.shape(g) or np.shape(base) != np.shape(g):
        return ("forward's output has a different shape from the expected one, so it cannot be "
                "differentiated numerically")
    plans = case.replies["plan"]
    stencils = [_stencil(p, case.inputs[names[p["input"]]].shape) for p in plans]
    if len(outs) != 2 * sum(len(h) for _, h in stencils):
        raise ValueError("the finite-difference reply does not match its plan")
    if plans and plans[-1].get("repeat"):
        problem = _repeated(outs[-2:], base)
        if problem:
            return problem
        plans, stencils, outs = plans[:-1], stencils[:-1], outs[:-2]
    values = outs.reshape(len(outs), -1) @ np.ravel(g)  # <g, f(x ± h v)> for every stencil point
    f0 = float(np.sum(g * base))
    start = points = left_out = 0
    for p, (v, h) in zip(plans, stencils):
        name = names[p["input"]]
        student = grads[p["input"]]
        if student is None or np.shape(student) != case.inputs[name].shape:
            return (f"backward gave no d{name} (None), so it cannot be compared with finite differences" if student is None
                    else f"d{name} has the wrong shape, so it cannot be compared with finite differences")
        mine = _along(v, np.asarray(student, dtype=np.float64))
        plus, minus = values[start:start + 2 * len(h):2], values[start + 1:start + 2 * len(h):2]
        start += 2 * len(h)
        estimate = (plus - minus) / (2 * h)
        agree = _close(mine, estimate)
        excused = np.zeros(len(h), dtype=bool)
        for j in np.flatnonzero(~agree):  # up to the first point that has no excuse: that one fails the case
            if not _finite_differences_fail(node, attributes, case, name, v, h, j):
                kept = ~excused
                right, left = (plus - f0) / h, (f0 - minus) / h
                jumps = ~agree & kept & (np.abs(right - left) > 1e-3 * (np.abs(right) + np.abs(left)) + 1e-4)
                hint = _hint(bool(jumps.any()), node.reference is not None, np.asarray(base).dtype)
                return _disagreement(mine[kept], estimate[kept], name) + hint
            excused[j] = True
        points += len(h)
        left_out += int(excused.sum())
    if 2 * left_out > points:
        return MOSTLY_KINKS
    return None


def _values(out: Any) -> Any:
    """A reference's value: an array, or a list of them for several outputs."""
    return [o.value for o in out] if isinstance(out, tuple) else out.value


def _joined(value: Any) -> Any:
    """Several outputs (or their upstream gradients) as one flat array, as the worker joins
    each finite-difference forward's: the check then differentiates <g, all outputs>."""
    return np.concatenate([np.ravel(v) for v in value]) if isinstance(value, list) else value


def _stencil(p: dict, shape: tuple) -> tuple[np.ndarray | None, np.ndarray]:
    """The directions of a plan (None: each element in turn) and their steps."""
    if "steps" in p:
        return None, np.ravel(p["steps"]).astype(np.float64)
    v = directions(p["seed"], p["count"], shape)
    return v, np.full(len(v), float(p["step"]))


def _along(v: np.ndarray | None, grad: np.ndarray) -> np.ndarray:
    """A gradient's component along each stencil direction."""
    return np.ravel(grad) if v is None else v.reshape(len(v), -1) @ np.ravel(grad)


def _close(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Per point, as ``diagnose.allclose`` judges a whole array."""
    with np.errstate(invalid="ignore", over="ignore"):
        return ((np.abs(got - want) <= ATOL + RTOL * np.abs(want)) & np.isfinite(want)) | (got == want)


def _repeated(again: np.ndarray, base: np.ndarray) -> str | None:
    """The forward at the case's own inputs, called again, against its main answer."""
    base = np.asarray(base, dtype=np.float64)
    finite = np.abs(base[np.isfinite(base)])
    atol = SAME_RTOL * (1.0 + (float(finite.max()) if finite.size else 0.0))
    for out in again:
        if np.shape(out) == base.shape and bool((out == base).all()):
            continue  # the same to the bit, as a forward of its inputs alone gives: no need for isclose
        with np.errstate(invalid="ignore", over="ignore"):
            same = np.isclose(out, base, rtol=SAME_RTOL, atol=atol, equal_nan=True) | (out == base)
        if not same.all():
            if base.size <= 8:
                detail = f"{fmt(out)} instead of {fmt(base)}"
            else:
                i = np.unravel_index(int(np.argmin(same.ravel())), base.shape)
                detail = f"at index {i}, {fmt(out[i])} instead of {fmt(base[i])}"
            return (f"forward gives different answers for the same inputs: called again on a new "
                    f"instance, it returned {detail}. Its output must depend on its inputs alone (no "
                    "randomness, no memory of earlier calls), or backward cannot be checked against it")
    return None


def _finite_differences_fail(node: NodeType, attributes: dict[str, Any], case: Case, name: str,
                             v: np.ndarray | None, h: np.ndarray, j: int) -> bool:
    """Whether the reference says central differences cannot work at stencil point ``j``:
    a declared kink lies between x - h and x + h, or the reference's own differences there
    miss the reference's own gradient (a kink of relu, abs, max... that no ``kinks`` names)."""
    plus, minus = _moved(case.inputs, name, v, h[j], j), _moved(case.inputs, name, v, -h[j], j)
    with np.errstate(all="ignore"):
        if any(flips.any() for flips in kink_flips(node, attributes, plus, minus)):
            return True
        if node.reference is None or case.expected is None or name not in case.expected.grads:
            return False
        g = _joined(case.grad_output)
        up = np.sum(g * _joined(_values(node.reference.evaluate(reference_env(node, attributes, plus, case.mask)))))
        down = np.sum(g * _joined(_values(node.reference.evaluate(reference_env(node, attributes, minus, case.mask)))))
        grad = np.ravel(case.expected.grads[name]).astype(np.float64)
        want = grad[j] if v is None else np.ravel(v[j]) @ grad
        return not _close(np.array([want]), np.array([(up - down) / (2 * h[j])]))[0]


def kink_flips(node: NodeType, attributes: dict[str, Any], plus: dict, minus: dict) -> list[np.ndarray]:
    """For each kink the node declares, where it changes sign (or leaves 0) between two points."""
    flips = []
    for kink in node.kinks:
        a = np.asarray(kink.evaluate({**attributes, **plus}).value)
        b = np.asarray(kink.evaluate({**attributes, **minus}).value)
        flips.append((np.sign(a) * np.sign(b) < 0) | ((a == 0) != (b == 0)))
    return flips


def _moved(inputs: dict[str, np.ndarray], name: str, v: np.ndarray | None, step: float, j: int) -> dict:
    """The inputs of stencil point ``j`` on the side of ``step``, made as the worker makes them."""
    moved = dict(inputs)
    x = inputs[name].copy()
    if v is None:
        x.flat[j] += step
    else:
        x += step * v[j]
    moved[name] = x
    return moved


def _disagreement(mine: np.ndarray, estimate: np.ndarray, name: str) -> str:
    problem = compare(mine, estimate, what=f"d{name}", rtol=RTOL, atol=ATOL) or f"d{name} is wrong"
    return (problem.replace(" is wrong", " disagrees with finite differences of your own forward", 1)
            if " is wrong" in problem else f"{problem} (compared with finite differences of your own forward)")


def _hint(jumps: bool, referenced: bool, dtype: np.dtype) -> str:
    """Why the differences may be off, when the forward itself changes abruptly at a failing
    point (``jumps``, by its one-sided differences): where there is a reference, it says the
    function does not."""
    if dtype.kind == "f" and dtype.itemsize < 8:
        return (f"; your forward returns {dtype}, whose rounding swamps the change over x ± {STEP:g}: "
                "compute in float64")
    if jumps and referenced:
        return (f"; your forward gives very different answers for nearly the same input (x ± {STEP:g}) "
                "where the function is smooth: does its output depend on anything but its inputs?")
    if jumps:
        return (f"; your forward changes abruptly between nearly equal inputs (x ± {STEP:g}), "
                "where the assignment declares no kink")
    return ""
