"""Nodes with the student API (``forward`` / ``backward``) computed by the reference engine.

The grader uses them where an assignment provides its nodes (``backprop-engine``: students
write the driver, not the nodes) and to run a spec's graphs without any student code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.engine import Var, as_array, backward
from grader.spec.model import NodeType


class ReferenceNode:
    """One instance of a spec's node type, computed by its reference expression."""

    def __init__(self, node_type: NodeType, **attributes: Any):
        self.node_type = node_type
        self.attributes = {**node_type.attributes, **attributes}
        self._leaves: list[Var] = []
        self._out: Var | None = None

    def forward(self, *inputs: Any) -> np.ndarray:
        names = [i.name for i in self.node_type.inputs]
        if len(inputs) != len(names):
            raise TypeError(f"{self.node_type.name}.forward takes {len(names)} inputs, got {len(inputs)}")
        self._leaves = [Var(as_array(x)) for x in inputs]
        self._out = self.node_type.reference.evaluate({**self.attributes, **dict(zip(names, self._leaves))})
        return self._out.value

    def backward(self, grad_output: Any) -> Any:
        """One gradient per input, like a student's node: a bare array for a unary node, and
        (as a hand-written Add would) possibly the same array object for several inputs."""
        if self._out is None:
            raise RuntimeError(f"{self.node_type.name}.backward called before forward")
        seed = as_array(grad_output)
        if seed.shape != self._out.shape:
            seed = np.broadcast_to(seed, self._out.shape).copy()
        grads = backward(self._out, seed)
        result = tuple(None if leaf.value.dtype.kind in "iu" else _writable(grads.get(id(leaf), np.zeros(leaf.shape)))
                       for leaf in self._leaves)
        return result[0] if len(result) == 1 else result


def _writable(g: np.ndarray) -> np.ndarray:
    """Engine cotangents may be read-only broadcast views; students get ordinary arrays."""
    return g if g.flags.writeable else g.copy()


def reference_class(node_type: NodeType) -> type:
    """A class named like the node type whose instances are ReferenceNodes, so that
    ``cls(**attributes)`` works as a student's class would."""
    return type(node_type.name, (ReferenceNode,), {
        "__init__": lambda self, **attributes: ReferenceNode.__init__(self, node_type, **attributes),
        "__doc__": f"{node_type.name}, computed by the reference: {node_type.reference.text}",
    })
