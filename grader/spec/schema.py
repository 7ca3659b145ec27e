"""Checking a spec against the JSON Schema (draft 2020-12), with messages people can act on.

jsonschema finds the errors; this module turns each into one located Problem: an unknown key
is reported at that key's line with the closest known key suggested, a wrong type names what
was expected, and a failed ``oneOf`` is reported through its most relevant branch.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from grader.errors import Problem
from grader.spec.yamlsource import Document

_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
               "integer": "a whole number", "boolean": "true or false", "null": "nothing"}


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The assignment schema shipped with the package."""
    return json.loads(resources.files("grader.spec").joinpath("schema.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


def schema_problems(doc: Document) -> list[Problem]:
    """Every way ``doc.data`` breaks the schema, one located problem each, in file order."""
    if not isinstance(doc.data, dict):
        return [doc.problem((), f"the top level must be a mapping of keys (id, title, files, ...), "
                                f"not {_describe(doc.data)}")]
    problems: list[Problem] = []
    for error in _validator().iter_errors(doc.data):
        problems.extend(_explain(doc, error))
    unique = {(p.line, p.column, p.key, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.column or 0, p.message))


def _explain(doc: Document, error: ValidationError) -> list[Problem]:
    path = tuple(error.absolute_path)
    kind = error.validator
    if kind in ("oneOf", "anyOf") and error.context:
        # errors of the branch meant for this kind of value: not a mere type or enum mismatch
        relevant = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)
                    or e.validator not in ("type", "enum")]
        if relevant:
            return _explain(doc, max(relevant, key=lambda e: len(e.absolute_path)))
        return [doc.problem(path, _one_of_message(error))]
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        return [doc.problem(path + (k,), _unknown_key(k, allowed), key=True) for k in extra]
    if kind == "propertyNames":
        return [doc.problem(path + (error.instance,), f"{error.instance!r} is not a valid name here: "
                            "use letters, digits and underscores, not starting with a digit", key=True)]
    if kind == "dependentRequired":
        present = [k for k, needs in error.validator_value.items() if k in error.instance]
        missing = [n for k in present for n in error.validator_value[k] if n not in error.instance]
        return [doc.problem(path, f"missing required key {missing[0]!r} (it goes with {present[0]!r})")]
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [doc.problem(path, f"missing required key {missing!r}")]
    if kind == "type":
        expected = error.validator_value
        names = [_TYPE_NAMES.get(t, t) for t in (expected if isinstance(expected, list) else [expected])]
        return [doc.problem(path, f"expected {' or '.join(names)}, got {_describe(error.instance)}")]
    if kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return [doc.problem(path, f"{error.instance!r} is not one of: {options}")]
    if kind in ("minimum", "exclusiveMinimum"):
        bound = "at least" if kind == "minimum" else "more than"
        return [doc.problem(path, f"must be {bound} {error.validator_value}, got {error.instance!r}")]
    if kind in ("maximum", "exclusiveMaximum"):
        bound = "at most" if kind == "maximum" else "less than"
        return [doc.problem(path, f"must be {bound} {error.validator_value}, got {error.instance!r}")]
    if kind == "pattern":
        return [doc.problem(path, f"{error.instance!r} is not a valid value here ({_pattern_hint(error)})")]
    if kind in ("minItems", "maxItems", "minProperties", "maxProperties", "minLength"):
        return [doc.problem(path, _size_message(error))]
    if kind == "uniqueItems":
        return [doc.problem(path, "lists the same entry twice")]
    return [doc.problem(path, error.message)]


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed here: {', '.join(allowed)}"
    return f"unknown key {key!r}; {hint}"


def _one_of_message(error: ValidationError) -> str:
    description = error.schema.get("description")
    got = _describe(error.instance)
    if description:
        return f"{got} is not allowed here; expected {description[0].lower()}{description[1:].rstrip('.')}"
    return f"{got} is not allowed here"


def _pattern_hint(error: ValidationError) -> str:
    pattern = error.validator_value
    if pattern.endswith(r"\.py$"):
        return "a Python file name such as nodes.py"
    if "a-z0-9-" in pattern or "a-z0-9_-" in pattern:
        return "lower-case letters, digits, '-' and '_'"
    if pattern == '^[^"\\n]+$':
        return "one line without double quotes"
    return "letters, digits and underscores, not starting with a digit"


def _size_message(error: ValidationError) -> str:
    kind, bound = error.validator, error.validator_value
    if kind == "minItems":
        return f"needs at least {bound} entr{'y' if bound == 1 else 'ies'}"
    if kind == "maxItems":
        return f"takes at most {bound} entries"
    if kind == "minProperties":
        return f"needs at least {bound} key{'s' if bound != 1 else ''}"
    if kind == "maxProperties":
        return "takes exactly one key, e.g. {uniform: [-1, 1]}" if bound == 1 else f"takes at most {bound} keys"
    return "must not be empty"


def _describe(value: Any) -> str:
    """A short, readable description of a YAML value for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
