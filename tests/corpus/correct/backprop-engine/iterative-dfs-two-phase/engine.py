"""An iterative DFS that pushes each Var twice (expand, then emit); in-place np.add into own arrays."""

import numpy as np

EXPAND, EMIT = 0, 1


def topological_sort(output):
    order = []
    emitted = set()
    stack = [(EXPAND, output)]
    while stack:
        action, var = stack.pop()
        if id(var) in emitted:
            continue
        if action == EMIT:
            emitted.add(id(var))
            order.append(var)
            continue
        stack.append((EMIT, var))
        for parent in reversed(var.inputs):
            if id(parent) not in emitted:
                stack.append((EXPAND, parent))
    return order


def _as_list(result, count):
    """A node's backward result as a list: a unary node may return the bare array."""
    if isinstance(result, np.ndarray) or np.isscalar(result):
        return [result]
    result = list(result)
    assert len(result) == count, f"{len(result)} gradients for {count} inputs"
    return result


def backward(output):
    order = topological_sort(output)
    for var in order:
        var.grad = np.zeros(np.shape(var.value), dtype=np.float64)
    output.grad[...] = 1.0
    for var in order[::-1]:
        if not var.inputs:
            continue
        for parent, g in zip(var.inputs, _as_list(var.node.backward(var.grad), len(var.inputs))):
            if g is None:
                continue
            np.add(parent.grad, g, out=parent.grad)   # parent.grad is an array this engine owns
