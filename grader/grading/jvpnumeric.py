"""The numeric check of forward mode: jvp against central differences of the student's own
forward along the case's tangents.

The worker calls the forward, each time on a fresh instance, at x + h·ẋ and x - h·ẋ (every
input moved along its own tangent at once: one direction, two forwards), then twice at x
itself. Each entry of the output's tangent is a point of its own: (f(x + hẋ) - f(x - hẋ)) / 2h
must match that entry of what jvp returned. The rules are the backward check's
(``numeric``):

- Called again on the case's own inputs, the forward must give its main answer.
- Where jvp and the differences disagree at an entry, the entry is left out only if the
  *reference* says differences cannot work there: a declared kink changes sign between
  x - hẋ and x + hẋ at that entry, or the reference's own differences there miss the
  reference's own tangent. What the student's forward returns never excuses a point.
- A case where more than half of the entries are left out is not counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from grader.grading.diagnose import compare
from grader.grading.numeric import ATOL, MOSTLY_KINKS, RTOL, STEP, _close, _repeated, kink_flips
from grader.spec.model import NodeType
from grader.spec.reference import reference_env

if TYPE_CHECKING:
    from grader.grading.cases import Case


def step(inputs: dict[str, np.ndarray], tangents: dict[str, np.ndarray]) -> float:
    """h such that h·ẋ moves each input by about ``STEP`` times its own scale."""
    scale = max([1.0] + [float(np.max(np.abs(x), initial=0.0)) for x in inputs.values()])
    largest = max([0.0] + [float(np.max(np.abs(t), initial=0.0)) for t in tangents.values()])
    return STEP * scale / largest if largest > 0 else STEP


def plan(case: "Case") -> list[dict]:
    """Forwards at x ± h·ẋ (every input along its tangent), then twice at x (a step of 0 on
    the first input with entries) to hold the forward to its answer."""
    names = list(case.inputs)
    plans = [{"along": [case.tangents[n] for n in names], "step": step(case.inputs, case.tangents)}]
    again = next((k for k, n in enumerate(names) if case.inputs[n].size), None)
    if again is not None:
        plans.append({"input": again, "steps": np.zeros(1), "repeat": True})
    return plans


def judge(node: NodeType, attributes: dict[str, Any], case: "Case", what: str) -> str | None:
    """None when jvp agrees with differences of the forward at every entry the reference
    says they work; otherwise what is wrong. ``what`` names the tangent in messages
    (``Sin.jvp's tangent along x_dot``)."""
    base = np.asarray(case.replies["forward"]["ok"]["out"], dtype=np.float64)
    mine = np.asarray(case.replies["jvp"]["ok"]["tangent"], dtype=np.float64)
    outs = case.replies["many"]["ok"]["outs"]
    if not isinstance(outs, np.ndarray) or outs.shape[1:] != base.shape or mine.shape != base.shape:
        return ("the tangent jvp returned, or forward's output, is not shaped like the expected output, so "
                "they cannot be compared with finite differences")
    plans = case.replies["plan"]
    if len(outs) != 2 * len(plans):
        raise ValueError("the finite-difference reply does not match its plan")
    if plans[-1].get("repeat"):
        problem = _repeated(outs[2:], base)
        if problem:
            return problem
    h = float(plans[0]["step"])
    estimate = ((outs[0] - outs[1]) / (2 * h)).ravel()
    mine = mine.ravel()
    agree = _close(mine, estimate)
    if agree.all():
        return None
    excused = np.zeros(mine.size, dtype=bool)
    fails = _reference_fails(node, attributes, case, h, mine.size)
    for j in np.flatnonzero(~agree):
        if not fails(j):
            kept = ~excused
            problem = compare(mine[kept], estimate[kept], what=what, rtol=RTOL, atol=ATOL) or f"{what} is wrong"
            if " is wrong" in problem:
                return problem.replace(" is wrong", " disagrees with finite differences of your own forward", 1)
            return f"{problem} (compared with finite differences of your own forward)"
        excused[j] = True
    return MOSTLY_KINKS if 2 * int(excused.sum()) > mine.size else None


def _moved(case: "Case", h: float) -> dict[str, np.ndarray]:
    """The case's inputs moved by h along their tangents, as the worker moves them."""
    return {k: x + h * case.tangents[k] for k, x in case.inputs.items()}


def _reference_fails(node: NodeType, attributes: dict[str, Any], case: "Case", h: float, size: int):
    """A test of one of the tangent's ``size`` entries: do central differences fail there by
    the reference's own account (a declared kink changes sign at that entry between x - hẋ
    and x + hẋ, or the reference's differences miss its tangent; without a reference, the
    kinks alone)? Computed once per case, when needed."""
    plus, minus = _moved(case, h), _moved(case, -h)
    crossed = np.zeros(size, dtype=bool)
    with np.errstate(all="ignore"):
        for flips in kink_flips(node, attributes, plus, minus):
            crossed |= flips.ravel() if flips.size == size else np.full(size, bool(flips.any()))
        if node.reference is None or case.expected is None or case.expected.tangent is None:
            return lambda j: bool(crossed[j])
        up = node.reference.evaluate(reference_env(node, attributes, plus)).value
        down = node.reference.evaluate(reference_env(node, attributes, minus)).value
        estimate = np.ravel((up - down) / (2 * h))
    missed = ~_close(np.ravel(case.expected.tangent), estimate)
    return lambda j: bool(crossed[j] or missed[j])
