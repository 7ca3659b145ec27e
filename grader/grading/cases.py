"""The cases of a node test: each one's inputs (drawn, or an example's), what the reference
expects of it, and the student's replies as they come back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.grading.diagnose import fmt
from grader.grading.regions import Branches
from grader.grading.replays import Replays
from grader.spec.draw import bind_dims, draw_case, example_case
from grader.spec.model import Example, NodeTest, NodeType
from grader.spec.reference import Result


@dataclass
class Case:
    """One set of inputs of a test, what the reference says about it, and the student's replies."""

    label: str
    inputs: dict[str, np.ndarray]
    dims: dict[str, float]
    grad_output: np.ndarray | None = None
    expected: Result | None = None   # from the reference, or from the example (output may be None)
    ignores_upstream: Result | None = None
    ignores_output: dict[str, Result] = field(default_factory=dict)  # several outputs: one's upstream left out
    replies: dict[str, Any] = field(default_factory=dict)
    example: Example | None = None
    random: bool = False               # a random node's random case: expected once its mask is known
    mask: np.ndarray | None = None     # the mask read off the student's output
    replays: Replays | None = None     # the reference replayed with a known mistake (see replays)
    branches: Branches | None = None   # where the reference switches at these inputs (see regions)
    tangents: dict[str, np.ndarray] | None = None  # forward mode: each input's tangent
    shown: dict[str, str] = field(default_factory=dict)  # failed calls said in full: by which result

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The inputs that are arrays (not param dicts)."""
        return {k: v for k, v in self.inputs.items() if isinstance(v, np.ndarray)}


def make_cases(node: NodeType, test: NodeTest, rng: np.random.Generator) -> list[Case]:
    """The test's random cases (drawn with ``rng``) and its examples."""
    cases = []
    for i in range(test.settings.cases):
        values = draw_case(test.inputs, test.settings, rng, node.kinks, test.attributes)
        cases.append(Case(f"case {i + 1}", values, _dims(test, values)))
    for i, example in enumerate(test.examples):
        values = example_case(test.inputs, test.settings, example.inputs, rng)
        cases.append(Case(f"example {i + 1}", values, _dims(test, values), example=example))
    return cases


def _dims(test: NodeTest, values: dict[str, np.ndarray]) -> dict[str, float]:
    dims: dict[str, int] = {}
    for inp in test.inputs:
        if not isinstance(inp.shape, str) and not inp.is_param:
            bind_dims(inp.shape, values[inp.name].shape, dims, overwrite=True)
    return {k: v for k, v in dims.items() if v > 1}


def show_inputs(case: Case) -> str:
    return ", ".join(f"{k} = {fmt(v)}" for k, v in case.arrays.items())
