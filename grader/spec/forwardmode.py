"""What forward mode asks of a spec: the rules of ``jvp`` nodes, of graphs of them, and of
examples that give tangents. Each problem is located, through the spec's Builder.

- A jvp node has a reference (its tangents are compared with the engine's JVP; a public spec
  may leave it out, see ``withheld``, and give its jvp check no points), float array
  inputs alone (each gets a tangent), one output, and no range tests. Its tangents are
  graded by the ``jvp`` check; it has no ``backward`` to give points to (and a node of any
  other convention no ``jvp``).
- A graph runs forward mode when its nodes are jvp nodes; it cannot mix them with nodes
  that have a backward.
- An example of forward mode may give ``tangents`` (the inputs', a number filling an
  input's shape) and ``output_tangent`` along them, checked by ``grade validate``; it gives
  no ``grads``. Other examples give no tangents.

``tangents`` gives a case the tangents it is run along: an example's, or drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from grader.spec.model import Example, GraphNode, Input, NodeType

if TYPE_CHECKING:
    from grader.spec.build import Builder


def check_node(b: "Builder", node: NodeType, spec: dict[str, Any]) -> None:
    """A jvp node's own rules (nothing for nodes of other conventions)."""
    if not node.convention.forward_mode:
        return
    path = node.path
    if node.reference is None and not node.provided and not node.withheld:  # left out of a public spec: see withheld
        b.error(path, f"{node.name} is a jvp node and needs a reference: its tangents are compared with "
                      "the reference engine's JVP")
    for inp in node.inputs:
        if inp.is_param or inp.dtype != "float64":
            b.error(path + ("inputs", inp.name), f"a jvp node's inputs are float arrays, each with a tangent; "
                                                 f"{inp.name} is {'a dict of settings' if inp.is_param else inp.dtype}")
    if node.outputs:
        b.error(path + ("outputs",), "a jvp node returns one output (and jvp one tangent)")
    if node.random is not None:
        b.error(path + ("random",), "a jvp node cannot be random")
    if spec.get("range"):
        b.error(path + ("range",), "range tests compare gradients, and a jvp node has none: test large inputs "
                                   "in an ordinary test (its forward and jvp are compared with the reference)")


def check_points(b: "Builder", node: NodeType, points: dict[str, float], given: dict[str, Any],
                 path: tuple) -> None:
    """Zero the check a convention does not have (backward for a jvp node, jvp for the
    others), and refuse points the spec gives it on the node or the test (``given``)."""
    missing, has = ("backward", "jvp") if node.convention.forward_mode else ("jvp", "backward")
    if given.get(missing, 0) > 0:
        b.error(path + ("points", missing), f"{node.name} has no {missing} check: "
                + ("it is a jvp node, whose tangents are graded by the jvp check" if missing == "backward"
                   else "only a jvp node (convention: jvp) has one; its gradients are graded by backward"))
    points[missing] = 0


def check_examples(b: "Builder", examples: Iterable[Example], inputs: list[Input], forward: bool) -> None:
    """Tangents in the examples of a jvp node's test or of a forward-mode graph, and no
    tangents anywhere else."""
    floats = {i.name for i in inputs if not i.is_param and i.dtype == "float64"}
    for example in examples:
        path, has_tangents = example.path, bool(example.tangents) or example.output_tangent is not None
        if not forward:
            if has_tangents:
                key = "tangents" if example.tangents else "output_tangent"
                b.error(path + (key,), "tangents belong to forward mode (jvp nodes and graphs of them); this "
                                       "example's grads are what backward is graded on", key=True)
            continue
        if example.grads:
            b.error(path + ("grads",), "a forward-mode example gives tangents and output_tangent, not grads",
                    key=True)
        if example.output_tangent is not None and not example.tangents:
            b.error(path + ("output_tangent",), "output_tangent is the tangent along the example's tangents: "
                                                "give tangents too (the inputs not named get 0)", key=True)
        for name in example.tangents:
            if name not in floats:
                known = ", ".join(sorted(floats)) or "none"
                b.error(path + ("tangents", name), f"{name!r} is not a float input here (inputs with a "
                                                   f"tangent: {known})", key=True)


def graph_mode(b: "Builder", nodes: Iterable[GraphNode], types: dict[str, NodeType], path: tuple) -> bool:
    """Whether a graph runs forward mode (its nodes are jvp nodes), refusing one that mixes
    jvp nodes with nodes that have a backward (located at the node that mixes them)."""
    return _mode(b, [(n.type, path + ("nodes", n.name)) for n in nodes if n.type in types], types, path)


def random_mode(b: "Builder", names: list[str], types: dict[str, NodeType], path: tuple) -> bool:
    """The mode of drawn graphs, from their node types (the same rule as ``graph_mode``)."""
    return _mode(b, [(name, path + ("random", "types", i)) for i, name in enumerate(names) if name in types],
                 types, path)


def _mode(b: "Builder", typed: list[tuple[str, tuple]], types: dict[str, NodeType], path: tuple) -> bool:
    kinds: dict[bool, str] = {}
    for name, where in typed:
        forward = types[name].convention.forward_mode
        other = kinds.get(not forward)
        if other is not None:
            jvp, backward = (name, other) if forward else (other, name)
            b.error(where, f"{jvp} is a jvp node and {backward} has a backward: a graph runs forward mode "
                           "(jvp nodes only) or reverse mode (no jvp nodes)")
            return forward
        kinds.setdefault(forward, name)
    if True in kinds and "driver" in b.doc.data:
        b.error(path, "the student's driver (driver: file) runs graphs in reverse mode; this graph's nodes are "
                      "jvp nodes, which the grader runs forward mode on its own driver: use one or the other")
    return True in kinds


def tangents(inputs: list[Input], values: dict[str, Any], example: Example | None,
             rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A tangent for each float input of a case, shaped like its value: an example's (a
    number fills the shape; an input it does not name gets 0), or drawn from a standard
    normal (as random as an upstream gradient, so a tangent of ones hides nothing)."""
    out = {}
    for inp in inputs:
        if inp.is_param or inp.dtype != "float64":
            continue
        shape = np.shape(values[inp.name])
        if example is not None and example.tangents:
            given = np.asarray(example.tangents.get(inp.name, 0.0), dtype=np.float64)
            out[inp.name] = np.broadcast_to(given, shape).copy()
        else:
            out[inp.name] = rng.normal(size=shape)
    return out
