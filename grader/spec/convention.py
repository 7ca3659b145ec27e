"""How students write a node: the calling convention a course's handout already fixed.

- ``class`` (the default): a class whose instances have ``forward(*inputs)`` and
  ``backward(grad_output)``, attributes as constructor keywords.
- ``functions``: a pair of functions, ``<name>_forward(*inputs) -> (out, cache)`` and
  ``<name>_backward(dout, cache)``, which returns the gradients of the float inputs in
  order (a bare array when there is one). The cache stays in the worker, unseen.
- ``static``: a class whose static ``forward`` and ``backward`` work like the pair above.
- ``loss``: one function, ``<name>(*inputs) -> (loss, dx)``: the loss and its gradient with
  respect to the first input.
- ``parameters``: a class constructed with its attributes (sizes), whose parameters are
  set as attributes before ``forward(x)``; ``backward(dout)`` returns dx and leaves each
  parameter's gradient in an attribute (``W`` -> ``dW`` unless the spec names another).
- ``jvp`` (forward mode): a class with ``forward(*inputs)`` and ``jvp(*input_tangents)``,
  called after forward on the same instance, which returns the output's tangent. Its
  tangents are graded instead of gradients, and graphs of such nodes run forward mode.

The grader tests every convention the same way: the worker wraps the student's code in an
adapter with the class protocol (see ``grader.sandbox.conventions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

KINDS = ("class", "functions", "static", "loss", "parameters", "jvp")
CLASSES = ("class", "static", "parameters", "jvp")  # the kinds whose forward is a class's name


@dataclass(frozen=True)
class Convention:
    """A node's calling convention: its kind, the names students define, and for
    ``parameters`` which inputs are attributes and where their gradients are left."""

    kind: str = "class"
    forward: str = ""
    backward: str = ""
    parameters: tuple[tuple[str, str], ...] = ()  # (input, attribute that holds its gradient)

    def symbols(self) -> list[str]:
        """What the student's file must define."""
        return [self.forward, self.backward] if self.kind == "functions" else [self.forward]

    def call(self, phase: str) -> str:
        """How a message names a call: ``Linear.forward``, ``affine_backward``,
        ``softmax_loss``, ``Linear(...)``."""
        if self.kind == "functions":
            return {"forward": self.forward, "backward": self.backward}.get(phase, self.forward)
        if self.kind == "loss":
            return self.forward  # its backward is the dx it returned
        return f"{self.forward}(...)" if phase == "new" else f"{self.forward}.{phase}"

    @property
    def forward_mode(self) -> bool:
        """Whether the node is differentiated forward (``jvp``) rather than backward."""
        return self.kind == "jvp"

    def describe(self) -> dict[str, Any]:
        """What the worker needs to build the adapter."""
        return {"kind": self.kind, "forward": self.forward, "backward": self.backward,
                "parameters": [list(p) for p in self.parameters]}


def parse(value: Any, name: str, inputs: list[str], path: tuple, error: Callable[[tuple, str], None]) -> Convention:
    """The Convention of node ``name`` from the spec's ``convention`` (a kind, or a mapping
    with ``kind`` and the names), reporting located problems through ``error``."""
    spec = {"kind": value} if isinstance(value, str) else dict(value or {"kind": "class"})
    kind = spec.get("kind", "class")
    if kind not in KINDS:
        error(path, f"unknown convention {kind!r} (one of {', '.join(KINDS)})")
        return Convention(forward=name)
    forward = spec.get("forward") or (f"{name}_forward" if kind == "functions" else name)
    backward = spec.get("backward") or (f"{name}_backward" if kind == "functions" else "")
    for key in ("forward", "backward"):
        if key in spec and (kind in CLASSES or (kind == "loss" and key == "backward")):
            error(path + (key,), f"a {kind} convention has no {key} name to set" if key == "backward"
                  else f"a {kind} convention's forward is the node's own name")
    parameters = []
    if kind == "parameters":
        given = spec.get("parameters") or {}
        if not given:
            error(path, "a parameters convention names the inputs set as attributes: parameters: {W: dW}")
        for param, grad in (given.items() if isinstance(given, dict) else ()):
            if param not in inputs:
                error(path + ("parameters", param), f"{param} is not an input of {name} ({', '.join(inputs)})")
            parameters.append((param, grad or f"d{param}"))
        if parameters and len({p for p, _ in parameters if p in inputs}) >= len(inputs):
            error(path + ("parameters",), "at least one input must be passed to forward, not set as an attribute")
    elif spec.get("parameters"):
        error(path + ("parameters",), f"only a parameters convention has parameters, not {kind}")
    if kind == "loss" and len(inputs) < 1:
        error(path, "a loss takes at least one input")
    return Convention(kind, forward, backward, tuple(parameters))
