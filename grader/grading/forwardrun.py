"""Forward-mode graph tests driven from the grader: the worker requests of one case of a
graph of jvp nodes, and what came of them.

The grader's driver runs each node's constructor, forward and jvp in topological order as
steps of one request, wired by reference as the reverse-mode driver (``graphrun``) wires
``$out`` and ``$grad``: ``{"$out": h}`` is the output of an earlier forward, ``{"$tangent": h}``
the tangent an earlier jvp returned. The graph's inputs and their tangents go as arrays; a
number wired into a node is a constant, with tangent 0. Nodes the graph computes with an
expression run here, on the reference engine (value and tangent), between requests. No
value of the grader's own, and no expected value, enters the worker.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

import numpy as np

from grader.engine import Var, as_array, forward_tangents
from grader.grading import nodecalls
from grader.grading.diagnose import shape_message
from grader.grading.graphrun import PlannedCase
from grader.spec.model import GraphNode, GraphTest, NodeType


class ForwardGraphCase(PlannedCase):
    """One case of a forward-mode graph on the student's nodes, along the inputs' tangents:
    ``outcome`` is ``{"ok": {values, tangents, given}}`` (``given``: the tangents each node's
    jvp got), or ``{"error": ...}`` naming the first node that failed."""

    def __init__(self, graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, Any],
                 tangents: Mapping[str, np.ndarray]):
        self.seeds = {name: np.asarray(t, dtype=np.float64) for name, t in tangents.items()}  # the inputs'
        self.tangents: dict[str, np.ndarray] = dict(self.seeds)
        self.given: dict[str, list[np.ndarray]] = {}
        super().__init__(graph, types, {name: as_array(v) for name, v in inputs.items()})

    def outcome(self) -> dict:
        if self.error is not None:
            return {"error": self.error}
        return {"ok": {"values": self.values, "tangents": self.tangents, "given": self.given}}

    # -- planning -----------------------------------------------------------------------------------

    def _requests(self) -> Iterator[list[dict]]:
        """The requests, in order; each ``yield`` waits for the last one's results. A request
        ends where an expression needs what student code gave."""
        batch: list[dict] = []
        yield from self._forward_pass(batch, set())
        if batch:
            yield batch

    def _node_steps(self, node: GraphNode) -> list[dict]:
        """A new instance, its forward, and its jvp on the tangents of what it reads."""
        return [*super()._node_steps(node), nodecalls.jvp(self.types[node.type], self.handles[node.name], [
            {"$tangent": self.handles[a]} if a in self.handles else self._tangent(a) for a in node.args])]

    def _evaluated(self, node: GraphNode, out: Var, leaves: dict[str, Var]) -> None:
        pushed = forward_tangents(out, {id(v): self.tangents[a] for a, v in leaves.items()})
        self.values[node.name], self.tangents[node.name] = out.value, pushed[id(out)]

    def _tangent(self, arg: str | float) -> np.ndarray:
        """The tangent of an input or expression node, or 0 for a number wired in."""
        return self.tangents[arg] if isinstance(arg, str) else np.zeros(())

    # -- results ------------------------------------------------------------------------------------

    def _took(self, node: GraphNode, step: dict, ok: dict, phase: str) -> None:
        """A forward's output, or a jvp's tangent (shaped like the output; the tangents it was
        given left as they were)."""
        if step["do"] == "forward":
            self.values[node.name] = np.asarray(ok["out"])
            self._modified(node, phase, ok["modified"])
        elif step["do"] == "jvp":
            self.given[node.name] = [self._tangent(a) for a in node.args]
            tangent = np.asarray(ok["tangent"])
            self.tangents[node.name] = tangent
            self._modified(node, phase, ok["modified"])
            self._modified(node, phase, ok["tangents_modified"], "tangent")
            if self.error is None and tangent.shape != np.shape(self.values[node.name]):
                self._fail(node, phase, {"kind": "bad_return", "message": shape_message(
                    tangent, self.values[node.name], "the tangent it returned")})
