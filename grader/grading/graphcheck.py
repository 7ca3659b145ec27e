"""Graph tests: the spec's graphs run on student code, judged against the reference engine.

With the grader's driver, the run reports every node's output and what each node's backward
received and returned, so a failure names the *first* node that goes wrong: in forward order
for values, in backward order for gradients ("Pow's backward is wrong at b = 3"). With the
student's driver (backprop-engine), it checks the topological order, every Var's gradient,
and that a second backward does not double them. In forward mode (a graph of jvp nodes) the
run reports every node's output and tangent, and a failure names the first node, in
topological order, whose forward or jvp is wrong ("Sin's jvp is wrong at x2 = 5").
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from grader.grading.outcome import error_text
from grader.grading.diagnose import compare, failing_case, fmt
from grader.grading.graphrun import constant_name
from grader.spec.reference import Result, graph_jvp, graph_result, node_jvp, node_result
from grader.spec.model import GraphNode, GraphTest, NodeType, Tolerance


def _call(node: GraphNode) -> str:
    args = ", ".join(str(a) for a in node.args)
    extra = "".join(f", {k}={v:g}" if isinstance(v, (int, float)) else f", {k}={v}"
                    for k, v in node.attributes.items())
    return f"{node.name} = {node.type}({args}{extra})"


def _said(error: dict, note: str, shown: Mapping[str, str] | None = None) -> str:
    """An error reply in full, with ``note`` on its first line, before the traceback's; one
    already said in full by a node test (``shown``: text -> that test) in one line, pointing there."""
    text = error_text(error)
    first, *frames = text.split("\n")
    if shown and text in shown and frames:
        return f'{first}{note}; its traceback is under "{shown[text]}"'
    return "\n".join([first + note, *frames])


def _at(node: GraphNode, values: Mapping[str, np.ndarray]) -> str:
    shown = [f"{a} = {fmt(values[a])}" for a in node.args if isinstance(a, str) and np.size(values[a]) <= 8]
    return f" at {', '.join(shown)}" if shown else ""


def judge_grader_driver(graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, np.ndarray],
                        reply: dict, tol: Tolerance, details: dict | None = None,
                        shown: Mapping[str, str] | None = None) -> str | None:
    """None if the graph's output and every gradient are right; else the first wrong node
    (and, in ``details``, its failing comparison as data for a report's table; an error a
    node test said in full, ``shown``, in one line)."""
    if "error" in reply:
        error = reply["error"]
        node = next((n for n in graph.nodes if n.name == error.get("node")), None)
        where = f" (node {_call(node)})" if node is not None else ""
        return _said(error, where, shown)
    run = reply["ok"]
    values, returned, upstream = run["values"], run["returned"], run["upstream"]
    expected = graph_result(graph, types, inputs)
    compare_ = _comparer(tol, details, values)
    for node in graph.nodes:  # forward order: the first node whose own forward is wrong
        if node.type is None:
            continue
        local = _local(node, types, values)
        problem = compare_(values[node.name], local.output, "the output", node)
        if problem:
            return f"{node.type}'s forward is wrong{_at(node, values)} (node {_call(node)}): {problem}"
    for node in reversed(graph.nodes):  # backward order: the first node whose backward is wrong
        if node.type is None:
            continue
        local = _local(node, types, values, upstream[node.name])
        for inp, arg, got in zip(types[node.type].inputs, node.args, returned[node.name]):
            if not isinstance(arg, str) or values[arg].dtype.kind != "f":
                continue
            if got is None:
                return f"{node.type}'s backward returned None for {inp.name} (node {_call(node)})"
            problem = compare_(got, local.grads[inp.name], f"d{inp.name}", node)
            if problem:
                return f"{node.type}'s backward is wrong{_at(node, values)} (node {_call(node)}): {problem}"
    problem = compare_(values[graph.output], expected.output, "the graph's output")
    if problem:
        return problem
    for name, want in expected.grads.items():
        problem = compare_(run["grads"][name], want, f"the gradient of {name}")
        if problem:
            return problem
    return None


def judge_forward_mode(graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, np.ndarray],
                       tangents: Mapping[str, np.ndarray], reply: dict, tol: Tolerance,
                       details: dict | None = None) -> str | None:
    """None if every node's output and tangent, and so the graph's, are right along the
    inputs' ``tangents``; else the first node (in topological order) that goes wrong."""
    if "error" in reply:
        return judge_grader_driver(graph, types, inputs, reply, tol)  # names the node that failed
    run = reply["ok"]
    values, got_tangents, given = run["values"], run["tangents"], run["given"]
    compare_ = _comparer(tol, details, values)
    for node in graph.nodes:
        if node.type is None:
            continue
        node_type = types[node.type]
        local_inputs = {inp.name: values[a] if isinstance(a, str) else np.asarray(float(a))
                        for inp, a in zip(node_type.inputs, node.args)}
        local = node_jvp(node_type, node.attributes, local_inputs,
                         {inp.name: t for inp, t in zip(node_type.inputs, given[node.name])})
        problem = compare_(values[node.name], local.output, "the output", node)
        if problem:
            return f"{node.type}'s forward is wrong{_at(node, values)} (node {_call(node)}): {problem}"
        problem = compare_(got_tangents[node.name], local.tangent, "the tangent", node)
        if problem:
            dots = [f"{a}_dot = {fmt(t)}" for a, t in zip(node.args, given[node.name])
                    if isinstance(a, str) and np.size(t) <= 8]
            at = _at(node, values) + (", " + ", ".join(dots) if dots and _at(node, values) else "")
            return f"{node.type}'s jvp is wrong{at} (node {_call(node)}): {problem}"
    expected = graph_jvp(graph, types, inputs, tangents)
    return (compare_(values[graph.output], expected.output, "the graph's output")
            or compare_(got_tangents[graph.output], expected.tangent, "the tangent of the graph's output"))


