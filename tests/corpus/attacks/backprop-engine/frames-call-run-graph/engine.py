"""No algorithm: the grader's own driver, found by walking up the frames (red team, issue 13).

The worker's driver step had the spec's graph and the grader's run_graph within reach of
sys._getframe; with them, the grader computed every gradient for the student.
"""

import sys


def _driver_frame():
    frame = sys._getframe(1)
    while frame is not None:
        if "env" in frame.f_locals and "run_graph" in frame.f_globals:
            return frame
        frame = frame.f_back
    raise RuntimeError("no grader driver to borrow")


def topological_sort(output):
    return list(_driver_frame().f_locals["env"].values())


def backward(output):
    frame = _driver_frame()
    scope, env = frame.f_locals, frame.f_locals["env"]
    g = frame.f_globals
    graph = g["_graph_from"](scope["step"])
    classes = {name: g["reference_class"](g["_node_type"](name, t)) for name, t in scope["step"]["types"].items()}
    run = g["run_graph"](graph, lambda gn: classes[gn.type](**gn.attributes), scope["step"]["inputs"])
    for name, var in env.items():
        var.grad = run.grads.get(name, 0.0 * var.value)
