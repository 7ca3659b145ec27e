"""The worker steps that call one node type: make an instance, its forward, its backward (or,
in forward mode, its jvp), and the finite-difference forwards of fresh instances, each in
the node's calling convention and named the way the student wrote it (``Linear.forward``,
``affine_backward``, ``Sin.jvp``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.spec.model import NodeType


def maker(node: NodeType, attributes: dict[str, Any]) -> dict:
    """What the worker needs to make one node object of ``node`` (see ``sandbox.conventions``)."""
    return {"cls": node.name, "attrs": attributes, "convention": node.convention.describe(),
            "inputs_names": [i.name for i in node.inputs], "floats": [i.dtype == "float64" for i in node.inputs],
            "arity": len(node.inputs), "output_names": list(node.outputs)}


def new(node: NodeType, attributes: dict[str, Any], handle: int, where: str | None = None) -> dict:
    return {"do": "new", "as": handle, **maker(node, attributes), "where": where or node.convention.call("new")}


def forward(node: NodeType, handle: int, inputs: list, where: str | None = None) -> dict:
    return {"do": "forward", "handle": handle, "inputs": inputs, "where": where or node.convention.call("forward")}


def backward(node: NodeType, handle: int, grad: Any, where: str | None = None) -> dict:
    if grad is None:
        grad = np.zeros(())
    return {"do": "backward", "handle": handle, "grad": grad, "where": where or node.convention.call("backward")}


def jvp(node: NodeType, handle: int, tangents: list, where: str | None = None) -> dict:
    """Forward mode: the instance's jvp on one tangent per input (arrays, or wired references)."""
    return {"do": "jvp", "handle": handle, "tangents": tangents, "where": where or node.convention.call("jvp")}


def forward_many(node: NodeType, attributes: dict[str, Any], inputs_of: int, plan: list[dict]) -> dict:
    """Forwards of fresh instances on the inputs an earlier forward got, perturbed by ``plan``."""
    return {"do": "forward_many", **maker(node, attributes), "inputs_of": inputs_of, "perturb": plan,
            "where": node.convention.call("forward")}
