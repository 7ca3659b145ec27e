"""Graph tests driven from the grader: the worker requests of one case, and what came of them.

The worker only calls student code. For a graph of the student's nodes (``GraphCase``),
each node's constructor, forward and backward are steps of a request, wired together by
reference: ``{"$out": h}`` is the output of an earlier forward, ``{"$grad": [h, i]}`` the
i-th gradient an earlier backward returned, ``{"$sum": [...], "like": h}`` their sum where
a value feeds several nodes. So the grader's driver (forward in topological order, then
backward in reverse, gradients added up at branches) runs without any value of the
grader's in the worker: no reference, no expression, no expected value. Nodes the graph
computes with an expression run here, on the reference engine, between requests.

For a student's own driver (``backprop-engine``, ``driver_step``), the request holds the
graph as values and, for each provided node, its Jacobians at its inputs: the worker links
them into Vars whose nodes' backward multiplies by the Jacobian.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

import numpy as np

from grader.grading import nodecalls
from grader.grading.diagnose import shape_message
from grader.engine import Var, as_array, backward
from grader.spec.model import GraphNode, GraphTest, NodeType


def constant_name(node: GraphNode, index: int) -> str:
    """The name of the leaf Var holding a number wired into a node (``Mul(s, -1)``)."""
    return f"{node.name}#{index}"


def arg_value(arg: Any, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """What a node gets for one of its arguments: a named value, or a number wired in."""
    return values[arg] if isinstance(arg, str) else np.asarray(float(arg))


class PlannedCase:
    """One case of a graph on the student's nodes, run by the grader's driver as a plan of
    requests (``_requests``, a generator: each ``yield`` waits for the last request's
    results). ``steps`` is the first request; give its results to ``take``, which returns the
    next request's steps or None; then ``outcome`` is what the judge reads. The first failure
    in the results (``_took`` says what a step's result means) becomes the case's error,
    naming the node, as the driver would have stopped there."""

    def __init__(self, graph: GraphTest, types: Mapping[str, NodeType], values: dict[str, np.ndarray]):
        self.graph, self.types, self.values = graph, types, values
        self.handles = {node.name: k for k, node in enumerate(graph.nodes) if node.expression is None}
        self.error: dict | None = None
        self.multi = any(node.expression is not None for node in graph.nodes)  # more than one request
        self._plan = self._requests()
        self.steps: list[dict] | None = next(self._plan, None)

    def _requests(self) -> Iterator[list[dict]]:
        raise NotImplementedError

    def _took(self, node: GraphNode, step: dict, ok: dict, phase: str) -> None:
        raise NotImplementedError

    def _evaluated(self, node: GraphNode, out: Var, leaves: dict[str, Var]) -> None:
        """Keep what an expression node gave (``out``, from ``leaves``, the Vars it read)."""
        raise NotImplementedError

    def _node_steps(self, node: GraphNode) -> list[dict]:
        """The calls of a student node going forward: a new instance and its forward, on
        what the nodes before it gave."""
        h, node_type = self.handles[node.name], self.types[node.type]
        return [nodecalls.new(node_type, node.attributes, h, self._call(node, "__init__")),
                nodecalls.forward(node_type, h, [
                    {"$out": self.handles[a]} if a in self.handles else arg_value(a, self.values) for a in node.args])]

    def _forward_pass(self, batch: list[dict], waiting: set[str]) -> Iterator[list[dict]]:
        """The graph's nodes in order: a student node's calls join ``batch``; an expression
        node is evaluated here, and where it reads a student node whose results are not back
        yet (``waiting``), the batch goes out first (``yield``). What is left in ``batch``
        and ``waiting`` is the caller's to go on with."""
        for node in self.graph.nodes:
            if node.expression is None:
                batch += self._node_steps(node)
                waiting.add(node.name)
                continue
            if waiting & set(node.args):
                yield batch[:]
                batch.clear()
                waiting.clear()
            leaves = {a: Var(self.values[a]) for a in node.args if isinstance(a, str)}
            self._evaluated(node, node.expression.evaluate(leaves), leaves)

    def take(self, results: list[dict]) -> list[dict] | None:
        """Read the results of the last request; the next request's steps, or None at the end."""
        self._read(self.steps, results)
        self.steps = None if self.error is not None else next(self._plan, None)
        return self.steps

    def _read(self, steps: list[dict], results: list[dict]) -> None:
        """Take the results of one request in the order its steps ran, up to the first failure."""
        for step, result in zip(steps, results):
            if self.error is not None:
                return
            node = self.graph.nodes[step.get("handle", step.get("as"))]
            phase = {"new": "__init__"}.get(step["do"], step["do"])
            if "error" in result:
                self._fail(node, phase, result["error"])
            else:
                self._took(node, step, result["ok"], phase)

    def _modified(self, node: GraphNode, phase: str, modified: list[int], what: str = "input") -> None:
        """Fail the case where a call changed an input (or, ``what`` "tangent", a tangent) in place."""
        if modified and self.error is None:
            arg = node.args[modified[0]]
            name = "a constant" if not isinstance(arg, str) else arg if what == "input" else f"{arg}_dot"
            fix = "work on a copy (e.g. x = x.copy())" if what == "input" else "compute a new array instead"
            self._fail(node, phase, {"kind": "bad_return", "message": f"{phase} modified its {what} {name} in place; {fix}"})

    def _fail(self, node: GraphNode, phase: str, error: dict) -> None:
        self.error = {**error, "where": self._call(node, phase), "node": node.name, "phase": phase}

    def _call(self, node: GraphNode, phase: str) -> str:
        """How a message names a node's call: ``Mul.__init__``, ``Mul.backward``, ``Sin.jvp``,
        ``affine_forward``."""
        convention = self.types[node.type].convention
        if phase == "__init__":
            return f"{node.type}.__init__" if convention.kind in ("class", "parameters", "jvp") else convention.call("forward")
        return convention.call(phase)


class GraphCase(PlannedCase):
    """One case of a graph on the student's nodes, reverse mode: ``outcome`` is
    ``{"ok": {values, grads, upstream, returned}}``, or ``{"error": ...}``."""

    def __init__(self, graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, Any]):
        self.upstream: dict[str, np.ndarray] = {}
        self.returned: dict[str, list[np.ndarray | None]] = {}
        super().__init__(graph, types, {name: v if np.asarray(v).dtype == bool else as_array(v)
                                        for name, v in inputs.items()})  # a mask stays bool

    def outcome(self) -> dict:
        if self.error is not None:
            return {"error": self.error}
        nodes = {node.name for node in self.graph.nodes}
        grads = {name: np.zeros(np.shape(v)) for name, v in self.values.items() if name not in nodes}
        grads[self.graph.output] = np.ones(np.shape(self.values[self.graph.output]))
        for node in self.graph.nodes:
            grads[node.name] = self.upstream[node.name]
            for arg, g in zip(node.args, self.returned[node.name]):
                if isinstance(arg, str) and arg not in nodes and g is not None:
                    grads[arg] = np.asarray(grads[arg] + g)
        return {"ok": {"values": self.values, "grads": grads, "upstream": self.upstream, "returned": self.returned}}

    # -- planning -----------------------------------------------------------------------------------

    def _requests(self) -> Iterator[list[dict]]:
        """The requests, in order; each ``yield`` waits for the last one's results. A request
        ends where an expression needs what student code gave (a value going forward, a
        gradient coming back)."""
        graph, batch, waiting = self.graph, [], set()  # waiting: nodes whose results are not back
        self._expressions: dict[str, tuple[Var, dict[str, Var]]] = {}
        yield from self._forward_pass(batch, waiting)
        parts: dict[str, list] = {name: [] for name in [*self.values, *self.handles]}
        output = graph.output
        parts[output].append({"$ones": self.handles[output]} if output in self.handles
                             else np.ones(np.shape(self.values[output])))
        for node in reversed(graph.nodes):
            if node.expression is None:
                h = self.handles[node.name]
                batch.append(nodecalls.backward(self.types[node.type], h, {"$sum": parts[node.name], "like": h}))
                waiting.add(node.name)
                for i, arg in enumerate(node.args):
                    if isinstance(arg, str):
                        parts[arg].append({"$grad": [h, i]})
                continue
            if any(isinstance(p, dict) and self._handle_name(p.get("$grad", [p.get("$ones")])[0]) in waiting
                   for p in parts[node.name]):
                yield batch
                batch, waiting = [], set()
            upstream = np.zeros(np.shape(self.values[node.name]))
            for part in parts[node.name]:
                g = self._resolved(part)
                if g is not None:
                    upstream = upstream + g
            out, leaves = self._expressions[node.name]
            pulled = backward(out, upstream)
            self.upstream[node.name] = upstream
            self.returned[node.name] = [pulled.get(id(leaves[a])) if isinstance(a, str) else None for a in node.args]
            for arg, g in zip(node.args, self.returned[node.name]):
                if isinstance(arg, str) and g is not None:
                    parts[arg].append(np.asarray(g))
        if batch:
            yield batch

    def _evaluated(self, node: GraphNode, out: Var, leaves: dict[str, Var]) -> None:
        self.values[node.name] = out.value
        self._expressions[node.name] = (out, leaves)  # pulled back through when its gradient is known

    def _handle_name(self, handle: int) -> str:
        return self.graph.nodes[handle].name

    def _resolved(self, part: Any) -> np.ndarray | None:
        """A part of an upstream gradient, as the grader now knows it (after the results of
        the request that made it)."""
        if not isinstance(part, dict):
            return part
        if "$ones" in part:
            return np.ones(np.shape(self.values[self._handle_name(part["$ones"])]))
        handle, index = part["$grad"]
        return self.returned[self._handle_name(handle)][index]

    # -- results ------------------------------------------------------------------------------------

    def _took(self, node: GraphNode, step: dict, ok: dict, phase: str) -> None:
        """A forward's output, or a backward's gradients (each shaped like its input)."""
        if step["do"] == "forward":
            self.values[node.name] = np.asarray(ok["out"])
            self._modified(node, phase, ok["modified"])
        elif step["do"] == "backward":
            self.upstream[node.name] = np.asarray(ok["upstream"])
            self.returned[node.name] = list(ok["grads"])
            self._modified(node, phase, ok["modified"])
            for arg, g in zip(node.args, ok["grads"]):
                if self.error is None and isinstance(arg, str) and g is not None and \
                        np.shape(g) != np.shape(self.values[arg]):
                    self._fail(node, phase, {"kind": "bad_return", "message": shape_message(
                        np.asarray(g), self.values[arg], f"the gradient for {arg}")})


