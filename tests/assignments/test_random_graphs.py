"""Random DAGs: reachable, as deep as asked, sharing Vars, reproducible, numerically tame."""

from __future__ import annotations

import numpy as np

from grader.spec.randomgraph import draw_graph, draw_graph_case
from grader.spec.reference import graph_result

from assignment_helpers import assignment


def depth(graph) -> int:
    level = {i.name: 0 for i in graph.inputs}
    for node in graph.nodes:
        level[node.name] = 1 + max(level[a] for a in node.args if isinstance(a, str))
    return level[graph.output]


def test_every_leaf_and_node_is_reachable_from_the_output():
    a = assignment("backprop-engine")
    for seed in range(30):
        g = draw_graph(a.graphs["random-dags"], a.nodes, np.random.default_rng(seed))
        read = {x for n in g.nodes for x in n.args}
        assert all(name in read for name in [i.name for i in g.inputs] + [n.name for n in g.nodes[:-1]])


def test_deep_chains_are_at_least_a_hundred_deep():
    a = assignment("backprop-engine")
    g, _ = draw_graph_case(a.graphs["deep-chains"], a.nodes, np.random.default_rng(0))
    assert depth(g) >= 100


def test_random_graphs_share_sub_expressions():
    a = assignment("backprop-engine")
    reused = 0
    for seed in range(20):
        g = draw_graph(a.graphs["random-dags"], a.nodes, np.random.default_rng(seed))
        uses = {}
        for n in g.nodes:
            for x in n.args:
                uses[x] = uses.get(x, 0) + 1
        reused += any(count >= 2 for count in uses.values())
    assert reused >= 15


def test_drawn_graphs_are_reproducible_and_moderate():
    a = assignment("backprop-engine")
    spec = a.graphs["deep-random-dags"]
    g1, c1 = draw_graph_case(spec, a.nodes, np.random.default_rng(4))
    g2, c2 = draw_graph_case(spec, a.nodes, np.random.default_rng(4))
    assert [(n.type, n.args) for n in g1.nodes] == [(n.type, n.args) for n in g2.nodes]
    assert all(np.array_equal(c1[k], c2[k]) for k in c1)
    result = graph_result(g1, a.nodes, c1)
    assert all(np.all(np.isfinite(v)) and np.all(np.abs(v) <= 1e6) for v in result.grads.values())


def test_vector_graphs_draw_vector_leaves():
    a = assignment("backprop-engine")
    g, case = draw_graph_case(a.graphs["random-vector-dags"], a.nodes, np.random.default_rng(1))
    assert all(v.ndim == 1 and 2 <= v.shape[0] <= 5 for v in case.values())
