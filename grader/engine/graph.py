"""The tape: values that remember the op and inputs they came from, and the two passes.

A ``Var`` is computed eagerly when it is created; the graph it belongs to is the set of Vars
reachable through ``parents``. Reverse mode walks that graph in reverse topological order,
adding up cotangents at branches; forward mode walks it in order, pushing tangents. Both
orders are computed iteratively, so a chain 10,000 ops deep needs no recursion.
"""

from __future__ import annotations

from typing import Any, Container, Iterable, Mapping

import numpy as np

from grader.engine.registry import OPS, Op


def as_array(value: Any) -> np.ndarray:
    """Numbers become float64 arrays; integer arrays (class labels) stay integers."""
    array = np.asarray(value)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    return array.astype(np.float64, copy=False)


class Var:
    """A value in the reference engine's graph: a leaf, or the output of one op."""

    __slots__ = ("value", "op", "parents", "params", "name")
    __array_priority__ = 100  # so ndarray @ Var and ndarray * Var dispatch to Var

    def __init__(self, value: Any, op: Op | None = None, parents: tuple[Var, ...] = (),
                 params: Mapping[str, Any] | None = None, name: str | None = None):
        self.value = as_array(value)
        self.op = op
        self.parents = parents
        self.params = dict(params or {})
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __repr__(self) -> str:
        what = self.name or (self.op.name if self.op else "leaf")
        return f"Var({what}, shape={self.shape})"

    def __add__(self, other): return apply("add", self, other)
    def __radd__(self, other): return apply("add", other, self)
    def __sub__(self, other): return apply("sub", self, other)
    def __rsub__(self, other): return apply("sub", other, self)
    def __mul__(self, other): return apply("mul", self, other)
    def __rmul__(self, other): return apply("mul", other, self)
    def __truediv__(self, other): return apply("div", self, other)
    def __rtruediv__(self, other): return apply("div", other, self)
    def __pow__(self, other): return apply("pow", self, other)
    def __rpow__(self, other): return apply("pow", other, self)
    def __matmul__(self, other): return apply("matmul", self, other)
    def __rmatmul__(self, other): return apply("matmul", other, self)
    def __neg__(self): return apply("neg", self)
    def __getitem__(self, index): return apply("getitem", self, index=index)  # basic indexing only
    def __pos__(self): return self


def apply(name: str, *args: Any, **params: Any) -> Var:
    """Run op ``name`` on Vars or constants and return its output, linked into the graph."""
    op = OPS[name]
    if len(args) < op.arity if op.variadic else len(args) != op.arity:
        at_least = "at least " if op.variadic else ""
        raise TypeError(f"{name} takes {at_least}{op.arity} argument(s), got {len(args)}")
    unknown = set(params) - set(op.params)
    if unknown:
        raise TypeError(f"{name} has no parameter {sorted(unknown)[0]!r}")
    full = {**op.params, **params}
    parents = tuple(a if isinstance(a, Var) else Var(a) for a in args)
    out = op.forward(*(p.value for p in parents), **full)
    return Var(out, op, parents, full)


def topological_order(outputs: Var | Iterable[Var]) -> list[Var]:
    """Every Var reachable from ``outputs``, each once and after all of its parents."""
    roots = [outputs] if isinstance(outputs, Var) else list(outputs)
    order: list[Var] = []
    state: dict[int, bool] = {}  # id -> finished?
    for root in roots:
        if id(root) in state:
            continue
        stack = [(root, iter(root.parents))]
        state[id(root)] = False
        while stack:
            var, pending = stack[-1]
            for parent in pending:
                if id(parent) not in state:
                    state[id(parent)] = False
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                state[id(var)] = True
                order.append(var)
    return order


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast-shaped cotangent back to the ``shape`` of the input it belongs to."""
    g = np.asarray(g, dtype=np.float64)
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = np.sum(g, axis=stretched, keepdims=True)
    return np.broadcast_to(g, shape)


def backward(output: Var, seed: Any = None, held: Container[str] = ()) -> dict[int, np.ndarray]:
    """Reverse mode: the cotangent of every Var reachable from ``output``, keyed by ``id``.

    ``seed`` is d(loss)/d(output) (ones when omitted). Contributions from every path are
    summed, so a Var used twice gets both. Each gradient is an array of its own, writable
    (during the pass they are often broadcast views, or shared between the inputs of an add).
    The outputs of ops named in ``held`` pass nothing back, as if they were constants (what a
    gradient that leaves out the paths through a batch's mean looks like, for diagnoses).
    """
    seed = np.ones(output.shape) if seed is None else as_array(seed)
    if seed.shape != output.shape:
        raise ValueError(f"seed has shape {seed.shape}, output has shape {output.shape}")
    grads: dict[int, np.ndarray] = {id(output): seed}
    for var in reversed(topological_order(output)):
        g = grads.get(id(var))
        if var.op is None or g is None or var.op.name in held:
            continue
        inputs = [p.value for p in var.parents]
        cotangents = var.op.vjp(g, var.value, *inputs, **var.params)
        for i, (parent, ct) in enumerate(zip(var.parents, cotangents)):
            if ct is None or i in var.op.nondiff:
                continue
            ct = unbroadcast(ct, parent.shape)
            key = id(parent)
            grads[key] = np.asarray(grads[key] + ct) if key in grads else ct
    return {key: np.array(g) for key, g in grads.items()}


def forward_tangents(outputs: Var | Iterable[Var], tangents: Mapping[int, Any]) -> dict[int, np.ndarray]:
    """Forward mode: the tangent of every Var reachable from ``outputs``, keyed by ``id``.

    ``tangents`` maps ``id(leaf)`` to that leaf's tangent; other leaves are constants. Each
    tangent is an array of its own, writable, as in ``backward``.
    """
    result: dict[int, np.ndarray] = {}
    for var in topological_order(outputs):
        if var.op is None:
            t = tangents.get(id(var))
            result[id(var)] = np.zeros(var.shape) if t is None else as_array(t)
            continue
        ts = [None if i in var.op.nondiff else result[id(p)] for i, p in enumerate(var.parents)]
        inputs = [p.value for p in var.parents]
        t = var.op.jvp(ts, var.value, *inputs, **var.params)
        result[id(var)] = np.broadcast_to(np.asarray(t, dtype=np.float64), var.shape)
    return {key: np.array(t) for key, t in result.items()}
