"""A small JSON Schema validator for the keywords Gradescope's results schema uses: checking
every results.json before it is written should not cost a jsonschema import (a tenth of a
second) on every run. ``tests/report/test_minischema.py`` checks it agrees with jsonschema.

Keywords: type, enum, minimum, required, properties, additionalProperties (bool or schema),
items, anyOf, and $ref to ``#/$defs/...``; any other keyword is refused when first used, so
a schema that outgrows this module fails loudly rather than being half-checked.
"""

from __future__ import annotations

from typing import Any

KNOWN = {"$schema", "$id", "$defs", "$ref", "title", "description", "type", "enum", "minimum",
         "required", "properties", "additionalProperties", "items", "anyOf"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def errors(instance: Any, schema: dict, root: dict | None = None, path: str = "") -> list[str]:
    """Every way ``instance`` breaks ``schema``, as "path: what" lines (empty when valid)."""
    root = root if root is not None else schema
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError(f"minischema does not know {sorted(unknown)}")
    where = path or "(top)"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return errors(instance, root["$defs"][name], root, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(instance, t) for t in types):
            return [f"{where}: {instance!r:.40} is not of type {' or '.join(types)}"]
    found = []
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{where}: {instance!r:.40} is not one of {schema['enum']}")
    if "minimum" in schema and _is(instance, "number") and instance < schema["minimum"]:
        found.append(f"{where}: {instance} is less than the minimum of {schema['minimum']}")
    if "anyOf" in schema and all(errors(instance, s, root, path) for s in schema["anyOf"]):
        found.append(f"{where}: {instance!r:.40} is not valid under any of the given schemas")
    if isinstance(instance, dict):
        found += [f"{where}: {k!r} is a required property" for k in schema.get("required", []) if k not in instance]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            sub = f"{path}/{key}" if path else str(key)
            if key in properties:
                found += errors(value, properties[key], root, sub)
            elif extra is False:
                found.append(f"{where}: additional property {key!r} is not allowed")
            elif isinstance(extra, dict):
                found += errors(value, extra, root, sub)
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            found += errors(item, schema["items"], root, f"{path}/{i}" if path else str(i))
    return found


def _is(instance: Any, kind: str) -> bool:
    if kind == "number":
        return isinstance(instance, (int, float)) and not isinstance(instance, bool)
    if kind == "integer":
        return (isinstance(instance, int) and not isinstance(instance, bool)) or \
            (isinstance(instance, float) and instance.is_integer())
    return isinstance(instance, TYPES[kind])
