"""Turning "got" versus "expected" into one short message a student can act on.

``compare`` answers None when an array is right; otherwise it names the first thing wrong,
most specific first: the shape (with a hint when an axis should have been summed over or
the array is transposed, reshaped or still padded), NaN or inf, a constant factor (2, ½, -1,
N, 1/N, N over a mask's count...), a transpose, errors only at tied entries of an input whose
ties a branch of the reference breaks, only on one side of a branch of the reference (see
``regions``: said only from the reference's own branches and on enough evidence, such as
the rows an integer index selects more than once), or everywhere but the last step of an
axis, a known mistake given as an alternative ("ignores grad_output"), nonzero entries that
should be 0, and otherwise where and by how much it is off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

if TYPE_CHECKING:
    from grader.grading.regions import Regions

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
            alternatives: Mapping[str, np.ndarray] = {}, attributes: Mapping[str, object] = {},
            regions: "Regions | Callable[[], Regions] | None" = None) -> str | None:
    """None if ``got`` matches ``want``; else a one-line diagnosis naming ``what``.

    ``inputs`` are the case's inputs (for "wrong only at tied entries", "N over the mask's
    count"), ``factors`` the case's dims by name (for "N times too large"),
    ``attributes`` the node's (for "the factor p is missing"), ``alternatives`` known wrong
    answers by the mistake they reveal, ``regions`` the reference's branches as they concern
    ``got`` (for "wrong only where x <= y"; without them nothing is said about regions), or
    a function that finds them, called only when ``got`` is wrong.
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
    if callable(regions):
        regions = regions()
    tied = {k: v for k, v in inputs.items() if regions is not None and k in regions.tied}
    return (_alternative(got, want, what, rtol, atol, alternatives)
            or _factor(got, want, what, rtol, atol, factors, inputs, attributes)
            or _transposed(got, want, what, rtol, atol)
            or _ties(got, want, what, rtol, atol, tied)
            or _region(got, want, what, rtol, atol, regions)
            or _last_only(got, want, what, rtol, atol)
            or _generic(got, want, what, rtol, atol))


def failing_case(inputs: Mapping[str, np.ndarray], what: str, got, want) -> dict:
    """A failing case as small data for a report's table: the inputs, and the expected and
    given value of ``what`` (whole when small, else its worst entry)."""
    got, want = np.asarray(got), np.asarray(want)
    rows = [[name, fmt(value)] for name, value in inputs.items()]
    if got.shape == want.shape and got.size > SMALL and got.dtype.kind in "biuf":
        with np.errstate(invalid="ignore"):
            gap = np.abs(got.astype(np.float64) - want)
        at = np.unravel_index(int(np.nanargmax(np.where(np.isnan(gap), np.inf, gap))), got.shape)
        rows += [[f"expected {what}{_index(at)}", fmt(want[at])], [f"got {what}{_index(at)}", fmt(got[at])]]
    else:
        rows += [[f"expected {what}", fmt(want)], [f"got {what}", fmt(got) if got.dtype.kind in "biuf" else str(got.dtype)]]
    return {"rows": rows}


def gradients_summary(wrong: list[str], right: list[str]) -> str:
    """The wrong gradients' diagnoses in one line (a known mistake behind them all said once),
    then which gradients are right."""
    shared = {w.partition(" is wrong: ")[2] for w in wrong}
    if len(wrong) > 1 and len(shared) == 1 and shared != {""}:
        text = f"{' and '.join(w.partition(' is wrong: ')[0] for w in wrong)} are wrong: {shared.pop()}"
    else:
        text = "; ".join(wrong)
    if right:
        text += f" ({' and '.join(right)} {'is' if len(right) == 1 else 'are'} right)"
    return text


def shared_state_hint(kind: str, forward: str, node: str) -> tuple[str, str]:
    """Two uses at once in the student's own terms (instances of a class, calls of a function
    pair), and where what backward needs belongs."""
    if kind in ("functions", "static", "loss"):
        return f"two calls of {forward} in flight", "keep what backward needs in the cache, not in module-level variables"
    return f"two {node} instances alive", "keep state on self, not on the class or in globals"


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
        return message + f": the right number of entries in the wrong shape; reshape it to {shape_text(w)}"
    extra = [a - b for a, b in zip(g, w)] if len(g) == len(w) else []
    padded = [i for i, e in enumerate(extra) if e]
    if padded and all(extra[i] > 0 and extra[i] % 2 == 0 for i in padded) and len({extra[i] for i in padded}) == 1:
        axes = padded[0] if len(padded) == 1 else tuple(padded)
        return message + (f": it looks padded, {extra[padded[0]] // 2} too many on each side of axis {axes}; "
                          "strip the padding")
    if not w and got.size > 1:
        return message + ": the result should be a single number (0-d)"
    return message


def _factor(got, want, what, rtol, atol, factors, inputs={}, attributes={}) -> str | None:
    denom = float(np.sum(want * want))
    if denom == 0:
        return None
    scale = float(np.sum(got * want)) / denom
    if not allclose(got, scale * want, max(rtol, 1e-6), atol):
        return None
    dims = {}
    for name, value in factors.items():  # the case's dims first: "N times" says more than "5 ×"
        if value not in (0, 1, 2, 4):  # a dim of 2 or 4 would be confused with a factor 2 or 4
            dims[name] = float(value)
            dims[f"1/{name}"] = 1.0 / value
    numbers = {"-1": -1.0, "2": 2.0, "½": 0.5, "-2": -2.0, "-½": -0.5, "4": 4.0, "¼": 0.25}
    named = _named_factor(scale, what, dims, factors) or _count_factor(scale, what, factors, inputs) \
        or _attribute_factor(scale, what, attributes) or _named_factor(scale, what, numbers, factors)
    if named:
        return named
    if abs(scale) > 1e-12 and got.size > 1:
        return f"{what} is off by a constant factor of {scale:.4g}"
    return None


