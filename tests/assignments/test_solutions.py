"""Each reference solution agrees with the reference engine on every node test and graph of
its spec: values, gradients for a random upstream gradient (or, in forward mode, tangents
along random input tangents), what it leaves in its param dicts' state, and untouched
inputs, in whatever calling convention the spec gives; the forward-mode solution's jacobian
gives every test map's Jacobian from exactly len(x) calls."""

from __future__ import annotations

import numpy as np
import pytest

from grader.grading.forwardrun import ForwardGraphCase
from grader.grading.graphrun import GraphCase, driver_step
from grader.grading.randomcheck import infer_mask
from grader.spec.params import copy_settings
from grader.sandbox import maps as worker_maps
from grader.spec.draw import resolve_dims
from grader.spec.maps import draw, expected
from grader.spec.reference import graph_jvp, graph_result, is_random, node_jvp, node_result
from grader.sandbox.calls import Worker
from grader.sandbox.conventions import maker

from assignment_helpers import assignment, cases, check_topological_order, graph_cases, load_module

NODE_ASSIGNMENTS = ["scalar-graphs", "vector-layers", "layer-functions"]
FUNCTION_ASSIGNMENTS = ["rnn-functions"]  # function pairs and losses (cs231n's layer API)


def solution(name):
    a = assignment(name)
    return a, load_module(a.solution / a.files[0])


def node_tests(name):
    a = assignment(name)
    return [(name, t.node, i) for node in a.nodes.values() for i, t in enumerate(node.tests)]


def close(got, want, tol, what):
    got = np.asarray(got, dtype=float)
    assert got.shape == np.shape(want), f"{what}: shape {got.shape}, expected {np.shape(want)}"
    np.testing.assert_allclose(got, want, rtol=tol.rtol, atol=tol.atol, err_msg=what)


def instance(module, node, attributes):
    """One node object of the solution, through the worker's adapter of its convention (a
    function pair, a loss...) or its class."""
    if node.convention.kind == "class":
        return getattr(module, node.name)(**attributes)
    return maker(node.convention.describe(), vars(module), attributes, [i.name for i in node.inputs],
                 [i.dtype == "float64" for i in node.inputs], list(node.outputs))()


@pytest.mark.parametrize("name, node_name, index",
                         [t for n in NODE_ASSIGNMENTS for t in node_tests(n)],
                         ids=lambda v: str(v))
def test_solution_node_matches_reference(name, node_name, index):
    a, module = solution(name)
    node = a.nodes[node_name]
    test = node.tests[index]
    rng = np.random.default_rng(index)
    for case in cases(test, node):
        copies = {k: copy_settings(v) if isinstance(v, dict) else v.copy() for k, v in case.items()}
        given = {k: copy_settings(v) if isinstance(v, dict) else v for k, v in case.items()}
        obj = instance(module, node, test.attributes)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out = np.asarray(obj.forward(*given.values()))
            grad_output = rng.normal(size=out.shape)
            grads = obj.backward(grad_output)
        grads = grads if isinstance(grads, (tuple, list)) else (grads,)
        mask = infer_mask(out, case[node.random.input]) if is_random(node, case) else None
        want = node_result(node, test.attributes, case, grad_output, mask)
        if test.kind == "range":
            assert np.all(np.isfinite(out)), f"{test.title}: output not finite"
        else:
            close(out, want.output, test.settings.tolerance, f"{test.title}: output")
        for inp in (i for i in test.inputs if i.is_param):
            for key in inp.state:
                close(given[inp.name][key], want.settings[inp.name][key], test.settings.tolerance,
                      f"{test.title}: {inp.name}[{key!r}] after forward")
        for inp, g in zip(test.inputs, grads):
            if inp.dtype == "int64" or inp.is_param:
                assert g is None, f"{test.title}: {inp.name} must get None"
            elif test.kind == "range":
                assert np.all(np.isfinite(g)), f"{test.title}: gradient of {inp.name} not finite"
            else:
                close(g, want.grads[inp.name], test.settings.tolerance, f"{test.title}: d{inp.name}")
        for k in case:
            if isinstance(case[k], dict):
                assert all(np.array_equal(case[k][e], copies[k][e]) for e in case[k]), f"{test.title}: {k} was modified"
            else:
                assert np.array_equal(case[k], copies[k]), f"{test.title}: {k} was modified"


