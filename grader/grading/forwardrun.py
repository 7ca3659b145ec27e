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
from grader.grading.graphrun import PlannedCase, arg_value
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
        waiting: set[str] = set()  # nodes whose results are not back yet
        for node in self.graph.nodes:
            if node.expression is None:
                h, node_type = self.handles[node.name], self.types[node.type]
                batch.append(nodecalls.new(node_type, node.attributes, h, self._call(node, "__init__")))
                batch.append(nodecalls.forward(node_type, h, [
                    {"$out": self.handles[a]} if a in self.handles else arg_value(a, self.values) for a in node.args]))
                batch.append(nodecalls.jvp(node_type, h, [
                    {"$tangent": self.handles[a]} if a in self.handles else self._tangent(a) for a in node.args]))
                waiting.add(node.name)
                continue
            if waiting & set(node.args):
                yield batch
                batch, waiting = [], set()
            leaves = {a: Var(self.values[a]) for a in node.args if isinstance(a, str)}
            out = node.expression.evaluate(leaves)
            pushed = forward_tangents(out, {id(v): self.tangents[a] for a, v in leaves.items()})
            self.values[node.name], self.tangents[node.name] = out.value, pushed[id(out)]
        if batch:
            yield batch

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
