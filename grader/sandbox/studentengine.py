"""What a student's own engine (``backprop-engine``) works on in the worker: Vars with the
contract's four attributes, and the provided nodes, which come as values and Jacobians (the
grader computed them), so no reference engine runs in the worker.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Var:
    """The Var of a student's engine (``backprop-engine``): the four attributes of the
    contract's ``graph.Var``, and no more."""

    __slots__ = ("value", "grad", "inputs", "node")

    def __init__(self, value: np.ndarray, inputs: tuple = (), node: Any = None):
        self.value, self.grad, self.inputs, self.node = value, None, tuple(inputs), node

    def __repr__(self) -> str:
        kind = type(self.node).__name__ if self.node is not None else "leaf"
        return f"Var({kind}, value={self.value!r})"


class GivenNode:
    """A node the assignment provides: its value came with the graph, and its backward is the
    upstream gradient times its Jacobian for each input (computed by the grader at this
    node's inputs), so no reference engine runs here. Like a hand-written node, it returns a
    bare array for one input, and the upstream array itself where the Jacobian is the
    identity (an Add returns ``grad_output, grad_output``)."""

    def __init__(self, value: np.ndarray, jacobians: list, shapes: list[tuple]):
        self._value, self._jacobians, self._shapes = value, jacobians, shapes

    def forward(self, *inputs: Any) -> np.ndarray:
        return self._value.copy()

    def backward(self, grad_output: Any) -> Any:
        g = np.asarray(grad_output, dtype=np.float64)
        flat = np.broadcast_to(g, self._value.shape).reshape(-1)
        grads = []
        for jacobian, shape in zip(self._jacobians, self._shapes):
            if jacobian is None:
                grads.append(None)
            elif isinstance(jacobian, str):  # "identity"
                grads.append(g if g.shape == shape else flat.reshape(shape).copy())
            else:
                grads.append((flat @ jacobian).reshape(shape))
        return grads[0] if len(grads) == 1 else tuple(grads)


GIVEN: dict[str, type] = {}


def given_class(name: str) -> type:
    """A GivenNode class named like the node type (``type(var.node).__name__`` is "Mul")."""
    if name not in GIVEN:
        GIVEN[name] = type(name, (GivenNode,), {})
    return GIVEN[name]