@pytest.mark.parametrize("name, node_name, index",
                         [t for n in FUNCTION_ASSIGNMENTS for t in node_tests(n)],
                         ids=lambda v: str(v))
def test_function_solution_matches_reference(name, node_name, index):
    """The solution's functions, called through the worker's own adapter for the node's
    convention, against the reference: every output and every float input's gradient."""
    a, module = solution(name)
    node = a.nodes[node_name]
    test = node.tests[index]
    floats = [i.dtype == "float64" for i in node.inputs]
    make = maker(node.convention.describe(), vars(module), test.attributes, [i.name for i in node.inputs],
                 floats, list(node.outputs) or None)
    rng = np.random.default_rng(index)
    for case in cases(test, node):
        copies = {k: v.copy() for k, v in case.items()}
        obj = make()
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out = obj.forward(*case.values())
            outs = list(out) if node.outputs else [out]
            upstream = [rng.normal(size=np.shape(o)) for o in outs]
            grads = obj.backward(*upstream)
        want = node_result(node, test.attributes, case, upstream if node.outputs else upstream[0])
        wanted = want.output if node.outputs else [want.output]
        for got, right, what in zip(outs, wanted, node.outputs or ["out"]):
            close(got, right, test.settings.tolerance, f"{test.title}: {what}")
        for inp, g in zip(test.inputs, grads):
            if inp.dtype != "float64":
                assert g is None, f"{test.title}: {inp.name} must get no gradient"
            else:
                close(g, want.grads[inp.name], test.settings.tolerance, f"{test.title}: d{inp.name}")
        for k in case:
            assert np.array_equal(case[k], copies[k]), f"{test.title}: {k} was modified"


def in_process(**symbols) -> Worker:
    """The worker's own step runner, in this process, on these student symbols."""
    worker = Worker()
    worker.symbols.update(symbols)
    return worker


@pytest.mark.parametrize("name, graph_id",
                         [(n, g) for n in NODE_ASSIGNMENTS for g in assignment(n).graphs])
def test_solution_graph_matches_reference(name, graph_id):
    a, module = solution(name)
    graph = a.graphs[graph_id]
    worker = in_process(**{t: getattr(module, t) for t in a.nodes})
    for graph, case in graph_cases(graph, a.nodes):
        run = GraphCase(graph, a.nodes, case)
        steps = run.steps
        while steps is not None:
            steps = run.take(worker.run({"steps": steps})["results"])
        outcome = run.outcome()
        assert "ok" in outcome, outcome
        want = graph_result(graph, a.nodes, case)
        for key, value in want.grads.items():
            close(outcome["ok"]["grads"][key], value, graph.settings.tolerance, f"{graph_id}: d{key}")
        close(outcome["ok"]["values"][graph.output], want.output, graph.settings.tolerance, f"{graph_id}: output")


@pytest.mark.parametrize("node_name, index", [(t[1], t[2]) for t in node_tests("forward-mode")],
                         ids=lambda v: str(v))
def test_forward_mode_solution_node_matches_reference(node_name, index):
    a, module = solution("forward-mode")
    node = a.nodes[node_name]
    test = node.tests[index]
    rng = np.random.default_rng(index)
    for case in cases(test, node):
        copies = {k: v.copy() for k, v in case.items()}
        tangents = {k: rng.normal(size=np.shape(v)) for k, v in case.items()}
        kept = {k: v.copy() for k, v in tangents.items()}
        obj = getattr(module, node_name)(**test.attributes)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out = obj.forward(*case.values())
            tangent = obj.jvp(*tangents.values())
        want = node_jvp(node, test.attributes, case, tangents)
        close(out, want.output, test.settings.tolerance, f"{test.title}: output")
        close(tangent, want.tangent, test.settings.tolerance, f"{test.title}: tangent")
        for k in case:
            assert np.array_equal(case[k], copies[k]) and np.array_equal(tangents[k], kept[k]), f"{test.title}: {k}"


