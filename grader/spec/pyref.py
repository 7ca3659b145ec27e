"""References written in Python, for what one expression cannot say clearly (an LSTM step,
batch norm in two modes): functions in an instructor module of the assignment folder
(``references.py`` unless the spec names another), differentiated by the reference engine.

A node says ``reference: {python: lstm_step}``. The function is called with an engine Var
for each input and the node's attributes as keywords; it computes with the Vars' operators
(``+ - * / @ **``) and ``ops.<name>(...)`` for the engine's ops (``ops`` and ``np`` are
given to the module), and returns a Var. It is instructor code: it runs in the grader's
process, never in the worker, and ``grade validate`` dry-runs it like an expression.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from grader.engine import OPS, Var, apply

DEFAULT_MODULE = "references.py"


class _Ops:
    """``ops.sigmoid(x)``, ``ops.sum(x, axis=1)``: the engine's ops by name."""

    def __getattr__(self, name: str) -> Callable[..., Var]:
        if name not in OPS:
            raise AttributeError(f"the engine has no op {name!r}")
        return lambda *args, **params: apply(name, *args, **params)


ops = _Ops()


class ReferenceModuleError(Exception):
    """A reference module that cannot be used, with what to tell the instructor."""


@dataclass
class PythonReference:
    """A node's reference as a function of a reference module (the same use as an
    ``Expression``: ``evaluate`` gives an engine Var)."""

    function: Callable[..., Any]
    name: str
    module: str
    names: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return f"{self.name}(...) in {self.module}"

    @property
    def ops(self) -> set[str]:
        return set()  # not an expression: no op to replay another way

    def evaluate(self, env: Mapping[str, Any], replace: Mapping[str, Callable[..., Any]] | None = None) -> Any:
        """A Var, or a tuple of them for a node with several outputs."""
        out = self.function(**{k: v for k, v in env.items()})
        if isinstance(out, tuple):
            return tuple(_var(o) for o in out)
        return _var(out)


def _var(value: Any) -> Var:
    return value if isinstance(value, Var) else Var(np.asarray(value, dtype=np.float64))


_MODULES: dict[tuple[str, float], dict[str, Any]] = {}


def load(folder: Path, file: str | None) -> dict[str, Any]:
    """The reference module's namespace (run once per version of the file)."""
    path = (folder / (file or DEFAULT_MODULE)).resolve()
    try:
        key = (str(path), path.stat().st_mtime)
        source = path.read_text("utf-8")
    except OSError as e:
        raise ReferenceModuleError(f"{path.name}: cannot read the reference module ({e.strerror or e})") from None
    if key not in _MODULES:
        scope: dict[str, Any] = {"__name__": f"references_{abs(hash(key))}", "__file__": str(path), "ops": ops, "np": np}
        try:
            exec(compile(source, str(path), "exec"), scope)  # noqa: S102 - the instructor's own module
        except SyntaxError as e:
            raise ReferenceModuleError(f"{path.name}, line {e.lineno}: {e.msg}") from None
        except Exception as e:
            raise ReferenceModuleError(f"{path.name} could not be run: {type(e).__name__}: {e}") from None
        _MODULES[key] = scope
    return _MODULES[key]


def reference(folder: Path, file: str | None, name: str, inputs: list[str], attributes: list[str]) -> PythonReference:
    """The function ``name`` of the reference module, checked to take the node's inputs and
    attributes as keywords."""
    scope = load(folder, file)
    function = scope.get(name)
    module = file or DEFAULT_MODULE
    if not callable(function):
        raise ReferenceModuleError(f"{module} has no function {name}")
    try:
        inspect.signature(function).bind(**{n: None for n in [*inputs, *attributes]})
    except TypeError as e:
        wanted = ", ".join([*inputs, *attributes])
        raise ReferenceModuleError(f"{name} in {module} must take the node's inputs and attributes ({wanted}): {e}") from None
    except ValueError:
        pass
    return PythonReference(function, name, module, set(inputs) | set(attributes))
