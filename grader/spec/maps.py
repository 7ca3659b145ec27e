"""The smooth maps a jacobian test hands to the student's ``jacobian(f, x)``, on the reference
engine: the sizes each needs, its parameters' shapes, how a case is drawn, and the expected
Jacobian, column by column from the engine's JVP.

The worker evaluates the same maps with tangents written out by hand in plain numpy
(``grader.sandbox.maps``), so it holds no engine; a test holds the two to agree. The
expected Jacobian is computed here and never sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from grader.engine import Var, apply, evaluate, jvp


@dataclass(frozen=True)
class SmoothMap:
    """One map f: R^n -> R^m of the family: the sizes a test gives (``sizes``) or the map
    fixes (``fixed``), each parameter's shape in those sizes, and f on engine Vars."""

    name: str
    description: str
    sizes: tuple[str, ...]
    params: dict[str, tuple[str, ...]]
    engine: Callable[..., Var]
    fixed: dict[str, int] = field(default_factory=dict)

    def shapes(self, dims: dict[str, int]) -> dict[str, tuple[int, ...]]:
        """The concrete shape of x and of each parameter for these sizes."""
        sizes = {**dims, **self.fixed}
        return {"x": (sizes["n"],), **{k: tuple(sizes[d] for d in shape) for k, shape in self.params.items()}}


def _lecture(x: Var) -> Var:
    return apply("reshape", apply("sin", x[1]) + x[0] * x[1], shape=(1,))


MAPS: dict[str, SmoothMap] = {m.name: m for m in (
    SmoothMap("lecture", "f(x1, x2) = sin(x2) + x1·x2, the lecture's forward-mode example (len(x) = 2, "
              "one output)", (), {}, _lecture, {"n": 2, "m": 1}),
    SmoothMap("affine", "y = A x + b, for a matrix A of shape (len(y), len(x)) and a vector b", ("n", "m"),
              {"A": ("m", "n"), "b": ("m",)}, lambda x, A, b: apply("matmul", A, x) + b),
    SmoothMap("layer", "y = W2 tanh(W1 x + b1), a layer of h tanh units (W1 of shape (h, len(x)), W2 of "
              "shape (len(y), h))", ("n", "m", "h"),
              {"W1": ("h", "n"), "b1": ("h",), "W2": ("m", "h")},
              lambda x, W1, b1, W2: apply("matmul", W2, apply("tanh", apply("matmul", W1, x) + b1))),
)}


def draw(name: str, dims: dict[str, int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A case of map ``name``: x and every parameter drawn from a standard normal."""
    return {k: rng.normal(size=shape) for k, shape in MAPS[name].shapes(dims).items()}


def expected(name: str, inputs: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and the Jacobian dy/dx, shape (m, n): column j is the engine's JVP along e_j."""
    smooth = MAPS[name]
    params = {k: np.asarray(inputs[k], dtype=np.float64) for k in smooth.params}
    x = np.asarray(inputs["x"], dtype=np.float64)
    fun = lambda v: smooth.engine(v, **params)
    y = evaluate(fun, x)
    columns = [jvp(fun, [x], [np.eye(x.size)[j]])[1] for j in range(x.size)]
    return y, np.stack(columns, axis=1) if columns else np.zeros((y.size, 0))
