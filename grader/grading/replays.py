"""Known mistakes found by replaying the reference with one thing changed, for a wrong answer
that a plain comparison cannot explain:

- statistics of the inputs (a mean, a variance, a standard deviation) held constant: the
  gradient that leaves out the paths through a batch's statistics (batch norm's classic
  mistake, layer norm's too);
- a setting of a param dict replaced by 1 − itself (momentum's two weights swapped) or by
  1 / itself (a multiplication where the formula divides, or the reverse).

A replay runs only after a comparison failed, once per case, and is reported only where it
matches the student's answer and differs from the right one; one that cannot run (a setting
the reference refuses) gives no hint, never a failure.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any, Iterator

import numpy as np

from grader.engine import backward, topological_order
from grader.grading.diagnose import allclose
from grader.spec.model import NodeType, Tolerance
from grader.spec.reference import Result, node_result, reference_env

STATISTICS = {"mean": "the mean", "var": "the variance", "std": "the standard deviation"}


class Replays:
    """The replays of one case, each computed the first time it is asked for."""

    def __init__(self, node: NodeType, attributes: dict[str, Any], inputs: dict[str, Any],
                 grad_output: Any, mask: np.ndarray | None, tol: Tolerance):
        self.node, self.attributes, self.inputs = node, attributes, inputs
        self.grad_output, self.mask, self.tol = grad_output, mask, tol
        self._held: list[tuple[str, dict[str, np.ndarray]]] | None = None
        self._settings: list[tuple[str, Result]] | None = None

    def gradient(self, problem: str, name: str, got: np.ndarray, want: np.ndarray) -> str:
        """``problem`` (what is wrong with ``got``, the gradient of input ``name``), or the
        known mistake that explains it."""
        candidates = [(m, grads.get(name)) for m, grads in self.held()]
        candidates += [(m, r.grads.get(name)) for m, r in self.settings()]
        mistake = _matching(candidates, got, want, self.tol)
        return f"d{name} is wrong: {mistake}" if mistake else problem

    def output(self, problem: str, got: np.ndarray, want: np.ndarray) -> str:
        """``problem`` (what is wrong with the output ``got``), or the changed setting that
        explains it."""
        mistake = _matching([(m, r.output) for m, r in self.settings()], got, want, self.tol)
        return f"the output is wrong: {mistake}" if mistake else problem

    def state(self, param: str, key: str, got: np.ndarray, want: np.ndarray) -> str | None:
        """The changed setting that explains what forward left in ``param[key]``, if one does."""
        return _matching([(m, r.settings.get(param, {}).get(key)) for m, r in self.settings()], got, want, self.tol)

    def held(self) -> list[tuple[str, dict[str, np.ndarray]]]:
        """(mistake, gradients) for each set of the reference's statistics held constant."""
        if self._held is None:
            self._held = list(self._held_statistics()) if self.node.reference and not self.node.outputs else []
        return self._held

    def _held_statistics(self) -> Iterator[tuple[str, dict[str, np.ndarray]]]:
        try:
            env = reference_env(self.node, self.attributes, self.inputs, self.mask)
            out = self.node.reference.evaluate(env)
        except Exception:  # a replay is a hint: one that cannot run gives none
            return
        inner = {v.op.name for v in topological_order(out) if v.op is not None and v is not out}
        present = [op for op in STATISTICS if op in inner]
        leaves = {i.name: env[i.name] for i in self.node.inputs if not i.is_param and i.dtype == "float64"}
        for size in range(len(present), 0, -1):
            for held in combinations(present, size):
                grads = backward(out, self.grad_output, held=held)
                names = [STATISTICS[op] for op in held]
                them = "them" if len(held) > 1 else "it"
                mistake = (f"it treats {' and '.join(names)} as {'constants' if len(held) > 1 else 'a constant'}, "
                           f"but {'they depend' if len(held) > 1 else 'it depends'} on the inputs too: "
                           f"add the gradient that flows through {them}")
                yield mistake, {k: np.asarray(grads.get(id(v), np.zeros(v.shape))) for k, v in leaves.items()}

    def settings(self) -> list[tuple[str, Result]]:
        """(mistake, result) for each number of a param dict replaced by 1 − it or by 1 / it."""
        if self._settings is None:
            self._settings = list(self._changed_settings()) if self.node.reference else []
        return self._settings

    def _changed_settings(self) -> Iterator[tuple[str, Result]]:
        for inp in self.node.inputs:
            if not inp.is_param:
                continue
            for key, value in self.inputs[inp.name].items():
                if key in inp.state or type(value) is not float:  # whole numbers (stride, seed) are not scaled
                    continue
                changes = []
                if 0 < value < 1:
                    changes.append((1 - value, f"it matches the right formula with {key} and 1 − {key} swapped"))
                if value != 0 and abs(value) != 1:
                    changes.append((1 / value, f"it matches the right formula with {key} replaced by 1/{key}: "
                                               f"a multiplication by {key} where it divides (or the reverse)?"))
                for changed, mistake in changes:
                    inputs = {**self.inputs, inp.name: {**self.inputs[inp.name], key: changed}}
                    try:
                        result = node_result(self.node, self.attributes, inputs, self.grad_output, self.mask)
                    except Exception:  # a setting the reference cannot take gives no hint
                        continue
                    yield mistake, result


def _matching(candidates, got: np.ndarray, want: np.ndarray, tol: Tolerance) -> str | None:
    """The first candidate's mistake whose value matches ``got`` and differs from ``want``
    (and is not all zero, which says nothing particular)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    rtol, atol = tol.rtol, tol.atol
    for mistake, value in candidates:
        if value is None:
            continue
        value = np.asarray(value, dtype=np.float64)
        if value.shape == got.shape == want.shape and np.any(value != 0) and \
                not allclose(value, want, rtol, atol) and allclose(got, value, rtol, atol):
            return mistake
    return None

