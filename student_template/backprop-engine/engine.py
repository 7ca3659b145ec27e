"""Backpropagation over a graph of Vars (see graph.py).

``topological_sort(output)`` lists every Var reachable from ``output``, each after its
inputs. ``backward(output)`` fills ``grad`` of every reachable Var with the gradient of
``sum(output.value)``: it resets the grads, seeds the output with ones, and walks the order
backwards, adding each node's input gradients with ``+=`` so that paths through a shared
Var add up.
"""

import numpy as np


def topological_sort(output):
    """Every Var reachable from ``output`` through ``inputs``, once each, inputs first,
    ``output`` last."""
    raise NotImplementedError('topological_sort: a depth-first search that appends a Var after all of its inputs (use a loop and a stack, not recursion, so deep graphs work)')


def backward(output):
    """Set ``grad`` of every Var reachable from ``output`` to d sum(output.value) / d value."""
    raise NotImplementedError("backward: reset every grad to zeros, seed output.grad with ones, then for each Var in reverse topological order add node.backward(var.grad) into its inputs' grads")
