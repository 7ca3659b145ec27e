"""Param dicts after a student's forward: the ``state`` check (batch norm's running_mean and
running_var, updated in place, against what the reference leaves there) and, for the
``no_mutation`` check, settings the node must leave alone (``mode``, ``eps``).

The worker sends back what forward left in each param dict (``settings`` in its reply);
the expected state is the reference's own dict after the same call.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from grader.grading.diagnose import compare, fmt
from grader.spec.model import Input, Tolerance


def _left(reply: dict, index: int) -> dict[str, Any]:
    return reply["ok"].get("settings", {}).get(str(index), {})


def _entry(inp: Input, key: str) -> str:
    return f"{inp.name}[{key!r}]"


def judge_state(inputs: list[Input], reply: dict, given: dict[str, Any], expected: dict[str, dict[str, Any]],
                tol: Tolerance, explain: Callable[[str, str, np.ndarray, np.ndarray], str | None] | None = None) -> str | None:
    """None when forward left every state entry as the reference does; else the first one
    wrong. ``given`` are the case's inputs (what the dicts held before forward); ``explain``
    may name the known mistake behind a wrong entry (param, key, got, expected)."""
    for index, inp in enumerate(inputs):
        want = expected.get(inp.name, {})
        got = _left(reply, index)
        for key in inp.state:
            if key not in want:
                continue  # the reference leaves no such entry here (test mode, say)
            what = f"{_entry(inp, key)} after forward"
            if key not in got:
                return f"forward did not store {_entry(inp, key)}: update it in the dict forward was given"
            if isinstance(got[key], dict):
                return f"{what} is a {got[key].get('$object', 'object')}, not an array of numbers"
            want_key = np.asarray(want[key], dtype=np.float64)
            problem = compare(np.asarray(got[key]), want_key, what=what, rtol=tol.rtol, atol=tol.atol)
            before = given[inp.name].get(key)
            if problem and before is not None and np.array_equal(np.asarray(got[key]), before):
                return f"forward left {_entry(inp, key)} as it was; it must update it (expected {fmt(want_key)})"
            if problem and before is not None and np.array_equal(want_key, before):
                return f"forward changed {_entry(inp, key)}, which must stay as it was here (it was {fmt(want_key)})"
            known = problem and explain and explain(inp.name, key, np.asarray(got[key]), want_key)
            if problem:
                return f"{what} is wrong: {known}" if known else problem
    return None


def changed_settings(inputs: list[Input], reply: dict, given: dict[str, Any]) -> str | None:
    """A setting (not state) that forward changed or removed in its param dict, if any."""
    for index, inp in enumerate(inputs):
        if not inp.is_param:
            continue
        got = _left(reply, index)
        for key, before in given[inp.name].items():
            if key in inp.state:
                continue
            if key not in got:
                return f"forward removed {_entry(inp, key)} from the dict it was given; leave the settings as they are"
            after = got[key]
            same = (isinstance(after, np.ndarray) and isinstance(before, np.ndarray) and after.shape == before.shape
                    and bool(np.array_equal(after, before, equal_nan=True))) or \
                (not isinstance(after, (np.ndarray, dict)) and not isinstance(before, np.ndarray) and after == before)
            if not same:
                return (f"forward changed {_entry(inp, key)} from {_show(before)} to {_show(after)}; only its state "
                        f"({', '.join(inp.state) or 'none'}) may change")
    return None


def _show(value: Any) -> str:
    if isinstance(value, dict):  # what the worker sends for an object that is not data
        return f"a {value.get('$object', 'object')}"
    return repr(value) if isinstance(value, (str, bool)) or value is None else fmt(value)