def driver_step(graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, Any]) -> dict:
    """The worker step that runs the student's ``topological_sort`` and ``backward`` on
    ``graph``: every Var in order (inputs, constants wired into nodes, nodes) with its value,
    and for each node its type and its Jacobians with respect to its inputs."""
    from grader.spec.reference import graph_vars

    env = graph_vars(graph, types, inputs)
    entries = [{"name": name, "value": env[name].value, "inputs": []} for name in inputs]
    for node in graph.nodes:
        args = []
        for i, arg in enumerate(node.args):
            if isinstance(arg, str):
                args.append(arg)
            else:
                args.append(constant_name(node, i))
                entries.append({"name": args[-1], "value": np.asarray(float(arg)), "inputs": []})
        values = [arg_value(a, {n: v.value for n, v in env.items()}) for a in node.args]
        entries.append({"name": node.name, "value": env[node.name].value, "inputs": args,
                        "node": {"type": node.type, "jacobians": jacobians(types[node.type], node.attributes, values)}})
    return {"do": "driver", "vars": entries, "output": graph.output, "where": f"graph {graph.id}"}


def jacobians(node_type: NodeType, attributes: Mapping[str, Any], values: list[np.ndarray]) -> list:
    """The Jacobian of a node's output with respect to each input at these values, as a
    matrix (output entries by input entries), "identity" where it is one, None for an
    integer or boolean input."""
    leaves = {inp.name: Var(as_array(v)) for inp, v in zip(node_type.inputs, values)}
    out = node_type.reference.evaluate({**node_type.attributes, **attributes, **leaves})
    rows: list[list[np.ndarray]] = [[] for _ in leaves]
    for k in range(out.value.size):
        seed = np.zeros(out.value.size)
        seed[k] = 1.0
        pulled = backward(out, seed.reshape(out.value.shape))
        for j, leaf in enumerate(leaves.values()):
            rows[j].append(np.ravel(pulled.get(id(leaf), np.zeros(leaf.value.shape))))
    result: list = []
    for inp, leaf, row in zip(node_type.inputs, leaves.values(), rows):
        if inp.dtype != "float64":  # labels, masks
            result.append(None)
            continue
        matrix = np.array(row).reshape(out.value.size, leaf.value.size)
        same = matrix.shape[0] == matrix.shape[1] and leaf.value.shape == out.value.shape
        result.append("identity" if same and np.array_equal(matrix, np.eye(matrix.shape[0])) else matrix)
    return result
