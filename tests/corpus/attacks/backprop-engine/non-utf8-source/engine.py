"""Backpropagation over a graph of Vars (see graph.py).

``topological_sort(output)`` lists every Var reachable from ``output``, each after its
inputs. ``backward(output)`` fills ``grad`` of every reachable Var with the gradient of
``sum(output.value)``: it resets the grads, seeds the output with ones, and walks the order
backwards, adding each node's input gradients with ``+=`` so that paths through a shared
Var add up.
"""

import numpy as np

BANNER = "ÿþ not utf-8 ÿ"


def topological_sort(output):
    """Every Var reachable from ``output`` through ``inputs``, once each, inputs first,
    ``output`` last."""
    order, done, on_path = [], set(), set()
    stack = [(output, iter(output.inputs))]
    on_path.add(id(output))
    while stack:
        var, pending = stack[-1]
        for parent in pending:
            if id(parent) not in done and id(parent) not in on_path:
                on_path.add(id(parent))
                stack.append((parent, iter(parent.inputs)))
                break
        else:
            stack.pop()
            on_path.discard(id(var))
            done.add(id(var))
            order.append(var)
    return order


def backward(output):
    """Set ``grad`` of every Var reachable from ``output`` to d sum(output.value) / d value."""
    order = topological_sort(output)
    for var in order:
        var.grad = np.zeros(np.shape(var.value))
    output.grad = np.ones(np.shape(output.value))
    for var in reversed(order):
        if var.node is None:
            continue
        grads = var.node.backward(var.grad)
        if len(var.inputs) == 1 and not isinstance(grads, (tuple, list)):
            grads = (grads,)
        for parent, grad in zip(var.inputs, grads):
            if grad is not None:
                parent.grad = parent.grad + grad
