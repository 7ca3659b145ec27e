"""Forward-mode graphs on the grader's driver, the worker's steps run in this process: each
node's forward and jvp in topological order with values and tangents wired from earlier
nodes; expressions computed by the grader between requests; a failure names the first node
that goes wrong, in topological order."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from grader.grading.forwardrun import ForwardGraphCase
from grader.grading.graphcheck import judge_forward_mode
from grader.sandbox.calls import Worker
from grader.spec import load_assignment
from grader.spec.model import Tolerance

from assignment_helpers import assignment, load_module

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "corpus" / "forward"
TOL = Tolerance(1e-6, 1e-8)


def run(spec, graph_id: str, symbols: dict, inputs: dict, tangents: dict) -> tuple[ForwardGraphCase, str | None]:
    graph = spec.graphs[graph_id]
    worker = Worker()
    worker.symbols.update(symbols)
    values = {k: np.asarray(v, dtype=float) for k, v in inputs.items()}
    seeds = {k: np.asarray(v, dtype=float) for k, v in tangents.items()}
    case = ForwardGraphCase(graph, spec.nodes, values, seeds)
    steps, requests = case.steps, 0
    while steps is not None:
        requests += 1
        steps = case.take(worker.run({"steps": steps})["results"])
    case.requests = requests
    return case, judge_forward_mode(graph, spec.nodes, values, seeds, case.outcome(), TOL)


def solution() -> dict:
    module = load_module(ROOT / "solutions" / "forward-mode" / "forward.py")
    return {name: getattr(module, name) for name in ("Add", "Mul", "Sin", "Cos", "Pow", "Sigmoid", "Log", "ReLU")}


def test_the_lecture_graph_runs_forward_mode_on_the_students_nodes():
    case, problem = run(assignment("forward-mode"), "lecture", solution(), {"x1": 2, "x2": 5}, {"x1": 0, "x2": 1})
    assert problem is None and case.requests == 1
    ok = case.outcome()["ok"]
    assert ok["values"]["a3"] == math.sin(5) + 10
    assert ok["tangents"]["a1"] == math.cos(5) and ok["tangents"]["a2"] == 2.0
    assert ok["tangents"]["a3"] == math.cos(5) + 2


def test_the_first_wrong_node_is_named_with_its_inputs_and_tangents():
    nodes = solution()
    nodes["Sin"] = type("Sin", (nodes["Sin"],), {"jvp": lambda self, t: np.cos(self.x)})
    _, problem = run(assignment("forward-mode"), "lecture", nodes, {"x1": 2, "x2": 5}, {"x1": 0.5, "x2": 2})
    assert problem.startswith("Sin's jvp is wrong at x2 = 5, x2_dot = 2 (node a1 = Sin(x2)): ")
    assert problem.endswith("the tangent is ½ × the right value")  # cos(x2) for cos(x2)·x2_dot, at x2_dot = 2


def test_a_wrong_forward_is_named_before_any_tangent():
    nodes = solution()
    nodes["Mul"] = type("Mul", (nodes["Mul"],), {"forward": lambda self, x, y: (setattr(self, "x", x),
                                                                                  setattr(self, "y", y), x + y)[2]})
    _, problem = run(assignment("forward-mode"), "lecture", nodes, {"x1": 2, "x2": 5}, {"x1": 1, "x2": 0})
    assert problem.startswith("Mul's forward is wrong at x1 = 2, x2 = 5 (node a2 = Mul(x1, x2))")


def test_a_tangent_changed_in_place_stops_the_graph_there():
    nodes = solution()

    def jvp(self, x_dot):
        x_dot *= np.cos(self.x)
        return x_dot

    nodes["Sin"] = type("Sin", (nodes["Sin"],), {"jvp": jvp})
    _, problem = run(assignment("forward-mode"), "lecture", nodes, {"x1": 2, "x2": 5}, {"x1": 1, "x2": 1})
    assert "Sin.jvp: jvp modified its tangent x2_dot in place" in problem and "(node a1 = Sin(x2))" in problem


def test_a_failing_node_is_named_and_the_rest_not_run():
    nodes = solution()
    nodes["Add"] = type("Add", (nodes["Add"],), {"jvp": lambda self, a, b: 1 / 0})
    _, problem = run(assignment("forward-mode"), "lecture", nodes, {"x1": 2, "x2": 5}, {"x1": 1, "x2": 0})
    assert "Add.jvp raised ZeroDivisionError" in problem and "(node a3 = Add(a1, a2))" in problem


def test_expressions_run_on_the_engine_between_requests():
    spec = load_assignment(FIXTURES)[0]
    module = load_module(FIXTURES / "forward.py")
    symbols = {n: getattr(module, n) for n in ("Mul", "Sin")}
    x, y, tx = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([1.0, 1.0])
    case, problem = run(spec, "with-expressions", symbols, {"x": x, "y": y}, {"x": tx, "y": np.zeros(2)})
    assert problem is None and case.requests == 2  # e = s * 2 needs Sin's output first
    f = 2 * np.sin(x * y) * x ** 2
    df = 2 * np.cos(x * y) * y * tx * x ** 2 + 2 * np.sin(x * y) * 2 * x * tx
    np.testing.assert_allclose(case.outcome()["ok"]["values"]["f"], f, rtol=1e-14)
    np.testing.assert_allclose(case.outcome()["ok"]["tangents"]["f"], df, rtol=1e-13)


def test_a_wrong_node_before_an_expression_is_still_named():
    spec = load_assignment(FIXTURES)[0]
    module = load_module(FIXTURES / "forward.py")
    symbols = {"Mul": module.Mul, "Sin": type("Sin", (module.Sin,), {"jvp": lambda self, t: -np.cos(self.x) * t})}
    _, problem = run(spec, "with-expressions", symbols, {"x": [1.0, 2.0], "y": [0.5, -1.0]}, {"x": [1, 1], "y": [0, 0]})
    assert problem.startswith("Sin's jvp is wrong") and "wrong sign" in problem
