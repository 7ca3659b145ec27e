"""Where a wrong array is wrong, said only from the reference's own branches, and only on
enough evidence: "dx is wrong only where x <= y (Max's branch)".

The candidate regions come from the node's reference alone, evaluated on the case's inputs,
never from a guess about the node's name or its inputs' signs:

- every op of the reference whose formula switches names its branches (``Op.branches``:
  relu's x > 0, maximum's x > y, a comparison, hinge's label column and positive margins,
  the maximum of a pooling window, the rows ``take`` selects more than once), worded with
  its operands as the spec writes them: an input's name, a number, and + - * / ** of those.
  An op whose operand has no such name (a matmul, an inner softmax) is a branch no student
  would recognise: it gives no region;
- a boolean input the reference reads (a mask over the arrays' leading axes), and a random
  node's mask (the entries its forward kept).

A branch concerns an input's gradient when that input enters the branching op entry by entry
(through + - * / ** only, never broadcast; a branch of rows, the rows of the input), and the
output (or a jvp's tangent of it) when the output is the branching op's own result entry by
entry. A mask concerns every array whose leading axes it covers.

**The evidence rule.** A region is claimed only when the wrong entries are exactly one side
of a branch (every wrong entry on that side, every entry on the other side right) and each
side holds at least ``EVIDENCE`` entries (positions of the mask, for a mask of leading axes
or rows): a case too small or too lopsided to tell (one entry against the rest says
nothing), a bug that is wrong everywhere, or one wrong on a region that is not a branch of
the reference (the sign of an input of Max, whose branch is x > y; 1/x, whose kink at 0 is
no branch) gets no claim about regions at all. Exactness is what makes two entries a side
enough: a coincidental split would have to match the branch entry for entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.engine import Var, topological_order
from grader.spec.model import NodeType
from grader.spec.params import MASK
from grader.spec.reference import reference_env

EVIDENCE = 2  # entries each side of a branch must hold before a claim about it is made
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}  # element-wise, as written


@dataclass(frozen=True)
class Region:
    """One branch of the reference as it concerns one array: its mask (of the array's shape,
    or of its leading axes), the words for each side (``otherwise`` None: that side is never
    claimed), what it is (``"Max's branch"``), whether ties decide the side, and what to
    check (None: "that side" of the student's call)."""

    mask: np.ndarray
    where: str
    otherwise: str | None
    about: str
    ties: bool = False
    hint: str | None = None


class Regions:
    """The regions of one array a check compares (an input's gradient, or the output), and
    the claim they support about where it is wrong. ``call`` names the student's call that
    computes it (``Max.backward``)."""

    def __init__(self, regions: list[Region], call: str, tied: frozenset[str] = frozenset()):
        self.regions, self.call = regions, call
        self.tied = tied  # inputs whose ties a branch breaks for this array: where "ties" may be said

    def claim(self, wrong: np.ndarray, zero: bool = False) -> str | None:
        """Where the entries of ``wrong`` (True where the array is wrong) are, when they are
        exactly one side of a branch with at least ``EVIDENCE`` entries on each side
        (``"where x <= y (Max's branch): check that side of Max.backward"``; ``zero``: the
        right value is 0 all over that side, which it says); else None."""
        for region in self.regions:
            mask = region.mask
            if mask.ndim > wrong.ndim or wrong.shape[:mask.ndim] != mask.shape:
                continue
            spread = np.broadcast_to(mask.reshape(mask.shape + (1,) * (wrong.ndim - mask.ndim)), wrong.shape)
            inside = int(mask.sum())
            if min(inside, mask.size - inside) < EVIDENCE:
                continue
            for side, words in ((spread, region.where), (~spread, region.otherwise)):
                if words is not None and np.array_equal(wrong, side):
                    zeros = ", where it should be 0" if zero else ""
                    return f"{words} ({region.about}){zeros}: {region.hint or f'check that side of {self.call}'}"
        return None

    def sides(self) -> list[tuple[str, str]]:
        """Both sides' words of each branch that names both (for "is a condition reversed?")."""
        return [(r.where, r.otherwise) for r in self.regions if r.otherwise is not None]


class Branches:
    """The branches of a node's reference at one case's inputs, found the first time they
    are asked for (only a failed comparison asks)."""

    def __init__(self, node: NodeType, attributes: dict[str, Any], inputs: dict[str, Any],
                 mask: np.ndarray | None):
        self.node, self.attributes, self.inputs, self.mask = node, attributes, inputs, mask
        self._found: dict[str | None, list[Region]] | None = None

    def of(self, name: str | None, phase: str) -> Regions:
        """The regions of input ``name``'s gradient (None: of the output), for the student's
        call ``phase`` (backward, forward, jvp) that computed it."""
        if self._found is None:
            self._found = self._find() if self.node.reference is not None else {}
        regions = self._found.get(name, [])
        tied = frozenset({name} if name is not None and any(r.ties for r in regions) else ())
        return Regions(regions, self.node.convention.call(phase), tied)

    def _find(self) -> dict[str | None, list[Region]]:
        """The regions of each array (an input's name, None for the output) at this case."""
        try:
            env = reference_env(self.node, self.attributes, self.inputs, self.mask)
            out = self.node.reference.evaluate(env)
        except Exception:  # a region is a hint: a reference that cannot run here gives none
            return {}
        outs = list(out) if isinstance(out, tuple) else [out]
        order = topological_order(outs)
        found: dict[str | None, list[Region]] = {}
        with_output = _entrywise(outs[0]) if len(outs) == 1 else set()
        for var in order:
            for region, names in self._branches(var, with_output):
                for name in names:
                    found.setdefault(name, []).append(region)
        used = {id(v) for v in order}
        arrays = {i.name: env[i.name] for i in self.node.inputs if not i.is_param and i.dtype == "float64"}
        for region, shape in self._masks(env, used):
            covered = [n for n, v in arrays.items() if v.shape[:len(shape)] == shape]
            if len(outs) == 1 and outs[0].shape[:len(shape)] == shape:
                covered.append(None)
            for name in covered:
                found.setdefault(name, []).append(region)
        return found

    def _branches(self, var: Var, with_output: set[int]):
        """Each branch of ``var``'s op, with the arrays it concerns: the inputs that enter
        an aligned operand entry by entry, and the output (None) if ``var`` makes it."""
        if var.op is None or var.op.branches is None:
            return
        names = [_written(p) for p in var.parents]
        if None in names:
            return
        try:
            branches = var.op.branches(names, *(p.value for p in var.parents), **var.params)
        except Exception:  # a hint: an op that cannot name its branches here gives none
            return
        for branch in branches:
            shape = np.shape(branch.mask)
            concerned = {leaf for k in branch.aligned if var.parents[k].shape[:len(shape)] == shape
                         for leaf in _leaves(var.parents[k]) if leaf != MASK}
            if id(var) in with_output and any(var.parents[k].shape == var.shape == shape for k in branch.aligned):
                concerned.add(None)  # an element-wise branch: its entries are the output's
            region = Region(np.asarray(branch.mask, dtype=bool), branch.where, branch.otherwise,
                            f"{self.node.name}'s branch", branch.ties, branch.hint)
            yield region, concerned

    def _masks(self, env: dict[str, Any], used: set[int]):
        """The boolean inputs the reference reads, and a random node's mask, each with the
        leading shape it covers."""
        for inp in self.node.inputs:
            value = np.asarray(self.inputs[inp.name]) if not inp.is_param else None
            if inp.dtype == "bool" and value.ndim > 0 and id(env[inp.name]) in used:
                yield Region(value, f"where {inp.name} is True", f"where {inp.name} is False",
                             f"a mask of {self.node.name}"), value.shape
        drawn = env.get(MASK) if self.node.random is not None else None
        if isinstance(drawn, Var) and id(drawn) in used and drawn.value.ndim > 0:
            x = self.node.random.input
            yield Region(drawn.value != 0, f"where your forward kept {x}", f"where your forward dropped {x}",
                         f"{self.node.name}'s random mask"), drawn.shape


def _written(var: Var) -> str | None:
    """``var`` as the spec writes it: an input's name, a number, or + - * / ** of those;
    None when it is anything else."""
    if var.op is None:
        if var.name:
            return var.name
        return f"{var.value.item():g}" if var.value.ndim == 0 else None
    parts = [_written(p) for p in var.parents]
    if None in parts:
        return None
    wrapped = [f"({text})" if p.op is not None else text for p, text in zip(var.parents, parts)]
    if var.op.name == "neg":
        return f"-{wrapped[0]}"
    return f" {_INFIX[var.op.name]} ".join(wrapped) if var.op.name in _INFIX else None


def _leaves(var: Var) -> set[str]:
    """The named leaves a written expression (see ``_written``) reads entry by entry: those
    of its own shape (a broadcast one does not line up with it)."""
    seen, stack, names = set(), [var], set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if v.op is None:
            if v.name and v.shape == var.shape:
                names.add(v.name)
        elif v.op.name in _INFIX or v.op.name == "neg":
            stack.extend(v.parents)
    return names


def _entrywise(out: Var) -> set[int]:
    """The Vars whose entries are the output's own entries: the output, and through + - * /
    ** (unbroadcast) the operands it is made of."""
    found, stack = set(), [out]
    while stack:
        v = stack.pop()
        if id(v) in found or v.shape != out.shape:
            continue
        found.add(id(v))
        if v.op is not None and (v.op.name in _INFIX or v.op.name == "neg"):
            stack.extend(v.parents)
    return found
