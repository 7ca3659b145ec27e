"""Every way a node can fail inside the worker is reported as the student's real mistake.

The worker turns on its import guard (``grader.sandbox.imports.block``, which refuses ``grader``)
before it runs student code, so anything of the grader's own imported late inside the worker
would fail with "importing grader is not allowed" and blame the student for the grader's
code. These tests drive each failure path of the grader's graph driver, of node calls and of
a student's driver through a real worker and check the diagnosis is the real one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.grading.grade import grade_submission

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
id: paths
title: failure paths
files: [nodes.py]
limits: {call_seconds: 2, total_seconds: 120}
defaults:
  points: {independence: 0}
nodes:
  Mul:
    inputs: {x: {shape: [3]}, y: {shape: [3]}}
    reference: x * y
    tests: [{name: random, cases: 2}]
  Scale:
    inputs: {x: {shape: [3]}}
    reference: 2 * x
    tests: [{name: random, cases: 2}]
graphs:
  chain:
    inputs: {a: {shape: [3]}, b: {shape: [3]}}
    nodes:
      c: Mul(a, b)
      d: Scale(c)
      e: sum(d)
    output: e
    cases: 2
"""

SCALE = """
class Scale:
    def forward(self, x):
        return 2 * x

    def backward(self, g):
        return 2 * g
"""


def mul(forward: str = "self.x, self.y = x, y\n        return x * y",
        backward: str = "return g * self.y, g * self.x", init: str = "pass") -> str:
    return f"""import numpy as np


class Mul:
    def __init__(self):
        {init}

    def forward(self, x, y):
        {forward}

    def backward(self, g):
        {backward}
""" + SCALE


# (Mul's source, what the graph test must say, what Mul's own node tests must say)
NODE_PATHS = {
    "gradient of the wrong shape": (
        mul(backward="return (g * self.y).reshape(1, -1), g * self.x"),
        "Mul.backward: the gradient for a has shape (1, 3), expected (3,)", "dx has shape (1, 3), expected (3,)"),
    "forward modifies its input": (
        mul(forward="out = x * y\n        x[...] = 0.0\n        self.x, self.y = x, y\n        return out"),
        "Mul.forward: forward modified its input a in place", "forward modified the input x in place"),
    "backward modifies its input": (
        mul(backward="dx, dy = g * self.y, g * self.x\n        self.x[...] = 0.0\n        return dx, dy"),
        "Mul.backward: backward modified its input a in place", "backward modified the input x in place"),
    "backward raises": (
        mul(backward="raise ValueError('no gradient today')"),
        "Mul.backward raised ValueError: no gradient today", "Mul.backward raised ValueError: no gradient today"),
    "forward raises": (
        mul(forward="raise KeyError('x')"), "Mul.forward raised KeyError", "Mul.forward raised KeyError"),
    "__init__ raises": (
        mul(init="raise RuntimeError('cannot build')"), "Mul.__init__ raised RuntimeError: cannot build",
        "raised RuntimeError: cannot build"),
    "backward returns None": (
        mul(backward="return None"), "Mul.backward: backward returned None (did you forget to return the gradients?); it must return a tuple of 2",
        "must return a tuple of 2 gradients"),
    "backward returns one gradient of two": (
        mul(backward="return (g * self.y,)"), "Mul.backward: backward returned 1 gradient for 2 inputs",
        "backward returned 1 gradient for 2 inputs"),
    "backward returns None for an input": (
        mul(backward="return None, g * self.x"), "Mul's backward returned None for x", "dx is None"),
    "a gradient that is not an array": (
        mul(backward="return 'dx', g * self.x"), "Mul.backward: backward's gradient 1 is a str, not a numpy array",
        "is a str, not a numpy array of numbers"),
    "forward returns a dict": (
        mul(forward="return {'out': x * y}"), "Mul.forward: forward's output is a dict, not a numpy array",
        "is a dict, not a numpy array of numbers"),
}


