"""Shared by the assignment tests: loading the shipped specs and student files, drawing the
cases a spec describes, and the contract's checks for a Var graph's topological order."""

from __future__ import annotations

import importlib.util
import sys
import zlib
from pathlib import Path

import numpy as np

from grader.spec.draw import draw_case, example_case
from grader.spec.randomgraph import draw_graph_case
from grader.spec import load_assignment

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["scalar-graphs", "vector-layers", "backprop-engine", "layer-functions", "rnn-functions",
         "forward-mode"]


def assignment(name: str):
    return load_assignment(ROOT / "assignments" / name)[0]


def load_module(path: Path, extra_path: Path | None = None):
    """Import a student file by path, under a unique module name."""
    name = f"_student_{zlib.crc32(str(path).encode())}"
    if extra_path is not None:
        sys.path.insert(0, str(extra_path))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if extra_path is not None:
            sys.path.remove(str(extra_path))
    return module


def cases(test, node, count: int | None = None):
    """The random cases of a node test (seeded by its title) and its examples."""
    rng = np.random.default_rng(zlib.crc32(test.title.encode()))
    for _ in range(test.settings.cases if count is None else count):
        yield draw_case(test.inputs, test.settings, rng, node.kinks, test.attributes)
    for example in test.examples:
        yield example_case(test.inputs, test.settings, example.inputs, rng)


def graph_cases(graph, types, count: int | None = None):
    """(concrete graph, inputs) for each random case of a graph test, then its examples."""
    rng = np.random.default_rng(zlib.crc32(graph.id.encode()))
    for _ in range(graph.settings.cases if count is None else count):
        if graph.random is not None:
            yield draw_graph_case(graph, types, rng)
        else:
            yield graph, draw_case(graph.inputs, graph.settings, rng)
    for example in graph.examples:
        yield graph, example_case(graph.inputs, graph.settings, example.inputs, rng)


def check_topological_order(order, output) -> None:
    """The contract of topological_sort: every reachable Var once, inputs first, output last."""
    reachable, stack = {}, [output]
    while stack:
        var = stack.pop()
        if id(var) not in reachable:
            reachable[id(var)] = var
            stack.extend(var.inputs)
    ids = [id(v) for v in order]
    assert len(ids) == len(set(ids)), "a Var appears twice"
    assert set(ids) == set(reachable), "the order misses reachable Vars or adds others"
    position = {i: k for k, i in enumerate(ids)}
    for var in order:
        for parent in var.inputs:
            assert position[id(parent)] < position[id(var)], f"{parent} comes after {var}"
    assert order[-1] is output


TINY = ("nodes:\n  Neg:\n    inputs: {x: {}}\n    reference: -x\n"
        "    tests:\n      - {name: seen}\n      - {name: secret, visibility: after_due_date}\n")


def write_solution(tmp_path: Path, source: str, nodes: str = TINY, top: str = "") -> Path:
    """A small assignment (``tiny``, of one node unless ``nodes`` says more; ``top`` adds
    top-level keys) whose solution is ``source``; its spec's folder."""
    spec = tmp_path / "assignments" / "tiny"
    spec.mkdir(parents=True)
    (spec / "assignment.yaml").write_text(f"id: tiny\ntitle: Tiny\nfiles: [nodes.py]\n{top}{nodes}")
    (tmp_path / "solutions" / "tiny").mkdir(parents=True)
    (tmp_path / "solutions" / "tiny" / "nodes.py").write_text(source)
    return spec
