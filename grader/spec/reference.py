"""Ground truth: a node's or a graph's values and gradients, computed by the reference engine.

A node type's reference expression is evaluated on engine Vars; a graph is built by
evaluating each of its nodes' references on the Vars of the nodes it reads, so one engine
graph holds the whole computation and every intermediate gradient comes from one backward pass.
A node type without a reference has only what its examples say (``example_result``). In
forward mode (``node_jvp``, ``graph_jvp``) the same Vars carry tangents instead: the tangent
of a node's output, or of every node of a graph, along given input tangents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from grader.engine import Var, apply, backward, forward_tangents
from grader.spec.model import Example, GraphTest, NodeType
from grader.spec.params import MASK, copy_settings


class NodeFailure(Exception):
    """A graph node whose reference failed; names the node for the message."""

    def __init__(self, node: str, error: Exception):
        super().__init__(f"{node}: {error}")
        self.node = node
        self.error = error


@dataclass
class Result:
    """The output value and the gradient of every named Var (inputs, and graph nodes), and
    what a node left in its param dicts."""

    output: np.ndarray | None  # None only where an example gives no output
    values: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    tangents: dict[str, np.ndarray] = field(default_factory=dict)  # forward mode: every named Var's tangent
    tangent: np.ndarray | None = None  # forward mode: the output's tangent


def is_random(node: NodeType, inputs: Mapping[str, Any]) -> bool:
    """Whether a case of ``node`` is random: its output carries a mask (dropout in train mode)."""
    return node.random is not None and node.random.applies(inputs.get(node.random.param, {}))


def reference_env(node: NodeType, attributes: Mapping[str, Any], inputs: Mapping[str, Any],
                  mask: np.ndarray | None = None) -> dict[str, Any]:
    """What a node's reference is evaluated on: Vars of the arrays (a boolean mask as a Var
    of 0.0 and 1.0), a copy of each param dict (the reference may update it), the attributes,
    and a random node's mask (ones when none is given; None in a case that is not random)."""
    env: dict[str, Any] = dict(attributes)
    for inp in node.inputs:
        value = inputs[inp.name]
        env[inp.name] = copy_settings(value) if inp.is_param else Var(value, name=inp.name)
    if node.random is not None:
        if is_random(node, inputs):
            env[MASK] = Var(np.ones(np.shape(inputs[node.random.input])) if mask is None else mask, name=MASK)
        else:
            env[MASK] = None
    return env


def node_result(node: NodeType, attributes: Mapping[str, Any], inputs: Mapping[str, Any],
                grad_output: Any = None, mask: np.ndarray | None = None) -> Result:
    """Forward and backward of ``node`` through its reference; ``grad_output`` defaults to ones.
    A node with several outputs has a list of them, and takes a list of upstream gradients.
    A random node's reference gets ``mask``, the mask its output carries."""
    env = reference_env(node, attributes, inputs, mask)
    leaves = {i.name: env[i.name] for i in node.inputs if not i.is_param}
    out = node.reference.evaluate(env)
    outs = list(out) if isinstance(out, tuple) else [out]
    wanted = len(node.outputs) or 1
    if len(outs) != wanted:
        raise ValueError(f"the reference returned {len(outs)} value{'s' if len(outs) != 1 else ''} "
                         f"for {wanted} output{'s' if wanted != 1 else ''}")
    if wanted == 1:
        grads = backward(outs[0], grad_output)
    else:  # the gradient of the sum of <upstream_k, output_k>
        seeds = grad_output if grad_output is not None else [np.ones(o.shape) for o in outs]
        total = None
        for o, g in zip(outs, seeds):
            term = apply("sum", o * Var(np.asarray(g, dtype=np.float64)))
            total = term if total is None else total + term
        grads = backward(total)
    output = outs[0].value if wanted == 1 else [o.value for o in outs]
    settings = {i.name: {k: np.asarray(v.value) if isinstance(v, Var) else v for k, v in env[i.name].items()}
                for i in node.inputs if i.is_param}
    floats = {i.name for i in node.inputs if i.dtype == "float64"}
    return Result(output, {k: v.value for k, v in leaves.items()},
                  {k: _grad(grads, v) for k, v in leaves.items() if k in floats}, settings)