@pytest.mark.parametrize("graph_id", list(assignment("forward-mode").graphs))
def test_forward_mode_solution_graph_matches_reference(graph_id):
    a, module = solution("forward-mode")
    worker = in_process(**{t: getattr(module, t) for t in a.nodes})
    rng = np.random.default_rng(0)
    for graph, case in graph_cases(a.graphs[graph_id], a.nodes):
        tangents = {k: rng.normal(size=np.shape(v)) for k, v in case.items()}
        run = ForwardGraphCase(graph, a.nodes, case, tangents)
        steps = run.steps
        while steps is not None:
            steps = run.take(worker.run({"steps": steps})["results"])
        outcome = run.outcome()
        assert "ok" in outcome, outcome
        want = graph_jvp(graph, a.nodes, case, tangents)
        for key, value in want.tangents.items():
            close(outcome["ok"]["tangents"][key], value, graph.settings.tolerance, f"{graph_id}: tangent of {key}")
        close(outcome["ok"]["values"][graph.output], want.output, graph.settings.tolerance, f"{graph_id}: output")


@pytest.mark.parametrize("index", range(len(assignment("forward-mode").jacobian.tests)))
def test_forward_mode_solution_jacobian_matches_reference(index):
    a, module = solution("forward-mode")
    test = a.jacobian.tests[index]
    rng = np.random.default_rng(index)
    drawn = [draw(test.map, resolve_dims(test.settings, rng), rng) for _ in range(test.settings.cases)]
    for inputs in drawn + [e.inputs for e in test.examples]:
        x = np.asarray(inputs["x"], dtype=float)
        f, calls = worker_maps.make(test.map, {k: v for k, v in inputs.items() if k != "x"}, x)
        got = module.jacobian(f, x.copy())
        close(got, expected(test.map, inputs)[1], test.settings.tolerance, f"{test.name}: Jacobian")
        assert calls.count == x.size and calls.moved == 0


@pytest.mark.parametrize("graph_id", list(assignment("backprop-engine").graphs))
def test_engine_solution_sorts_and_backpropagates_every_graph(graph_id):
    a = assignment("backprop-engine")
    engine = load_module(a.solution / "engine.py", extra_path=a.root)
    worker = in_process(topological_sort=engine.topological_sort, backward=engine.backward)
    graph = a.graphs[graph_id]
    for graph, case in graph_cases(graph, a.nodes):
        reply = worker.run({"steps": [driver_step(graph, a.nodes, case)]})["results"][0]["ok"]
        assert "order_error" not in reply and "?" not in reply["order"] and reply["order"][-1] == graph.output
        want = graph_result(graph, a.nodes, case)
        assert len(reply["runs"]) == 2  # a second call resets, not doubles
        for run in reply["runs"]:
            for key, value in want.grads.items():
                close(run[key], value, graph.settings.tolerance, f"{graph_id}: {key}.grad")


def test_engine_solution_handles_deep_graphs():
    a = assignment("backprop-engine")
    engine = load_module(a.solution / "engine.py", extra_path=a.root)
    graph_module = load_module(a.root / "graph.py")

    class Add:
        def forward(self, x, y):
            return x + y

        def backward(self, grad_output):
            return grad_output, grad_output

    x = graph_module.Var(np.array(1.0))
    var = x
    for _ in range(3000):
        node = Add()
        var = graph_module.Var(node.forward(var.value, x.value), (var, x), node)
    order = engine.topological_sort(var)
    check_topological_order(order, var)
    engine.backward(var)
    assert x.grad == pytest.approx(3001.0)
