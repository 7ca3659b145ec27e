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

from grader.diagnose import shape_message
from grader.engine import Var, as_array, backward
from grader.spec.model import GraphNode, GraphTest

MakeNode = Callable[[GraphNode], Any]  # builds the node object of one graph entry


@dataclass
class GraphRun:
    """Every named value of a graph run, the gradient of sum(output) for each, and what each
    node's backward received and returned (to find the first node that goes wrong)."""

    values: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    upstream: dict[str, np.ndarray]
    returned: dict[str, list[np.ndarray | None]]


class ContractError(ValueError):
    """A node broke the node contract (what backward returns, inputs left alone); the
    message says how, in the student's terms."""


class GradientShapeError(ContractError):
    """A node's backward returned a gradient shaped unlike its input."""


class InputModifiedError(ContractError):
    """A node's forward or backward changed an array it was given."""


class NodeCallError(Exception):
    """A node's forward or backward raised; names the node and the phase."""

    def __init__(self, node: str, phase: str, error: BaseException):
        super().__init__(f"{node}.{phase}: {error}")
        self.node, self.phase, self.error = node, phase, error


def _args(node: GraphNode, values: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    return [values[a] if isinstance(a, str) else np.asarray(float(a)) for a in node.args]


def _as_tuple(grads: Any, count: int) -> tuple:
    """A node's backward result as one entry per input (a unary node may return the array)."""
    if isinstance(grads, (tuple, list)):
        return tuple(grads)
    if count == 1:
        return (grads,)
    what = "None" if grads is None else f"a {type(grads).__name__}"
    raise ContractError(f"backward returned {what}; it must return a tuple of {count} gradients, one per input")


def run_graph(graph: GraphTest, make_node: MakeNode, inputs: Mapping[str, Any],
              to_array: Callable[[Any, str], np.ndarray] = lambda value, what: np.asarray(value)) -> GraphRun:
    """Forward and backward through ``graph`` with the grader's driver.

    ``to_array(value, what)`` turns what a node returns into an array (the worker's checked
    conversion, which names ``what`` when it cannot).
    Any failure of a node is raised as NodeCallError naming it.
    """
    values: dict[str, np.ndarray] = {name: as_array(v) for name, v in inputs.items()}
    objects: dict[str, Any] = {}
    for node in graph.nodes:
        args = _args(node, values)
        if node.expression is not None:
            leaves = {a: Var(values[a]) for a in node.args}
            out = node.expression.evaluate(leaves)
            objects[node.name] = (out, leaves)
            values[node.name] = out.value
            continue
        copies = [a.copy() for a in args]
        try:
            objects[node.name] = make_node(node)
        except Exception as e:
            raise NodeCallError(node.name, "__init__", e) from e
        try:
            values[node.name] = to_array(objects[node.name].forward(*args), "forward's output")
        except Exception as e:
            raise NodeCallError(node.name, "forward", e) from e
        _unchanged(node, args, copies, "forward")
    kept = {name: np.array(v) for name, v in values.items()}
    grads = {name: np.zeros(np.shape(v)) for name, v in values.items()}
    grads[graph.output] = np.ones(np.shape(values[graph.output]))
    upstream, returned = {}, {}
    for node in reversed(graph.nodes):
        upstream[node.name] = grads[node.name]
        if node.expression is not None:
            out, leaves = objects[node.name]
            pulled = backward(out, grads[node.name])
            arg_grads = [pulled.get(id(leaves[a]), None) for a in node.args]
        else:
            try:
                result = objects[node.name].backward(np.array(grads[node.name], dtype=np.float64))
                arg_grads = [None if g is None else to_array(g, f"backward's gradient {i + 1}")
                             for i, g in enumerate(_as_tuple(result, len(node.args)))]
            except Exception as e:
                raise NodeCallError(node.name, "backward", e) from e
            _unchanged(node, [values[a] for a in node.args if isinstance(a, str)],
                       [kept[a] for a in node.args if isinstance(a, str)], "backward")
            if len(arg_grads) != len(node.args):
                count = len(arg_grads)
                raise NodeCallError(node.name, "backward", ContractError(
                    f"backward returned {count} gradient{'s' if count != 1 else ''} for {len(node.args)} inputs"))
        returned[node.name] = arg_grads
        for arg, g in zip(node.args, arg_grads):
            if isinstance(arg, str) and g is not None:
                if np.shape(g) != np.shape(values[arg]):
                    raise NodeCallError(node.name, "backward", GradientShapeError(
                        shape_message(np.asarray(g), values[arg], f"the gradient for {arg}")))
                grads[arg] = np.asarray(grads[arg] + g)  # 0-d stays an array, not a numpy scalar
    return GraphRun(values, grads, upstream, returned)


def _unchanged(node: GraphNode, arrays: list[np.ndarray], copies: list[np.ndarray], phase: str) -> None:
    """Raise if a node changed the input arrays it was given (compared with copies)."""
    names = [a for a in node.args if isinstance(a, str)] if phase == "backward" else \
        [a if isinstance(a, str) else "a constant" for a in node.args]
    for name, array, copy in zip(names, arrays, copies):
        if not np.array_equal(array, copy, equal_nan=True):
            raise NodeCallError(node.name, phase, InputModifiedError(
                f"{phase} modified its input {name} in place; work on a copy (e.g. x = x.copy())"))


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


def constant_name(node: GraphNode, index: int) -> str:
    """The name of the leaf Var holding a number wired into a node (``Mul(s, -1)``)."""
    return f"{node.name}#{index}"


def build_vars(graph: GraphTest, make_node: MakeNode, inputs: Mapping[str, Any]) -> dict[str, GraderVar]:
    """The graph as linked Vars, forward already run, for a student's driver to walk.

    Numbers wired into a node become leaf Vars of their own (see ``constant_name``); every
    node must be a node type here (expressions have no node object to call).
    """
    env: dict[str, GraderVar] = {name: GraderVar(as_array(v), name=name) for name, v in inputs.items()}
    for node in graph.nodes:
        if node.expression is not None:
            raise ValueError(f"graph {graph.id}: {node.name} is an expression; a student's driver "
                             "needs node objects")
        for i, a in enumerate(node.args):
            if not isinstance(a, str):
                env[constant_name(node, i)] = GraderVar(np.asarray(float(a)), name=constant_name(node, i))
        parents = tuple(env[a] if isinstance(a, str) else env[constant_name(node, i)]
                        for i, a in enumerate(node.args))
        obj = make_node(node)
        value = np.asarray(obj.forward(*(p.value for p in parents)))
        env[node.name] = GraderVar(value, parents, obj, node.name)
    return env
