"""Drawing the input values of a test case from its spec, reproducibly from a seed.

Dims are drawn from their ranges (shared by every input of a case, so ``[N, D]`` and ``[D]``
agree), values from each input's distribution. Cases that land within the margin of a kink
(where a kink expression is 0) are redrawn, so a random case never sits on a point where the
node is not differentiable.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from grader.spec.expr import Expression
from grader.spec.model import Draw, Input, Settings

MAX_TRIES = 200


class DrawError(Exception):
    """The spec's distributions cannot produce a valid case (e.g. kinks everywhere)."""


def resolve_dims(settings: Settings, rng: np.random.Generator) -> dict[str, int]:
    """One size for every dim: fixed ones as given, ranges drawn uniformly (inclusive)."""
    return {name: value if isinstance(value, int) else int(rng.integers(value[0], value[1] + 1))
            for name, value in settings.dims.items()}


def input_shape(inp: Input, settings: Settings, dims: dict[str, int],
                rng: np.random.Generator, chosen: dict[str, tuple]) -> tuple[int, ...]:
    """The concrete shape of ``inp``; a shape variable is drawn once per case (``chosen``)."""
    shape = inp.shape
    if isinstance(shape, str):
        if shape not in chosen:
            options = settings.shapes[shape]
            chosen[shape] = options[int(rng.integers(len(options)))]
        shape = chosen[shape]
    return tuple(d if isinstance(d, int) else dims[d] for d in shape)


def draw_values(draw: Draw, shape: tuple[int, ...], dims: dict[str, int],
                rng: np.random.Generator) -> np.ndarray:
    """Values for one input."""
    if draw.kind == "labels":
        classes = dims[draw.classes] if isinstance(draw.classes, str) else draw.classes
        return rng.integers(0, classes, size=shape).astype(np.int64)
    if draw.kind == "constant":
        return np.full(shape, draw.a)
    if draw.kind == "bernoulli":
        return rng.random(size=shape) < draw.a
    if draw.kind == "normal":
        return rng.normal(draw.a, draw.b, size=shape)
    return rng.uniform(draw.a, draw.b, size=shape)


def draw_input(inp: Input, settings: Settings, dims: dict[str, int], rng: np.random.Generator,
               chosen: dict[str, tuple]) -> Any:
    """One input's value: an array, or a param input's dict (drawn entries of shape [] as
    Python numbers, as a handout's settings are)."""
    if not inp.is_param:
        return draw_values(inp.draw, input_shape(inp, settings, dims, rng, chosen), dims, rng)
    settings_dict = {}
    for key, entry in inp.param:
        value = draw_input(entry, settings, dims, rng, chosen) if isinstance(entry, Input) else entry
        settings_dict[key] = value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
    return settings_dict


def draw_case(inputs: Sequence[Input], settings: Settings, rng: np.random.Generator,
              kinks: Iterable[Expression] = (), attributes: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """One random case: a value per input, at least ``settings.margin`` away from every kink."""
    kinks = list(kinks)
    for _ in range(MAX_TRIES):
        dims = resolve_dims(settings, rng)
        chosen: dict[str, tuple] = {}
        case = {inp.name: draw_input(inp, settings, dims, rng, chosen) for inp in inputs}
        if all(_clear_of(kink, case, attributes or {}, settings.margin) for kink in kinks):
            return case
    raise DrawError(f"no case away from the kinks in {MAX_TRIES} draws: widen the draw ranges "
                    f"or lower the margin ({settings.margin})")


def _clear_of(kink: Expression, case: dict[str, np.ndarray], attributes: dict[str, Any], margin: float) -> bool:
    with np.errstate(all="ignore"):
        value = kink.evaluate({**attributes, **case}).value
    return bool(np.all(np.abs(value) >= margin))


def example_case(inputs: Sequence[Input], settings: Settings, given: dict[str, Any],
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The arrays of a fixed example: lists as given, a number alone filling its input's shape.

    Shapes that a number must fill are drawn as for a random case, with dims that the
    example's own arrays fix taking precedence.
    """
    dims = resolve_dims(settings, rng)
    chosen: dict[str, tuple] = {}
    arrays = {inp.name: _given_settings(inp, given[inp.name]) if inp.is_param else
              np.asarray(given[inp.name], dtype=np.dtype(inp.dtype)) for inp in inputs}
    for inp in inputs:
        if not isinstance(inp.shape, str) and not inp.is_param:
            bind_dims(inp.shape, arrays[inp.name].shape, dims, overwrite=True)
    case = {}
    for inp in inputs:
        value = arrays[inp.name]
        if not inp.is_param and value.ndim == 0 and inp.shape != ():
            value = np.full(input_shape(inp, settings, dims, rng, chosen), value)
        case[inp.name] = value
    return case


def _given_settings(inp: Input, given: dict[str, Any]) -> dict[str, Any]:
    """An example's param dict: lists become arrays (int64 where the entry is drawn as labels)."""
    dtypes = {k: v.dtype for k, v in inp.param if isinstance(v, Input)}
    return {k: np.asarray(v, dtype=np.dtype(dtypes.get(k, "float64"))) if isinstance(v, list) else v
            for k, v in given.items() if v is not None}


def bind_dims(pattern: Sequence[int | str], shape: tuple[int, ...], dims: dict[str, int],
              overwrite: bool = False) -> str | None:
    """Match a concrete ``shape`` against a dims ``pattern``, recording symbolic dims in ``dims``.

    Returns why it does not fit, or None. With ``overwrite`` the shape's sizes replace drawn ones.
    """
    if len(pattern) != len(shape):
        return f"has {len(shape)} dimension(s), the spec's shape {list(pattern)} has {len(pattern)}"
    for want, got in zip(pattern, shape):
        if isinstance(want, int):
            if want != got:
                return f"has shape {shape}, the spec's shape is {list(pattern)}"
        elif overwrite:
            dims[want] = got
        elif dims.setdefault(want, got) != got:
            return f"has {want} = {got}, another input has {want} = {dims[want]}"
    return None