def _named_factor(scale, what, candidates, factors) -> str | None:
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
    return None


def _attribute_factor(scale, what, attributes) -> str | None:
    """A factor that is one of the node's attributes (Pow's p), missing or applied twice."""
    for name, value in attributes.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value in (0, 1, -1):
            continue
        if np.isclose(scale, 1.0 / value, rtol=1e-6):
            return f"{what} is 1/{name} of the right value ({name} = {value:g}): is the factor {name} missing?"
        if np.isclose(scale, value, rtol=1e-6):
            return f"{what} is {name} = {value:g} times the right value: is the factor {name} there twice?"
    return None


def _count_factor(scale, what, factors, inputs) -> str | None:
    """A masked mean taken over the mask's True entries where a dim was meant (or the other
    way round): the scale is dim / count or count / dim."""
    for name, mask in inputs.items():
        mask = np.asarray(mask)
        count = int(mask.sum()) if mask.dtype == bool else 0
        for dim, value in factors.items() if count > 0 else ():
            if count == value:
                continue
            if np.isclose(scale, value / count, rtol=1e-6):
                return (f"{what} is {dim}/{count} × the right value, with {count} the number of True entries of "
                        f"{name}: divide by {dim} ({value:g}), not by that count")
            if np.isclose(scale, count / value, rtol=1e-6):
                return (f"{what} is {count}/{dim} × the right value, with {count} the number of True entries of "
                        f"{name}: divide by that count, not by {dim} ({value:g})")
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


def _ties(got, want, what, rtol, atol, inputs) -> str | None:
    """Wrong only at entries of an input that tie with others (equal values), each group of
    tied entries having some right: which of the tied entries gets the gradient (max, pooling).
    ``inputs`` are only those whose ties a branch of the reference breaks."""
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    for name, x in inputs.items():
        x = np.asarray(x)
        if x.shape != got.shape or x.dtype.kind != "f" or got.ndim == 0:
            continue
        _, groups, counts = np.unique(x, return_inverse=True, return_counts=True)
        groups = groups.reshape(x.shape)
        tied = counts[groups] > 1
        if not wrong.any() or not np.all(tied[wrong]):
            continue
        if all((~wrong[groups == k]).any() for k in np.unique(groups[wrong])):
            return (f"{what} is wrong only at entries where {name} has ties (equal values): "
                    "check which of the tied entries gets the gradient")
    return None


def _region(got, want, what, rtol, atol, regions: Regions | None) -> str | None:
    """Wrong on exactly one side of a branch of the reference (see ``regions``)."""
    if regions is None or got.ndim == 0:
        return None
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    claim = regions.claim(wrong, zero=bool(np.all(want[wrong] == 0)))
    return f"{what} is wrong only {claim}" if claim else None


def _last_only(got, want, what, rtol, atol) -> str | None:
    """Right only at the last index of an axis and wrong at every other: along a time axis,
    the gradient that flows back from later steps is missing."""
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol)
    for axis in range(1, got.ndim):
        n = got.shape[axis]
        per_index = np.moveaxis(wrong, axis, 0).reshape(n, -1).any(axis=1)
        if n > 1 and not per_index[-1] and per_index[:-1].all():
            return (f"{what} is right only at the last index of axis {axis} and wrong at every earlier one: "
                    f"if axis {axis} is time, the gradient flowing back from later steps is missing")
    return None


def _generic(got, want, what, rtol, atol) -> str:
    if got.size <= SMALL:
        return f"{what} is wrong: expected {fmt(want)}, got {fmt(got)}"
    err = np.abs(got - want) - atol - rtol * np.abs(want)
    worst = np.unravel_index(int(np.argmax(err)), got.shape)
    count = int(np.sum(err > 0))
    zeros = _zero_pattern(got[err > 0], want[err > 0], what, got.size)
    if zeros:
        return zeros
    return (f"{what} is wrong in {count} of {got.size} entries; the worst at index {_index(worst)}: "
            f"expected {fmt(want[worst])}, got {fmt(got[worst])}")


def _zero_pattern(got, want, what, size) -> str | None:
    """Where every wrong entry is 0 instead of nonzero or the reverse (right elsewhere): the
    gradient goes to the wrong entries (a mask of its own, or a whole pooling window)."""
    lost, extra = int(np.sum((got == 0) & (want != 0))), int(np.sum((want == 0) & (got != 0)))
    if lost + extra != got.size:
        return None
    if not lost:
        return (f"{what} is not 0 at {extra} of {size} entries where it should be (the output does not depend "
                "on them there), and right elsewhere")
    if extra:
        return (f"{what} is 0 at {lost} entries where it should not be and nonzero at {extra} where it should be 0 "
                "(right elsewhere): backward keeps other entries than forward did; use the forward's mask")
    return None


def _index(index) -> str:
    return "(" + ", ".join(str(int(i)) for i in index) + ")" if len(index) != 1 else f"({int(index[0])},)"
