"""Kahn's algorithm on the reversed graph: start at output, release a Var once all its
consumers are done, then reverse. A different valid order from a DFS."""

from functools import reduce

import numpy as np


def topological_sort(output):
    consumers = {id(output): 0}
    members = {id(output): output}
    stack = [output]
    while stack:                                  # count consumer edges of every reachable Var
        var = stack.pop()
        for parent in var.inputs:
            if id(parent) not in members:
                members[id(parent)] = parent
                consumers[id(parent)] = 0
                stack.append(parent)
            consumers[id(parent)] += 1
    reverse_order = []
    ready = [output]
    while ready:
        var = ready.pop()
        reverse_order.append(var)
        for parent in var.inputs:
            consumers[id(parent)] -= 1
            if consumers[id(parent)] == 0:
                ready.append(parent)
    reverse_order.reverse()
    return reverse_order


def backward(output):
    order = topological_sort(output)
    pending = {id(var): [] for var in order}      # contributions, summed when a Var is reached
    pending[id(output)].append(np.ones(np.shape(output.value)))
    for var in reversed(order):
        zero = np.zeros(np.shape(var.value))
        var.grad = reduce(np.add, pending.pop(id(var)), zero)
        if var.node is None:
            continue
        result = var.node.backward(var.grad)
        if isinstance(result, np.ndarray):
            result = [result]
        for parent, g in zip(var.inputs, result):
            if g is not None:
                pending[id(parent)].append(g)
