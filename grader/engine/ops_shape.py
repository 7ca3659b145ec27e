"""Ops that select, join or repeat entries: basic indexing, take, concat, stack, broadcast_to.

None of them computes a new number, so each VJP puts the cotangent back where the entries
came from (adding it up where an entry was used more than once) and each JVP moves the
tangent the way the forward moved the values.
"""

import numpy as np

from grader.engine.registry import Branch, defop


def basic_index(index) -> tuple:
    """``index`` as a tuple of ints, slices, None and Ellipsis: numpy's basic indexing, which
    picks every entry at most once. Arrays and lists (fancy indexing) are refused: ``take``
    selects rows at integer indices."""
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if isinstance(item, slice):
            parts = (item.start, item.stop, item.step)
            if all(p is None or _is_int(p) for p in parts):
                continue
        elif item is None or item is Ellipsis or _is_int(item):
            continue
        raise TypeError(f"an index may hold only whole numbers, slices, None and ...; got {item!r} "
                        "(take(x, idx) selects rows at an array of indices)")
    if sum(item is Ellipsis for item in items) > 1:
        raise IndexError("an index can hold only one ...")
    return tuple(items)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


@defop("getitem", 1, params={"index": ()})
class GetItem:
    """x[index], basic indexing only (ints, slices, None, ...); written x[...] in expressions"""
    def forward(x, index=()): return np.array(x[basic_index(index)])
    def vjp(g, out, x, index=()):
        gx = np.zeros(x.shape)
        gx[basic_index(index)] = g  # basic indexing selects each entry once: no sum needed
        return (gx,)
    def jvp(ts, out, x, index=()): return ts[0][basic_index(index)]


def checked_rows(w, idx) -> np.ndarray:
    """``idx`` as integer indices of rows of ``w``, each in [0, len(w)): a negative index
    would wrap, which in a spec is a mistake (torch's embedding refuses it too)."""
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise ValueError(f"take's indices must be integers, got {idx.dtype} indices")
    if np.ndim(w) == 0:
        raise ValueError("take selects rows, and a 0-d array has none")
    bad = idx[(idx < 0) | (idx >= len(w))]
    if bad.size:
        raise ValueError(f"take's index {bad.flat[0]} is outside [0, {len(w)}): the array has {len(w)} rows")
    return idx


@defop("take", 2, nondiff=(1,))
class Take:
    """W[idx]: the rows of W at integer indices of any shape (shape idx.shape + W.shape[1:]);
    a row taken several times gets the sum of their gradients"""
    def forward(w, idx): return w[checked_rows(w, idx)]
    def vjp(g, out, w, idx):
        gw = np.zeros(w.shape)
        np.add.at(gw, checked_rows(w, idx), g)
        return gw, None
    def jvp(ts, out, w, idx): return ts[0][checked_rows(w, idx)]
    def branches(names, w, idx):
        repeated = np.bincount(checked_rows(w, idx).ravel(), minlength=len(w)) > 1
        return [Branch(repeated, f"in the rows that {names[1]} selects more than once", None,
                       hint=f"repeated indices must add up (np.add.at(d{names[0]}, {names[1]}, ...); "
                            f"d{names[0]}[{names[1]}] += ... keeps only one of them)")]


@defop("concat", 1, params={"axis": 0}, variadic=True)
class Concat:
    """(a, b, ...) joined along an existing axis; the other axes must agree"""
    def forward(*xs, axis=0): return np.concatenate(xs, axis=axis)
    def vjp(g, out, *xs, axis=0):
        ends = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return tuple(np.split(g, ends, axis=axis))
    def jvp(ts, out, *xs, axis=0): return np.concatenate(ts, axis=axis)


@defop("stack", 1, params={"axis": 0}, variadic=True)
class Stack:
    """(a, b, ...) of one shape stacked along a new axis"""
    def forward(*xs, axis=0): return np.stack(xs, axis=axis)
    def vjp(g, out, *xs, axis=0): return tuple(np.moveaxis(g, axis, 0))
    def jvp(ts, out, *xs, axis=0): return np.stack(ts, axis=axis)


@defop("broadcast_to", 1, params={"shape": ()})
class BroadcastTo:
    """x repeated to a shape by numpy's broadcasting rules; the gradient sums the copies"""
    def forward(x, shape=()): return np.array(np.broadcast_to(x, shape))
    def vjp(g, out, x, shape=()): return (g,)  # the engine sums it back to x's shape
    def jvp(ts, out, x, shape=()): return np.broadcast_to(ts[0], out.shape)