def _comparer(tol: Tolerance, details: dict | None, values: Mapping[str, np.ndarray]):
    """``compare`` at the graph's tolerance that keeps the first failing comparison in
    ``details`` (a node's own inputs, expected and got), for a report's table."""
    def compare_(got, want, what: str, node: GraphNode | None = None) -> str | None:
        problem = compare(got, want, what=what, rtol=tol.rtol, atol=tol.atol, attributes=node.attributes if node else {})
        if problem and details is not None and not details:
            local = {a: values[a] for a in (node.args if node else []) if isinstance(a, str) and a in values}
            details.update(failing_case(local, what if node is None else f"{what} of {node.name}", got, want))
        return problem
    return compare_


def _local(node: GraphNode, types: Mapping[str, NodeType], values: Mapping[str, np.ndarray],
           grad_output: np.ndarray | None = None) -> Result:
    """The reference for one node, at the inputs the student's graph gave it."""
    node_type = types[node.type]
    inputs = {inp.name: values[a] if isinstance(a, str) else np.asarray(float(a))
              for inp, a in zip(node_type.inputs, node.args)}
    return node_result(node_type, node.attributes, inputs, grad_output)


def judge_student_driver(graph: GraphTest, types: Mapping[str, NodeType], inputs: Mapping[str, np.ndarray],
                         reply: dict, tol: Tolerance) -> str | None:
    """None if topological_sort and backward are right on this graph; else what is wrong."""
    if "error" in reply:
        return error_text(reply["error"])
    run = reply["ok"]
    problem = _order_problem(graph, run)
    if problem is None and run["runs"] and "$error" in run["runs"][0]:
        error = run["runs"][0]["$error"]
        hint = ""
        if "iteration over a 0-d array" in error.get("message", "") or "is not iterable" in error.get("message", ""):
            hint = " (a node with one input may return a bare array instead of a tuple: wrap it)"
        return _said(error, hint)
    if problem:
        return problem
    runs = run["runs"]
    if not runs or "$error" in runs[0]:
        return error_text(runs[0]["$error"]) if runs else "backward did not run"
    expected = graph_result(graph, types, inputs)
    first = runs[0]
    consumers = _consumers(graph)
    for name in [n.name for n in reversed(graph.nodes)] + [i.name for i in graph.inputs]:
        want = expected.grads[name]
        got = first.get(name)
        if got is None:
            return f"after backward, {name}.grad is None; every Var reachable from the output needs a grad"
        problem = compare(got, want, what=f"{name}.grad", rtol=tol.rtol, atol=tol.atol)
        if problem:
            return problem + _driver_hint(name, got, want, consumers, graph, first.get("$shared", []), tol)
    if len(runs) > 1:
        if "$error" in runs[1]:
            return "a second call of backward failed: " + error_text(runs[1]["$error"])
        for name, want in expected.grads.items():
            got = runs[1].get(name)
            if got is None or compare(got, want, what="", rtol=tol.rtol, atol=tol.atol):
                return ("a second call of backward gives different gradients: reset every grad "
                        "before adding up the new ones")
    return None


