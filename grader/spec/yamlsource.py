"""Reading YAML safely, keeping the line and column of every key and value.

Specs are written by people, so errors must point into the file: this loader builds plain
Python data from PyYAML's node tree and records where each value came from. It is bounded
against hostile input: a size limit, a limit on the number of values after aliases are
expanded (a "billion laughs" file fails in milliseconds), and a depth limit. Scalars follow
the YAML 1.2 core schema, so ``1e3`` is a number and ``no`` is a string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.errors import Problem, SpecError

MAX_BYTES = 1 << 20
MAX_VALUES = 100_000
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map",
                                    "timestamp", "merge", "value")}
_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
                  "+.inf": float("inf"), "-.inf": float("-inf"), "-.Inf": float("-inf"),
                  "-.INF": float("-inf"), ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan")}

Path_ = tuple  # a path into the data: keys and list indices


@dataclass
class Document:
    """Plain data read from a YAML file, with the position of every key and value in it."""

    data: Any
    file: str
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column (1-based) of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            table = self.keys if key and path in self.keys else self.values
            if path in table:
                return table[path]
            if not path:
                return None, None
            path = path[:-1]

    def problem(self, path: Path_, message: str, *, key: bool = False,
                column_offset: int = 0, severity: str = "error") -> Problem:
        """A problem located at ``path`` in this document."""
        line, column = self.where(path, key=key)
        if column is not None:
            column += column_offset
        return Problem(message, self.file, line, column, dotted(path) or None, severity)


def dotted(path: Path_) -> str:
    """``('nodes', 'Pow', 'tests', 0)`` -> ``nodes.Pow.tests[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_yaml(path: str | Path, display: str | None = None) -> Document:
    """Read and parse one YAML file; raise SpecError with located problems if it cannot be."""
    name = display or str(path)
    return parse_yaml(read_source(path, name), name)


def read_source(path: str | Path, name: str) -> bytes:
    """A YAML file's bytes (at most one more than parse_yaml accepts, so it can say the file
    is too large); SpecError if it cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise SpecError([Problem("is a folder, not a YAML file", name)]) from None
    except OSError as e:
        raise SpecError([Problem(f"cannot be read: {e.strerror or e}", name)]) from None


def parse_yaml(raw: bytes | str, file: str) -> Document:
    """Parse YAML text (bytes or str) into a Document; raise SpecError if it cannot be."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise SpecError([Problem(f"is larger than {MAX_BYTES // 1024} KiB; an assignment spec "
                                     "is a few KiB of YAML", file)])
        text = _decode(raw, file)
    else:
        text = raw
    if not text.strip():
        raise SpecError([Problem("is empty: expected a mapping with at least id, title and files",
                                 file, 1, 1)])
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SpecError([Problem("contains a NUL byte: this is not a text file", file, line)])
    try:
        _check_depth(text, file)
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(s for s in (e.context, e.problem) if s) or "invalid YAML"
        raise SpecError([Problem(f"is not valid YAML: {what}", file,
                                 mark.line + 1 if mark else None,
                                 mark.column + 1 if mark else None)]) from None
    except (yaml.YAMLError, ValueError) as e:
        raise SpecError([Problem(f"is not valid YAML: {e}", file)]) from None
    except RecursionError:
        raise SpecError([Problem("is nested too deeply to be an assignment spec", file)]) from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise SpecError([Problem("holds no YAML document (only comments?)", file, 1, 1)])
    if len(nodes) > 1:
        m = nodes[1].start_mark
        raise SpecError([Problem("holds more than one YAML document (a second '---'); "
                                 "put the whole spec in one", file, m.line + 1, m.column + 1)])
    builder = _Builder(file)
    data = builder.build(nodes[0], (), 0)
    if builder.problems:
        raise SpecError(builder.problems)
    return Document(data, file, builder.values, builder.keys)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_depth(text: str, file: str) -> None:
    """Refuse deep nesting from the event stream, before the (recursive) composer sees it."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                m = event.start_mark
                raise SpecError([Problem(f"is nested more than {MAX_DEPTH} levels deep",
                                         file, m.line + 1, m.column + 1)])
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise SpecError([Problem(f"is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                                 "is this a binary file?", file, line)]) from None


class _TooBig(Exception):
    pass


class _Builder:
    """Turns a composed node tree into dicts, lists and scalars, recording positions."""

    def __init__(self, file: str):
        self.file = file
        self.count = 0
        self.values: dict[Path_, tuple[int, int]] = {}
        self.keys: dict[Path_, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(message, self.file, node.start_mark.line + 1,
                                     node.start_mark.column + 1))

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        try:
            return self._build(node, path, depth)
        except _TooBig:
            return None

    def _build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            self.fail(node, f"expands to more than {MAX_VALUES} values; an alias (*name) "
                            "repeated many times (a 'billion laughs' file) is refused")
            raise _TooBig
        if depth > MAX_DEPTH:
            self.fail(node, f"is nested more than {MAX_DEPTH} levels deep")
            raise _TooBig
        self.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _ALLOWED_TAGS:
            self.fail(node, f"the YAML tag {node.tag!r} is not allowed in a spec")
            return None
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self._build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._mapping(node, path, depth)

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict:
        out: dict[str, Any] = {}
        explicit: set[str] = set()
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "a key must be a plain name, not a list or mapping")
                continue
            key = str(key_node.value)
            if key in explicit:
                line, _ = self.keys[path + (key,)]
                self.fail(key_node, f"duplicate key {key!r} (first given on line {line})")
                continue
            explicit.add(key)
            self.keys[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self._build(value_node, path + (key,), depth + 1)
        for source in merged:  # '<<: *defaults' fills in keys not given explicitly
            if not isinstance(source, yaml.MappingNode):
                self.fail(source, "'<<' merges only mappings")
                continue
            value = self._mapping(source, path, depth)
            for key, item in value.items():
                out.setdefault(key, item)
        return out


def _scalar(node: yaml.ScalarNode) -> Any:
    """Resolve a scalar by the YAML 1.2 core schema; quoted scalars are always strings."""
    if node.style:  # quoted or block scalar (plain is None or '' depending on the loader)
        return node.value
    return resolve_plain(node.value)


def resolve_plain(text: str) -> Any:
    """What an unquoted scalar means: null, a bool, an int, a float, or else the string."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    return text
