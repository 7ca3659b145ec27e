"""Param inputs and random nodes in a spec.

A param input is a dict of settings passed to the node as is (``conv_param``, ``bn_param``):
never differentiated, copied for every call, its ``state`` entries updated by the node in
place and compared with the reference's. A random node (dropout) keeps each entry of one
input with a probability held in its param dict and zeroes the rest; the grader reads the
mask off the student's output (see ``grader.grading.randomcheck``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from grader.spec.model import Draw, Input, RandomMask

if TYPE_CHECKING:
    from grader.spec.build import Builder

MASK = "mask"  # the name under which a random node's reference gets the mask
_ARRAY_KEYS = ("shape", "draw", "dtype", "graded")


def param_input(builder: "Builder", name: str, spec: dict[str, Any], path: tuple) -> Input:
    """The Input of a ``param:`` spec, its drawn entries as Inputs of their own."""
    for key in _ARRAY_KEYS:
        if key in spec:
            builder.error(path + (key,), f"{name} is a dict of settings: give its entries under param, not {key}")
    entries = []
    for key, value in (spec.get("param") or {}).items():
        if isinstance(value, dict):
            entry = builder.input(key, value, path + ("param", key))
            if entry.dtype == "int64" and entry.draw.kind != "labels":
                builder.error(path + ("param", key), "an integer entry is drawn with {labels: n} (0 to n - 1)")
            entries.append((key, entry))
        elif value is not None:
            entries.append((key, value))
    state = tuple(spec.get("state", ()))
    for i, key in enumerate(state):
        literal = next((v for k, v in entries if k == key and not isinstance(v, Input)), None)
        if literal is not None:
            builder.error(path + ("state", i), f"the state entry {key!r} is a fixed {type(literal).__name__}; "
                                               "state is an array the node updates (give it a shape)")
    return Input(name, (), "param", Draw("param"), False, tuple(entries), state)


def merged_spec(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A test's override of an input: a param dict's entries merge key by key (null removes
    one); anything else replaces."""
    out = {**base, **override}
    if isinstance(base.get("param"), dict) and isinstance(override.get("param"), dict):
        out["param"] = {**base["param"], **override["param"]}
    return out


def literals(inp: Input) -> dict[str, Any]:
    """A param input's fixed entries."""
    return {k: v for k, v in inp.param or () if not isinstance(v, Input)}


def random_mask(builder: "Builder", name: str, spec: dict[str, Any], inputs: list[Input], path: tuple) -> RandomMask | None:
    """The RandomMask of a node's ``random:`` spec, checked against its inputs."""
    if "random" not in spec:
        return None
    given, path = spec["random"], path + ("random",)
    by_name = {i.name: i for i in inputs}
    params = [i.name for i in inputs if i.is_param]
    mask = by_name.get(given["mask"])
    if mask is None or mask.is_param or mask.dtype != "float64":
        builder.error(path + ("mask",), f"{given['mask']!r} is not a float input of {name} "
                                        f"({', '.join(i.name for i in inputs if i.dtype == 'float64') or 'none'})")
    param = given.get("param") or (params[0] if len(params) == 1 else None)
    if param not in params:
        builder.error(path + ("param",) if "param" in given else path,
                      f"{param!r} is not a param input of {name}" if "param" in given else
                      f"say which param input holds the probability: param: one of {', '.join(params)}" if params else
                      f"a random node takes a param input (a dict with the probability and the seed); {name} has none")
        return None
    keys = by_name[param].keys()
    if ("keep" in given) == ("drop" in given):
        builder.error(path, "give the probability's entry: keep: p (probability of keeping an entry) or drop: q")
    for key in ("keep", "drop", "seed"):
        if key in given and given[key] not in keys:
            builder.error(path + (key,), f"{param} has no entry {given[key]!r} (its entries: {', '.join(sorted(keys))})")
    for key in given.get("when", {}):
        if key not in keys:
            builder.error(path + ("when", key), f"{param} has no entry {key!r} (its entries: {', '.join(sorted(keys))})")
    if given.get("when") and isinstance(spec.get("reference"), str):  # (no reference at all: said in build)
        builder.error(path + ("when",), "a node that is random only sometimes needs a Python reference "
                                        "(reference: {python: name}) that handles both cases")
    if spec.get("outputs"):
        builder.error(path, "a random node has one output")
    for i, test in enumerate(spec.get("tests", [])):
        if any("output" in e or "grads" in e for e in test.get("examples", [])):
            builder.error(path[:-1] + ("tests", i, "examples"), "examples of a random node give inputs only: "
                          "what it should output depends on the mask the student's forward draws")
    if spec.get("range"):
        builder.error(path, "range tests compare outputs the mask makes random: give a random node no range tests")
    return RandomMask(given["mask"], param, given.get("keep"), given.get("drop"), given.get("seed"),
                      tuple(given.get("when", {}).items()))


def random_test(random: RandomMask | None, inputs: list[Input]) -> bool:
    """Whether a test's cases are random (its param dict's fixed entries match ``when``)."""
    if random is None:
        return False
    param = next((i for i in inputs if i.name == random.param), None)
    return param is not None and random.applies(literals(param))


def seeded(random: RandomMask, inputs: list[Input]) -> bool:
    """Whether a test's param dict always has a seed."""
    param = next((i for i in inputs if i.name == random.param), None)
    return random.seed is not None and param is not None and random.seed in {k for k, _ in param.param or ()}


def copy_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A param dict's copy, its arrays copied too (each call gets its own)."""
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in settings.items()}
