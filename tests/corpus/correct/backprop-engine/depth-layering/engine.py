"""Sort by depth: a Var's depth is 1 + the largest depth among its inputs (leaves 0), computed by
relaxation without recursion. Inputs are strictly shallower, and output is the unique deepest."""

import numpy as np


def _collect(output):
    found, frontier = {id(output): output}, [output]
    while frontier:
        nxt = []
        for var in frontier:
            for parent in var.inputs:
                if id(parent) not in found:
                    found[id(parent)] = parent
                    nxt.append(parent)
        frontier = nxt
    return list(found.values())


def topological_sort(output):
    nodes = _collect(output)
    depth = {id(v): 0 for v in nodes}
    changed = True
    while changed:                       # Bellman-Ford style longest-path relaxation on a DAG
        changed = False
        for v in nodes:
            if v.inputs:
                d = 1 + max(depth[id(p)] for p in v.inputs)
                if d > depth[id(v)]:
                    depth[id(v)] = d
                    changed = True
    return sorted(nodes, key=lambda v: depth[id(v)])


def backward(output):
    order = topological_sort(output)
    for v in order:
        v.grad = np.zeros(np.shape(v.value))
    output.grad = output.grad + 1.0
    for v in order[::-1]:
        if v.node is None:
            continue
        grads = v.node.backward(v.grad)
        if not isinstance(grads, (list, tuple)):
            grads = [grads]
        grads = list(grads)
        for k, parent in enumerate(v.inputs):
            if grads[k] is not None:
                parent.grad = parent.grad + np.asarray(grads[k])