def _order_problem(graph: GraphTest, run: dict) -> str | None:
    if "order_error" in run:
        return error_text(run["order_error"])
    if "order" not in run:
        return None
    order = run["order"]
    reachable = [i.name for i in graph.inputs] + [n.name for n in graph.nodes] + \
        [constant_name(n, i) for n in graph.nodes for i, a in enumerate(n.args) if not isinstance(a, str)]
    if "?" in order:
        return "topological_sort returned something that is not a Var of the graph"
    seen: set[str] = set()
    for name in order:
        if name in seen:
            return f"topological_sort lists {name} twice"
        seen.add(name)
    missing = [n for n in reachable if n not in seen]
    if missing:
        return f"topological_sort misses {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}"
    position = {name: k for k, name in enumerate(order)}
    for node in graph.nodes:
        for i, arg in enumerate(node.args):
            parent = arg if isinstance(arg, str) else constant_name(node, i)
            if position[parent] > position[node.name]:
                return f"topological_sort puts {node.name} before its input {parent}"
    if order[-1] != graph.output:
        return f"topological_sort must end with the output ({graph.output}), not {order[-1]}"
    return None


def _consumers(graph: GraphTest) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for node in graph.nodes:
        for arg in node.args:
            if isinstance(arg, str):
                users.setdefault(arg, []).append(node.name)
    return users


def _driver_hint(name: str, got: np.ndarray, want: np.ndarray, consumers: Mapping[str, list[str]],
                 graph: GraphTest, shared: list[list[str]], tol: Tolerance) -> str:
    """What a wrong Var.grad most likely means about the student's backward."""
    if name == graph.output:
        return " (seed the output's grad with ones before walking the graph)"
    for pair in shared:
        if name in pair:
            other = pair[0] if pair[1] == name else pair[1]
            return (f" ({name}.grad and {other}.grad are one and the same array: store a copy (g.copy()), "
                    f"or add up with {name}.grad = {name}.grad + g, which makes a new array)")
    if np.all(got == 0) and not np.all(want == 0):
        return (" (its gradient never arrived: walk the topological order in reverse, from the output "
                "back to the inputs)")
    if np.allclose(got, 2 * want, rtol=tol.rtol, atol=tol.atol):
        return " (counted twice: visit each Var once, in reverse topological order)"
    users = consumers.get(name, [])
    if len(users) > 1:
        counts = {u: users.count(u) for u in users}
        named = ", ".join(u if c == 1 else f"{u} (twice)" for u, c in counts.items())
        return (f" ({name} is used {len(users)} times, by {named}: add up the gradients from every "
                f"use, {name}.grad = {name}.grad + g, do not overwrite)")
    return ""
