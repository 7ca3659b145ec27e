"""Kahn's algorithm with in-degree counts; grads reset and accumulated in a dict, with np.add."""

from collections import deque

import numpy as np


def _reachable(output):
    """Every Var reachable from output, found with an explicit stack (no recursion)."""
    seen = {id(output): output}
    stack = [output]
    while stack:
        var = stack.pop()
        for parent in var.inputs:
            if id(parent) not in seen:
                seen[id(parent)] = parent
                stack.append(parent)
    return seen


def topological_sort(output):
    nodes = _reachable(output)
    indegree = {key: len(var.inputs) for key, var in nodes.items()}   # edges, with repeats
    users = {key: [] for key in nodes}
    for key, var in nodes.items():
        for parent in var.inputs:
            users[id(parent)].append(key)
    ready = deque(key for key, d in indegree.items() if d == 0)
    order = []
    while ready:
        key = ready.popleft()
        order.append(nodes[key])
        for user in users[key]:
            indegree[user] -= 1
            if indegree[user] == 0:
                ready.append(user)
    # every reachable Var is an ancestor of output, so output necessarily comes last
    return order


def backward(output):
    order = topological_sort(output)
    grads = {id(var): np.zeros(np.shape(var.value)) for var in order}   # the reset
    grads[id(output)] = np.ones(np.shape(output.value))
    for var in reversed(order):
        if var.node is None:
            continue
        result = var.node.backward(grads[id(var)])
        if not isinstance(result, (tuple, list)):
            result = (result,)
        for parent, g in zip(var.inputs, result):
            if g is not None:
                grads[id(parent)] = np.add(grads[id(parent)], g)
    for var in order:
        var.grad = grads[id(var)]