def no_grader_import_error(results) -> list[str]:
    return [f"{t.name}: {t.output}" for t in results.tests
            if "importing grader" in t.output or "ImportError" in t.output]


@pytest.fixture(scope="module")
def assignment(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("paths")
    (folder / "assignment.yaml").write_text(SPEC)
    return folder


@pytest.mark.parametrize("path", list(NODE_PATHS))
def test_node_failure_paths_report_the_real_mistake(path, assignment, tmp_path):
    source, in_graph, in_node_test = NODE_PATHS[path]
    (tmp_path / "nodes.py").write_text(source)
    results = grade_submission(assignment, tmp_path, seed=3, timeout=2)
    assert not no_grader_import_error(results), no_grader_import_error(results)
    graph = next(t for t in results.tests if t.check == "graph")
    assert graph.score < graph.max_score and in_graph in graph.output, graph.output
    mul_outputs = " | ".join(t.output for t in results.tests if t.node == "Mul" and t.score < t.max_score)
    assert in_node_test in mul_outputs, mul_outputs
    assert all(t.score == t.max_score for t in results.tests if t.node == "Scale")


DRIVER_PATHS = {
    "topological_sort raises": (
        "    order, done, on_path = [], set(), set()\n",
        "    raise LookupError('lost my way')\n", "topological_sort raised LookupError: lost my way"),
    "a grad that is not an array": (
        "                parent.grad = parent.grad + grad\n",
        "                parent.grad = parent.grad + grad\n    output.grad = 'grad'\n",
        "is a str, not a numpy array of numbers"),
    "backward raises": (
        "    output.grad = np.ones(np.shape(output.value))\n",
        "    raise ArithmeticError('seed')\n", "backward raised ArithmeticError: seed"),
}


@pytest.mark.parametrize("path", list(DRIVER_PATHS))
def test_student_driver_failure_paths_report_the_real_mistake(path, tmp_path):
    old, new, expected = DRIVER_PATHS[path]
    source = (ROOT / "solutions" / "backprop-engine" / "engine.py").read_text()
    assert old in source
    (tmp_path / "engine.py").write_text(source.replace(old, new, 1))
    results = grade_submission(ROOT / "assignments" / "backprop-engine", tmp_path, seed=3, timeout=2)
    assert not no_grader_import_error(results), no_grader_import_error(results)
    failed = [t for t in results.tests if t.score < t.max_score]
    assert failed and all(expected in t.output for t in failed), [t.output for t in failed]


def test_a_backward_without_return_is_told_so_once(tmp_path):
    """A unary backward that forgets `return`: one message naming it, and the numeric check
    says it had nothing to compare, not that a gradient has the wrong shape."""
    root = Path(__file__).resolve().parents[2]
    source = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (root / "solutions" / "vector-layers" / "layers.py").read_text())
    start = source.index("def backward", source.index("class Sigmoid"))
    at = source.index("return ", start)
    (tmp_path / "layers.py").write_text(source[:at] + "_ = " + source[at + len("return "):])
    results = grade_submission(root / "assignments" / "vector-layers", tmp_path, seed=3, node="Sigmoid")
    said = {t.check: t.output for t in results.tests if not t.passed}
    assert said["backward"].endswith("Sigmoid.backward returned None: did you forget to return the gradients?")
    assert "backward gave no dx (None)" in said["numeric"]


def test_the_engine_hints_agree_on_how_to_add_gradients():
    """The overwrite bug once got "add ... with +=" for one Var and "... instead of +=" for
    another in the same run: every hint now says the same, v.grad = v.grad + g."""
    root = Path(__file__).resolve().parents[2]
    results = grade_submission(root / "assignments" / "backprop-engine",
                               root / "tests" / "corpus" / "students" / "backprop-engine" / "overwrite-instead-of-accumulate",
                               seed=5)
    said = "\n".join(t.output for t in results.tests)
    assert ".grad + g" in said and "+=" not in said
