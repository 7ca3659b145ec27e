"""What student code did, as reply data: its failures (the kind, a message, only the
student's own traceback lines) and what it returned, checked to be plain numeric arrays.

``FOLDER`` is the worker's folder with the student's files (the worker's ``main`` sets it):
traceback frames from files in it are the student's.
"""

from __future__ import annotations

import resource
import traceback
from pathlib import Path
from typing import Any

import numpy as np

FOLDER = Path.cwd()


class StudentError(Exception):
    """Student code failed or returned something unusable; ``info`` goes into the reply."""

    def __init__(self, info: dict[str, Any]):
        super().__init__(info.get("message", ""))
        self.info = info


def describe_failure(error: BaseException, where: str) -> dict[str, Any]:
    """A reply-ready account of an exception, with only the student's traceback frames."""
    if isinstance(error, StudentError):
        return error.info
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_student(f.filename)]
    lines = [f"{Path(f.filename).name}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames]
    kind = "not_implemented" if isinstance(error, NotImplementedError) else "exception"
    if isinstance(error, SyntaxError) and error.filename and _is_student(error.filename):
        lines = [f"{Path(error.filename).name}, line {error.lineno}: {(error.text or '').strip()}"]
    message = f"{type(error).__name__}: {error}".strip().rstrip(":")
    if len(message) > 500:
        message = message[:497] + "..."
    reply = {"kind": kind, "where": where, "message": message, "frames": lines[-8:]}
    if isinstance(error, MemoryError):
        reply.update(kind="memory", limit_mb=_memory_limit_mb())
    return reply


def _memory_limit_mb() -> int | None:
    """This process's address-space limit (the spec's ``memory_mb``), for a MemoryError's
    message; None when there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft >> 20


def _is_student(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(FOLDER)
    except (OSError, ValueError):
        return False


def to_array(value: Any, what: str = "the result") -> np.ndarray:
    """A student's return value as a plain numeric array, or StudentError saying why not."""
    try:
        array = np.array(value, copy=True, subok=False)
    except BaseException as e:  # odd __array__ implementations
        raise StudentError({"kind": "bad_return", "message": f"{what} is a {type(value).__name__} "
                            f"that numpy cannot turn into an array ({type(e).__name__})"}) from None
    if array.dtype.kind not in "biuf":
        raise StudentError({"kind": "bad_return", "message": f"{what} is a {type(value).__name__}, "
                            "not a numpy array of numbers"})
    if array.dtype.kind == "b":
        array = array.astype(np.float64)
    return array


def as_gradients(result: Any, count: int, what: str) -> list[np.ndarray | None]:
    """backward's result as one entry per input: a tuple or list, or one array when unary."""
    if isinstance(result, (tuple, list)) and (len(result) == count or count != 1):
        entries = list(result)
    elif count == 1:
        entries = [result]
    else:
        returned = "None (did you forget to return the gradients?)" if result is None else f"a {type(result).__name__}"
        raise StudentError({"kind": "bad_return", "message": f"{what} returned {returned}; it must "
                            f"return a tuple of {count} gradients, one per input"})
    if len(entries) != count:
        raise StudentError({"kind": "bad_return", "message": f"{what} returned {len(entries)} "
                            f"gradient{'s' if len(entries) != 1 else ''} for {count} inputs; it must "
                            "return one per forward input"})
    return [None if e is None else to_array(e, f"{what}'s gradient {i + 1}") for i, e in enumerate(entries)]


def outputs(result: Any, names: list[str] | None) -> Any:
    """forward's result as an array, or, for a node with several outputs (``names``), as a
    list of arrays, one per output in order."""
    if not names:
        return to_array(result, "forward's output")
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"{len(result)} values" if isinstance(result, (tuple, list)) else f"a {type(result).__name__}"
        raise StudentError({"kind": "bad_return", "message": f"forward returned {got}; it must return "
                            f"({', '.join(names)})"})
    return [to_array(value, f"forward's output {name}") for value, name in zip(result, names)]
