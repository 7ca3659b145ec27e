"""The check "two instances at once": two instances of a node type alive together (both
forwards, then both backwards) must give what each gives alone. A node that keeps its
forward's values on the class, or in module globals, fails it; the message says where the
values should live for the node's calling convention."""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.grading.cases import Case
from grader.grading.diagnose import allclose, shared_state_hint
from grader.grading.outcome import NotRun
from grader.spec.model import NodeType


def judge(node: NodeType, case: Case, other: Case, tol, error: Callable[[dict], "str | NotRun"]) -> str | NotRun | None:
    """``case`` and ``other`` alone against the pair's calls (``case.replies["pair"]``: both
    news, both forwards, both backwards); ``error`` says what a failed call means."""
    pair = case.replies["pair"]
    alone = [(case.replies["forward"], case.replies["backward"]),
             (other.replies["forward"], other.replies["backward"])]
    together = [(pair[2], pair[4]), (pair[3], pair[5])]
    alive, keep = shared_state_hint(node.convention.kind, node.convention.call("forward"), node.name)
    for (fwd1, bwd1), (fwd2, bwd2) in zip(alone, together):
        if "ok" not in fwd1 or "ok" not in bwd1:
            continue  # the other case fails alone; its own checks say why
        for reply in (pair[0], pair[1], fwd2, bwd2):
            if "error" in reply:
                said = error(reply["error"])
                return said if isinstance(said, NotRun) else f"with {alive}, {said}; one alone works: {keep}"
        outs = zip(*(o if isinstance(o, list) else [o] for o in (fwd1["ok"]["out"], fwd2["ok"]["out"])))
        same = all(close(a, b, tol) for a, b in outs) and all(
            (a is None and b is None) or (a is not None and b is not None and close(a, b, tol))
            for a, b in zip(bwd1["ok"]["grads"], bwd2["ok"]["grads"]))
        if not same:
            mask = " (and backward must use the mask its own forward drew)" if case.random else ""
            return f"with {alive} (both forwards, then both backwards), a backward used the other forward's values: {keep}{mask}"
    return None


def close(a: np.ndarray, b: np.ndarray, tol) -> bool:
    """The same within the tolerance, NaNs in the same places (the quick test first: it runs
    for every case)."""
    if np.shape(a) != np.shape(b):
        return False
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return allclose(a, b, tol.rtol, tol.atol) or bool(np.allclose(a, b, rtol=tol.rtol, atol=tol.atol, equal_nan=True))
