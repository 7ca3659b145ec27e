"""Random DAGs for graph tests: a new graph per case, from a spec's ``random`` block.

Each node takes a random node type; its first input is the node just before it with
probability ``chain`` (so ``chain: 1`` gives a graph as deep as it is long), and every other
input is any earlier node or leaf, which makes shared sub-expressions and diamonds common.
Whatever nothing reads is then joined into the output, so every Var is reachable.
Draws whose values or gradients are not finite or grow past ``LIMIT`` are drawn again, so a
deep product never overflows into a meaningless test.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from grader.spec.draw import DrawError, draw_case
from grader.spec.reference import graph_result
from grader.spec.model import GraphNode, GraphTest, NodeType

LIMIT = 1e6
MAX_TRIES = 100


def draw_graph(graph: GraphTest, types: Mapping[str, NodeType], rng: np.random.Generator) -> GraphTest:
    """One concrete graph drawn from ``graph.random``."""
    spec = graph.random
    leaves = [dataclasses.replace(spec.leaf, name=f"x{i}")
              for i in range(int(rng.integers(spec.leaves[0], spec.leaves[1] + 1)))]
    names = [leaf.name for leaf in leaves]
    nodes: list[GraphNode] = []
    for k in range(int(rng.integers(spec.nodes[0], spec.nodes[1] + 1))):
        node_type = types[spec.types[int(rng.integers(len(spec.types)))]]
        args: list[str | float] = []
        for j in range(len(node_type.inputs)):
            if j == 0 and nodes and rng.random() < spec.chain:
                args.append(nodes[-1].name)
            else:
                args.append(names[int(rng.integers(len(names)))])
        nodes.append(GraphNode(f"n{k}", node_type.name, args, dict(node_type.attributes), None))
        names.append(nodes[-1].name)
    _join_dangling(nodes, names, [types[t] for t in spec.types])
    return dataclasses.replace(graph, inputs=leaves, nodes=nodes, output=nodes[-1].name, random=None)


def _join_dangling(nodes: list[GraphNode], names: list[str], node_types: list[NodeType]) -> None:
    """Fold every leaf and node that nothing reads into the output with a binary node, so that
    the whole graph is reachable from its output (and every gradient is tested)."""
    binary = [t for t in node_types if len(t.inputs) == 2]
    if not binary:
        return
    read = {a for node in nodes for a in node.args}
    for name in names[:-1]:
        if name not in read:
            join = binary[0]
            nodes.append(GraphNode(f"n{len(nodes)}", join.name, [nodes[-1].name, name],
                                   dict(join.attributes), None))


def draw_graph_case(graph: GraphTest, types: Mapping[str, NodeType],
                    rng: np.random.Generator) -> tuple[GraphTest, dict[str, Any]]:
    """A concrete graph and its inputs whose reference values and gradients stay moderate."""
    for _ in range(MAX_TRIES):
        concrete = draw_graph(graph, types, rng)
        case = draw_case(concrete.inputs, concrete.settings, rng)
        with np.errstate(all="ignore"):
            result = graph_result(concrete, types, case)
        arrays = [result.output, *result.values.values(), *result.grads.values()]
        if all(np.all(np.isfinite(a)) and np.all(np.abs(a) <= LIMIT) for a in arrays):
            return concrete, case
    raise DrawError(f"no random graph with moderate values in {MAX_TRIES} draws: use node types "
                    "that keep values bounded (Sin, Sigmoid) or fewer nodes")
