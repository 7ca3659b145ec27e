"""The op registry: every op the reference engine knows, keyed by the name specs use.

An op is one small definition holding its forward function, its vector-Jacobian product
(reverse mode), its Jacobian-vector product (forward mode) and, where its formula switches
(relu, max, hinge's margins), its branches side by side, so adding an op touches one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Branch:
    """Where an op's formula switches, on one case's values: ``mask`` (bool) holds where
    ``where`` says (``"where x > y"``), its complement where ``otherwise`` says (None: that
    side has no name a student would recognise). Entry by entry the mask is the operands
    listed in ``aligned`` (the mask's shape is theirs, or their leading axes': rows), so a
    gradient of one of them can be wrong on one side. ``ties``: which of several equal
    entries wins decides the side (the maximum of a window or an axis). ``hint``: what to
    check when one side is wrong, if the op knows better than "that side"."""

    mask: np.ndarray
    where: str
    otherwise: str | None
    aligned: tuple[int, ...] = (0,)
    ties: bool = False
    hint: str | None = None

    @classmethod
    def compared(cls, names, holds: str, fails: str, mask) -> "Branch":
        """The branch of a comparison of two operands (``holds``: "<", ">"...), both aligned
        with its mask."""
        a, b = names
        return cls(np.asarray(mask, dtype=bool), f"where {a} {holds} {b}", f"where {a} {fails} {b}", (0, 1))


@dataclass(frozen=True)
class Op:
    """One primitive of the engine.

    ``forward(*xs, **params)`` computes the output from numpy arrays. ``vjp(g, out, *xs,
    **params)`` returns one cotangent per argument (``None`` for an argument with no
    derivative); results may be broadcast-shaped, the engine sums them back. ``jvp(ts, out,
    *xs, **params)`` returns the output tangent from one tangent per argument (``None`` for
    arguments listed in ``nondiff``). A ``variadic`` op (concat, stack) takes any number of
    arguments, at least ``arity``; an expression passes them as one tuple, ``concat((a, b))``.
    ``branches(names, *xs, **params)``, for an op whose formula switches, gives its
    ``Branch``es at ``xs``, worded with ``names``, each argument as the student would write it.
    """

    name: str
    arity: int
    forward: Callable[..., Any]
    vjp: Callable[..., tuple]
    jvp: Callable[..., Any]
    params: dict[str, Any] = field(default_factory=dict)
    nondiff: tuple[int, ...] = ()
    doc: str = ""
    variadic: bool = False  # takes ``arity`` or more arguments (concat, stack)
    branches: Callable[..., list[Branch]] | None = None


OPS: dict[str, Op] = {}


def defop(name: str, arity: int, *, params: dict[str, Any] | None = None,
          nondiff: tuple[int, ...] = (), variadic: bool = False):
    """Register the op defined by a class body holding ``forward``, ``vjp`` and ``jvp`` (and
    ``branches``, where its formula switches)."""

    def register(namespace: type) -> type:
        if name in OPS:
            raise ValueError(f"op {name!r} is registered twice")
        OPS[name] = Op(name, arity, namespace.forward, namespace.vjp, namespace.jvp,
                       dict(params or {}), nondiff, (namespace.__doc__ or "").strip(), variadic,
                       getattr(namespace, "branches", None))
        return namespace

    return register


def elementwise(name: str, forward: Callable, derivative: Callable,
                params: dict[str, Any] | None = None, doc: str = "",
                branches: Callable[..., list[Branch]] | None = None) -> None:
    """Register a unary element-wise op from its forward and its local derivative.

    ``derivative(out, x, **params)`` is the diagonal of the Jacobian, so the VJP and the JVP
    are both a product with it; ``branches`` as ``Op`` has it.
    """
    if name in OPS:
        raise ValueError(f"op {name!r} is registered twice")
    OPS[name] = Op(
        name, 1, forward,
        lambda g, out, x, **p: (g * derivative(out, x, **p),),
        lambda ts, out, x, **p: ts[0] * derivative(out, x, **p),
        dict(params or {}), (), doc, branches=branches,
    )


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """Turn an ``axis`` parameter (None, an int or a tuple) into sorted non-negative axes.

    A 0-d array has no axes, but, as in torch, axis 0 or -1 of it is accepted and names
    nothing: reducing a 0-d value over it returns the value (the shapes a spec draws may be
    0-d where the same reference also sees vectors).
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for an array with {ndim} dimensions")
        if ndim:
            out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


def expand_reduced(g: np.ndarray, shape: tuple[int, ...], axis, keepdims: bool) -> np.ndarray:
    """Broadcast a reduction's cotangent ``g`` back to the reduced input's ``shape``."""
    if not keepdims:
        g = np.expand_dims(g, normalize_axes(axis, len(shape)))
    return np.broadcast_to(g, shape)
