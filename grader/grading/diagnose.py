"""Turning "got" versus "expected" into one short message a student can act on.

``compare`` answers None when an array is right; otherwise it names the first thing wrong,
most specific first: the shape (with a hint when an axis should have been summed over or
the array is transposed), NaN or inf, a constant factor (2, ½, -1, N, 1/N...), a transpose,
errors only where an input is <= 0 (or > 0), a known mistake given as an alternative
("ignores grad_output"), and otherwise where and by how much it is off.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

SMALL = 8  # arrays up to this many elements are shown in full


def fmt(a: np.ndarray | float) -> str:
    """A short rendering of an array or number."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.6g}"
    if a.size <= SMALL:
        return np.array2string(a, precision=4, separator=", ", suppress_small=True).replace("\n", "")
    return f"an array of shape {a.shape}"


def shape_text(shape: tuple) -> str:
    return "()" if not shape else "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def allclose(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    """``np.allclose`` (NaN matches nothing, an infinity only itself) without its overhead:
    it runs thousands of times per grading."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = (np.abs(got - want) <= atol + rtol * np.abs(want)) & np.isfinite(want)
    return bool(close.all() or (close | (got == want)).all())


def compare(got: np.ndarray, want: np.ndarray, *, what: str, rtol: float, atol: float,
            inputs: Mapping[str, np.ndarray] = {}, factors: Mapping[str, float] = {},
            alternatives: Mapping[str, np.ndarray] = {}) -> str | None:
    """None if ``got`` matches ``want``; else a one-line diagnosis naming ``what``.

    ``inputs`` are the case's inputs (for "wrong only where x <= 0"), ``factors`` the case's
    dims by name (for "N times too large"), ``alternatives`` known wrong answers by the
    mistake they reveal.
    """
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return shape_message(got, want, what)
    if got.dtype.kind not in "biuf":
        return f"{what} is not an array of numbers"
    got = got.astype(np.float64)
    bad = ~np.isfinite(got) & np.isfinite(want)
    if bad.any():
        kind = "NaN" if np.isnan(got[bad]).any() else "inf"
        where = f" at index {_index(np.argwhere(bad)[0])}" if got.ndim else ""
        return f"{what} contains {kind}{where}; expected {fmt(want[bad][0]) if got.ndim else fmt(want)}"
    if allclose(got, want, rtol, atol):
        return None
    return (_alternative(got, want, what, rtol, atol, alternatives)
            or _factor(got, want, what, rtol, atol, factors)
            or _transposed(got, want, what, rtol, atol)
            or _sign_region(got, want, what, rtol, atol, inputs)
            or _generic(got, want, what, rtol, atol))


def shape_message(got: np.ndarray, want: np.ndarray, what: str) -> str:
    message = f"{what} has shape {shape_text(got.shape)}, expected {shape_text(want.shape)}"
    g, w = got.shape, want.shape
    if not w and got.size == 1:
        return message + ": return a 0-d array (or a float), e.g. with .sum() or [0]"
    if len(g) > len(w) and g[len(g) - len(w):] == w:
        axes = tuple(range(len(g) - len(w)))
        axis = axes[0] if len(axes) == 1 else axes
        kept = ", without keepdims=True" if all(g[a] == 1 for a in axes) else ""
        return message + f": sum over axis {axis}{kept} (the gradient of a broadcast input adds up over the batch)"
    if len(g) == len(w) and any(a != b and b == 1 for a, b in zip(g, w)) and \
            all(a == b or b == 1 for a, b in zip(g, w)):
        axes = tuple(i for i, (a, b) in enumerate(zip(g, w)) if a != b)
        return message + f": sum over axis {axes[0] if len(axes) == 1 else axes} with keepdims=True"
    if len(g) == 2 and g == w[::-1]:
        return message + ": it looks transposed"
    if got.size == want.size and got.size > 1:
        return message + ": the right number of entries in the wrong shape"
    if not w and got.size > 1:
        return message + ": the result should be a single number (0-d)"
    return message


def _factor(got, want, what, rtol, atol, factors) -> str | None:
    denom = float(np.sum(want * want))
    if denom == 0:
        return None
    scale = float(np.sum(got * want)) / denom
    if not allclose(got, scale * want, max(rtol, 1e-6), atol):
        return None
    candidates = {}
    for name, value in factors.items():  # the case's dims first: "N times" says more than "5 ×"
        if value not in (0, 1, 2, 4):  # a dim of 2 or 4 would be confused with a factor 2 or 4
            candidates[name] = float(value)
            candidates[f"1/{name}"] = 1.0 / value
    for name, value in {"-1": -1.0, "2": 2.0, "½": 0.5, "-2": -2.0, "-½": -0.5, "4": 4.0, "¼": 0.25}.items():
        candidates.setdefault(name, value)
    for name, value in candidates.items():
        if np.isclose(scale, value, rtol=1e-6):
            if value == -1.0:
                return f"{what} has the wrong sign (it is -1 × the right value)"
            if name.startswith("1/"):
                return (f"{what} is {name} of the right value ({name[2:]} = {factors[name[2:]]:g}): "
                        f"check where you divide by {name[2:]}")
            if name in factors:
                return f"{what} is {name} = {value:g} times the right value: did you forget to divide by {name}?"
            return f"{what} is {name} × the right value"
    if abs(scale) > 1e-12 and got.size > 1:
        return f"{what} is off by a constant factor of {scale:.4g}"
    return None


def _transposed(got, want, what, rtol, atol) -> str | None:
    if got.ndim == 2 and got.shape[0] == got.shape[1] and got.shape[0] > 1 and allclose(got.T, want, rtol, atol):
        return f"{what} is the transpose of the right value"
    return None


def _alternative(got, want, what, rtol, atol, alternatives) -> str | None:
    for mistake, value in alternatives.items():
        value = np.asarray(value)
        if value.shape == got.shape and not allclose(value, want, rtol, atol) and allclose(got, value, rtol, atol):
            return f"{what} is wrong: {mistake}"
    return None


def _sign_region(got, want, what, rtol, atol, inputs) -> str | None:
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    for name, x in inputs.items():
        x = np.asarray(x)
        if x.shape != got.shape or x.dtype.kind != "f" or got.ndim == 0:
            continue
        for region, mask in ((f"{name} <= 0", x <= 0), (f"{name} > 0", x > 0)):
            if mask.any() and (~mask).any() and wrong.any() and np.all(mask[wrong]):
                return f"{what} is wrong only where {region}: check that branch"
    return None


def _generic(got, want, what, rtol, atol) -> str:
    if got.size <= SMALL:
        return f"{what} is wrong: expected {fmt(want)}, got {fmt(got)}"
    err = np.abs(got - want) - atol - rtol * np.abs(want)
    worst = np.unravel_index(int(np.argmax(err)), got.shape)
    count = int(np.sum(err > 0))
    return (f"{what} is wrong in {count} of {got.size} entries; the worst at index {_index(worst)}: "
            f"expected {fmt(want[worst])}, got {fmt(got[worst])}")


def _index(index) -> str:
    return "(" + ", ".join(str(int(i)) for i in index) + ")" if len(index) != 1 else f"({int(index[0])},)"