def node_jvp(node: NodeType, attributes: Mapping[str, Any], inputs: Mapping[str, Any],
             tangents: Mapping[str, Any]) -> Result:
    """Forward mode through ``node``'s reference: its output, and the output's tangent along
    ``tangents`` (one per input name; an input not named, or an integer one, is constant)."""
    env = reference_env(node, attributes, inputs)
    out = node.reference.evaluate(env)
    seeds = {id(env[name]): np.asarray(t, dtype=np.float64) for name, t in tangents.items()
             if isinstance(env.get(name), Var) and not _is_integer(env[name])}
    return Result(out.value, {}, {}, tangents=dict(tangents), tangent=forward_tangents(out, seeds)[id(out)])


def graph_jvp(graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, Any],
              tangents: Mapping[str, Any]) -> Result:
    """Forward mode through ``graph``: every node's value and tangent along the inputs'
    ``tangents`` (inputs not named are constant)."""
    env = graph_vars(graph, types, inputs)
    out = env[graph.output]
    seeds = {id(env[name]): np.asarray(t, dtype=np.float64) for name, t in tangents.items() if name in env}
    pushed = forward_tangents(list(env.values()), seeds)
    return Result(out.value, {k: v.value for k, v in env.items()}, {},
                  tangents={k: pushed.get(id(v), np.zeros(v.shape)) for k, v in env.items()},
                  tangent=pushed[id(out)])


def example_result(example: Example | None, inputs: dict[str, np.ndarray], shape: tuple) -> Result | None:
    """What an example says the output (of ``shape``, the student's own) and the gradients
    for an all-ones upstream gradient are; a number fills its whole shape. None when it says
    neither."""
    if example is None or (example.output is None and not example.grads):
        return None
    output = None if example.output is None else _filled(example.output, shape)
    grads = {name: _filled(g, inputs[name].shape) for name, g in example.grads.items() if name in inputs}
    return Result(output, {}, grads)


def _filled(value: Any, shape: tuple) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    return np.full(shape, array) if array.ndim == 0 and shape != () else array


def graph_vars(graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, Any]) -> dict[str, Var]:
    """Every input and node of ``graph`` as engine Vars, evaluated in order."""
    env: dict[str, Any] = {i.name: Var(inputs[i.name], name=i.name) for i in graph.inputs}
    for node in graph.nodes:
        try:
            if node.expression is not None:
                var = node.expression.evaluate(env)
            else:
                node_type = types[node.type]
                args = {inp.name: env[a] if isinstance(a, str) else Var(float(a))
                        for inp, a in zip(node_type.inputs, node.args)}
                var = node_type.reference.evaluate({**node.attributes, **args})
        except Exception as e:
            raise NodeFailure(node.name, e) from e
        var.name = node.name
        env[node.name] = var
    return env


def graph_result(graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, Any]) -> Result:
    """The graph's output and the gradient of sum(output) w.r.t. every input and node."""
    env = graph_vars(graph, types, inputs)
    out = env[graph.output]
    grads = backward(out)
    fixed = {i.name for i in graph.inputs if i.dtype != "float64"}  # labels and masks: no gradient
    return Result(out.value, {k: v.value for k, v in env.items()},
                  {k: _grad(grads, v) for k, v in env.items() if k not in fixed and not _is_integer(v)})


def _grad(grads: dict[int, np.ndarray], var: Var) -> np.ndarray:
    """A Var the output does not depend on has gradient zero."""
    return np.asarray(grads.get(id(var), np.zeros(var.shape)))


def _is_integer(var: Var) -> bool:
    return var.value.dtype.kind in "iu"
