"""Student code in each calling convention, behind the one protocol the worker calls: an
object with ``forward(*inputs)`` and ``backward(grad_output)``, whose backward gives one
gradient per input (None for an input that gets none), or, in forward mode (``jvp``), the
student's own instance, with ``forward(*inputs)`` and ``jvp(*input_tangents)``. See
``grader.spec.convention`` for the conventions themselves. A function pair's cache stays in
its adapter, unseen."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from grader.sandbox.replies import StudentError, to_array


def maker(convention: dict, symbols: dict[str, Any], attrs: dict, inputs: list[str],
          floats: list[bool], outputs: list[str] | None = None) -> Callable[[], Any]:
    """A function that makes one node object of this convention (the class is instantiated
    there, under the caller's time limit)."""
    kind, forward, backward = convention["kind"], convention["forward"], convention.get("backward", "")

    def symbol(name: str) -> Any:
        if symbols.get(name) is None:
            what = "class" if kind in ("class", "static", "parameters", "jvp") else "function"
            raise StudentError({"kind": "missing", "message": f"there is no {what} {name}"})
        return symbols[name]

    if kind in ("class", "jvp"):
        return lambda: symbol(forward)(**attrs)
    if kind == "functions":  # a pair whose backward is not written yet still has its forward graded
        return lambda: FunctionPair(symbol(forward), symbols.get(backward) or _absent(backward), (forward, backward),
                                    inputs, floats, outputs)
    if kind == "static":
        return lambda: FunctionPair(symbol(forward).forward, symbol(forward).backward,
                                    (f"{forward}.forward", f"{forward}.backward"), inputs, floats, outputs)
    if kind == "loss":
        return lambda: LossWithGradient(symbol(forward), forward, inputs)
    return lambda: ParameterHolder(symbol(forward)(**attrs), forward, inputs, floats,
                                   {name: grad for name, grad in convention["parameters"]})


def _absent(name: str) -> Callable:
    """Stands in for a backward function the student has not written: calling it says so."""
    def absent(*args: Any) -> Any:
        raise StudentError({"kind": "missing", "message": f"there is no function {name} yet"})
    return absent


def spread(result: Any, inputs: list[str], floats: list[bool], who: str) -> list:
    """Gradients returned for the float inputs only (a bare array when there is one), as one
    entry per input."""
    wanted = [name for name, f in zip(inputs, floats) if f]
    if len(wanted) == 1 and not isinstance(result, (tuple, list)):
        result = (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(wanted):
        got = f"{len(result)} gradients" if isinstance(result, (tuple, list)) else \
            "None" if result is None else f"a {type(result).__name__}"
        names = ", ".join(f"d{n}" for n in wanted)
        raise StudentError({"kind": "bad_return", "message": f"{who} returned {got}; it must return "
                            f"{'(' + names + ')' if len(wanted) > 1 else names}"})
    given = iter(result)
    return [next(given) if f else None for f in floats]


class FunctionPair:
    """``forward(*inputs) -> (out, cache)`` (or ``(out_1, ..., out_k, cache)``) and
    ``backward(dout, cache)`` (one upstream gradient per output, then the cache): functions,
    or a class's static methods."""

    def __init__(self, forward: Callable, backward: Callable, names: tuple[str, str], inputs: list[str],
                 floats: list[bool], outputs: list[str] | None = None):
        self._forward, self._backward, self._names = forward, backward, names
        self._inputs, self._floats, self._outputs = inputs, floats, outputs or ["out"]
        self._cache: Any = None

    def forward(self, *inputs: Any) -> Any:
        result = self._forward(*inputs)
        if not (isinstance(result, tuple) and len(result) == len(self._outputs) + 1):
            what = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
            raise StudentError({"kind": "bad_return", "message": f"{self._names[0]} returned {what}; "
                                f"it must return ({', '.join(self._outputs)}, cache)"})
        *outs, self._cache = result
        return outs[0] if len(outs) == 1 else tuple(outs)

    def backward(self, *grad_outputs: Any) -> list:
        return spread(self._backward(*grad_outputs, self._cache), self._inputs, self._floats, self._names[1])


class LossWithGradient:
    """``loss(*inputs) -> (loss, dx)``: its backward is dx times the upstream gradient."""

    def __init__(self, function: Callable, name: str, inputs: list[str]):
        self._function, self._name, self._inputs = function, name, inputs
        self._dx: np.ndarray | None = None

    def forward(self, *inputs: Any) -> Any:
        result = self._function(*inputs)
        if not (isinstance(result, tuple) and len(result) == 2):
            what = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
            raise StudentError({"kind": "bad_return", "message": f"{self._name} returned {what}; "
                                f"it must return (loss, d{self._inputs[0]})"})
        loss, dx = result
        self._dx = to_array(dx, f"{self._name}'s d{self._inputs[0]}")
        return loss

    def backward(self, grad_output: Any) -> list:
        return [np.asarray(grad_output) * self._dx] + [None] * (len(self._inputs) - 1)


class ParameterHolder:
    """A class that holds its parameters: they are set as attributes before ``forward``,
    ``backward(dout)`` returns the gradients of the other inputs and leaves each parameter's
    in an attribute."""

    def __init__(self, obj: Any, name: str, inputs: list[str], floats: list[bool], parameters: dict[str, str]):
        self._obj, self._name, self._inputs, self._parameters = obj, name, inputs, parameters
        self._floats = floats

    def forward(self, *inputs: Any) -> Any:
        rest = []
        for name, value in zip(self._inputs, inputs):
            if name in self._parameters:
                setattr(self._obj, name, value)
            else:
                rest.append(value)
        return self._obj.forward(*rest)

    def backward(self, *grad_outputs: Any) -> list:
        others = [(n, f) for n, f in zip(self._inputs, self._floats) if n not in self._parameters]
        given = spread(self._obj.backward(*grad_outputs), [n for n, _ in others], [f for _, f in others],
                       f"{self._name}.backward")
        grads = iter(given)
        result = []
        for name in self._inputs:
            if name not in self._parameters:
                result.append(next(grads))
            elif not hasattr(self._obj, self._parameters[name]):
                raise StudentError({"kind": "bad_return", "message": "did not set "
                                    f"self.{self._parameters[name]}, the gradient of {name}"})
            else:
                result.append(getattr(self._obj, self._parameters[name]))
        return result
