"""Running a spec's graph on node objects: forward in topological order, then backward.

The grader's own driver accumulates gradients at branches (``+=`` over every consumer),
so a graph test checks the student's nodes, not the student's bookkeeping. Nodes that a
graph computes with an expression (``loss: mse_loss + l1_loss``) run on the reference
engine. For assignments whose students write the driver itself, ``build_vars`` links the
same objects into Var graphs for the student's ``topological_sort`` and ``backward``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from grader.engine import Var, as_array, backward
from grader.spec.model import GraphNode, GraphTest

MakeNode = Callable[[GraphNode], Any]  # builds the node object of one graph entry


@dataclass
class GraphRun:
    """Every named value of a graph run, and the gradient of sum(output) for each."""

    values: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    order: list[str]  # the node names in the order their backward ran


def _args(node: GraphNode, values: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    return [values[a] if isinstance(a, str) else np.asarray(float(a)) for a in node.args]


def _as_tuple(grads: Any, count: int) -> tuple:
    """A node's backward result as one entry per input (a unary node may return the array)."""
    if isinstance(grads, (tuple, list)):
        return tuple(grads)
    if count == 1:
        return (grads,)
    raise TypeError(f"backward returned {type(grads).__name__}, expected a tuple of {count} gradients")


def run_graph(graph: GraphTest, make_node: MakeNode, inputs: Mapping[str, Any]) -> GraphRun:
    """Forward and backward through ``graph`` with the grader's driver."""
    values: dict[str, np.ndarray] = {name: as_array(v) for name, v in inputs.items()}
    objects: dict[str, Any] = {}
    for node in graph.nodes:
        args = _args(node, values)
        if node.expression is not None:
            leaves = {a: Var(values[a]) for a in node.args}
            out = node.expression.evaluate(leaves)
            objects[node.name] = (out, leaves)
            values[node.name] = out.value
        else:
            obj = make_node(node)
            objects[node.name] = obj
            values[node.name] = np.asarray(obj.forward(*args))
    grads = {name: np.zeros(np.shape(v)) for name, v in values.items()}
    grads[graph.output] = np.ones(np.shape(values[graph.output]))
    order = []
    for node in reversed(graph.nodes):
        if node.expression is not None:
            out, leaves = objects[node.name]
            pulled = backward(out, grads[node.name])
            arg_grads = [pulled.get(id(leaves[a]), None) for a in node.args]
        else:
            arg_grads = _as_tuple(objects[node.name].backward(grads[node.name]), len(node.args))
        order.append(node.name)
        for arg, g in zip(node.args, arg_grads):
            if isinstance(arg, str) and g is not None:
                grads[arg] = grads[arg] + np.asarray(g)
    return GraphRun(values, grads, order)


class GraderVar:
    """The grader's Var: the four attributes of the contract's ``graph.Var``, and no more."""

    __slots__ = ("value", "grad", "inputs", "node", "name")

    def __init__(self, value: Any, inputs: tuple = (), node: Any = None, name: str = ""):
        self.value = value
        self.grad = None
        self.inputs = tuple(inputs)
        self.node = node
        self.name = name

    def __repr__(self) -> str:
        return f"Var({self.name})"


def build_vars(graph: GraphTest, make_node: MakeNode, inputs: Mapping[str, Any]) -> dict[str, GraderVar]:
    """The graph as linked Vars, forward already run, for a student's driver to walk.

    Numbers wired into a node become leaf Vars of their own; every node must be a node
    type here (expressions have no node object to call).
    """
    env: dict[str, GraderVar] = {name: GraderVar(as_array(v), name=name) for name, v in inputs.items()}
    for node in graph.nodes:
        if node.expression is not None:
            raise ValueError(f"graph {graph.id}: {node.name} is an expression; a student's driver "
                             "needs node objects")
        parents = tuple(env[a] if isinstance(a, str) else GraderVar(np.asarray(float(a)), name=str(a))
                        for a in node.args)
        obj = make_node(node)
        value = np.asarray(obj.forward(*(p.value for p in parents)))
        env[node.name] = GraderVar(value, parents, obj, node.name)
    return env
