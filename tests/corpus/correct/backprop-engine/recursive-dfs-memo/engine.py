"""A plain recursive DFS (recursion depth = longest input chain, at most ~200 in the spec's
graphs, well under Python's limit of 1000); Vars themselves are the set/dict keys."""

import numpy as np


def topological_sort(output):
    order, visited = [], set()

    def visit(var):
        if var in visited:
            return
        visited.add(var)
        for parent in var.inputs:
            visit(parent)
        order.append(var)

    visit(output)
    return order


def backward(output):
    order = topological_sort(output)
    grad = dict.fromkeys(order)
    for var in order:
        grad[var] = np.zeros_like(np.asarray(var.value, dtype=float))
    grad[output] = np.ones_like(grad[output])
    for var in reversed(order):
        var.grad = grad[var]
        if var.node is None:
            continue
        grads = var.node.backward(var.grad)
        if len(var.inputs) == 1 and not isinstance(grads, (list, tuple)):
            grads = [grads]
        for parent, g in zip(var.inputs, grads):
            if g is not None:
                grad[parent] = grad[parent] + g
