"""The spec's ``jacobian`` section: the student's forward-mode ``jacobian(f, x)`` and its
tests, each on one of the grader's smooth maps (``maps``), checked for what a schema cannot
see: the function's file, the sizes each map needs, and examples that give x and every
parameter of their map at shapes that fit together.

```yaml
jacobian:
  function: jacobian            # the default
  tests:
    - name: the lecture's f
      map: lecture              # f(x1, x2) = sin(x2) + x1·x2
      examples: [{inputs: {x: [2, 5]}, jacobian: [[5, 2.2836621854632263]]}]
    - name: affine maps
      map: affine               # y = A x + b
      dims: {n: [1, 4], m: [1, 4]}
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from grader.spec.maps import MAPS
from grader.spec.model import JACOBIAN_CHECKS, Example, JacobianSpec, JacobianTest

if TYPE_CHECKING:
    from grader.spec.build import Builder


class JacobianBuilder:
    """Builds the jacobian section, reporting problems through the spec's Builder."""

    def __init__(self, builder: "Builder"):
        self.b = builder

    def build(self, spec: dict[str, Any] | None) -> JacobianSpec | None:
        if spec is None:
            return None
        path = ("jacobian",)
        files = self.b.files
        file = spec.get("file")
        if file is None and len(files) == 1:
            file = files[0]
        elif file is None:
            self.b.error(path, f"say which file defines the function: file: one of {', '.join(files)}")
        elif file not in files:
            self.b.error(path + ("file",), f"{file} is not one of the student files ({', '.join(files)})")
        tests = [self.test(t, path + ("tests", i)) for i, t in enumerate(spec["tests"])]
        seen: dict[str, tuple] = {}
        for test in tests:
            if test.name in seen:
                self.b.error(test.path + ("name",), f"two jacobian tests are named {test.name!r}")
            seen[test.name] = test.path
        return JacobianSpec(spec.get("function", "jacobian"), file or "", tests)

    def test(self, spec: dict[str, Any], path: tuple) -> JacobianTest:
        smooth = MAPS[spec["map"]]
        merged = self.b.merged(spec)
        settings = self.b.settings(merged)
        points = {check: merged["points"].get(check, 0) for check in JACOBIAN_CHECKS}
        name = spec.get("name", f"{smooth.name} maps")
        missing = [d for d in smooth.sizes if d not in settings.dims]
        if settings.cases > 0 and missing:
            self.b.error(path, f"the {smooth.name} map needs the size{'s' if len(missing) > 1 else ''} "
                               f"{' and '.join(missing)}: give {'them' if len(missing) > 1 else 'it'} in dims "
                               "(n = len(x), m = len(y), h = hidden units)")
        examples = [self.example(e, smooth, path + ("examples", i)) for i, e in enumerate(spec.get("examples", []))]
        if settings.cases == 0 and not examples:
            self.b.warn(path, "has no cases and no examples: it checks nothing")
        self.b.warn_hidden_points(settings.visibility, sum(points.values()), path)
        return JacobianTest(name, smooth.name, settings, points, examples, path)

    def example(self, spec: dict[str, Any], smooth, path: tuple) -> Example:
        given, wanted = spec["inputs"], ["x", *smooth.params]
        for key in wanted:
            if key not in given:
                self.b.error(path + ("inputs",), f"gives no value for {key!r} (the {smooth.name} map takes "
                                                 f"{', '.join(wanted)})")
        for key in given:
            if key not in wanted:
                self.b.error(path + ("inputs", key), f"{key!r} is not x or a parameter of the {smooth.name} map "
                                                     f"({', '.join(wanted)})", key=True)
        if all(k in given for k in wanted) and all(k in wanted for k in given):
            why = _misfit(smooth, given)
            if why:
                self.b.error(path + ("inputs",), why)
        return Example(dict(given), spec.get("jacobian"), {}, path)  # its output: the expected Jacobian


def _misfit(smooth, given: dict[str, Any]) -> str | None:
    """Why an example's x and parameters do not fit the map's shapes (None when they do)."""
    try:
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in given.items()}
    except (TypeError, ValueError):
        return "x and the parameters must be rectangular lists of numbers"
    if arrays["x"].ndim != 1:
        return f"x must be a list (1-d), got shape {arrays['x'].shape}"
    sizes: dict[str, int] = {"n": arrays["x"].shape[0], **smooth.fixed}
    if sizes["n"] != smooth.fixed.get("n", sizes["n"]):
        return f"x of the {smooth.name} map has {smooth.fixed['n']} entries, got {arrays['x'].shape[0]}"
    for key, dims in smooth.params.items():
        shape = arrays[key].shape
        if len(shape) != len(dims):
            return f"{key} must have {len(dims)} dimension{'s' if len(dims) != 1 else ''} ({', '.join(dims)})"
        for dim, size in zip(dims, shape):
            if sizes.setdefault(dim, size) != size:
                return f"{key} has shape {shape}, which does not fit the others ({dim} = {sizes[dim]})"
    return None
