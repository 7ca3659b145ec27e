"""The public part of the reference module: what students get of the instructor's Python
references when some are not to be shown.

The template ships the module (``references.py``) so that ``grade check`` can compute the
shown nodes' expected values. A node whose Python reference is left out
(``show_reference: false``) must not leave its function there, nor a helper only it calls:
the module students get keeps the functions the shown references call, directly or through
others, and everything that is not a function (the docstring, imports, constants). When a
left-out function, or a helper it calls, is also called by a shown reference, it cannot go
without breaking that one, and keeping it would hide nothing: the template refuses, naming
both. Without any shown Python reference, the module is not shipped at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.errors import GraderError
from grader.spec.model import Assignment
from grader.spec.pyref import PythonReference
from grader.spec.withheld import left_out


def public_references(assignment: Assignment, source: str | None = None) -> str | None:
    """The reference module's text (``source``, read here if not given) as students get it
    (unchanged when no Python reference is left out), or None when no shown node uses it."""
    if assignment.references is None:
        return None
    nodes = [n for n in assignment.nodes.values() if isinstance(n.reference, PythonReference)]
    shown = {n.reference.name: n.name for n in nodes if not left_out(n)}
    hidden = {n.reference.name: n.name for n in nodes if left_out(n)}
    path = assignment.root / assignment.references
    source = path.read_text("utf-8") if source is None else source
    if not hidden:
        return source
    if not shown:
        return None
    functions = {f.name: f for f in ast.parse(source, str(path)).body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    kept = _called(functions, shown)
    for function, node in hidden.items():
        shared = sorted(_called(functions, {function: node}) & kept)
        if shared:
            user = next(shown[f] for f in shown if shared[0] in _called(functions, {f: ""}))
            raise GraderError(f"{Path(assignment.references).name}: {node}'s reference is not to be shown "
                              f"(show_reference: false), but {shared[0]}, which it uses, is also used by the "
                              f"reference of {user}, which is shown: leave that one out too, or show both")
    lines = source.splitlines(keepends=True)
    for name, function in sorted(functions.items(), key=lambda item: -item[1].lineno):
        if name not in kept:
            start = min([function.lineno] + [d.lineno for d in function.decorator_list]) - 1
            end = function.end_lineno
            while end < len(lines) and not lines[end].strip():  # the blank lines after it go too
                end += 1
            del lines[start:end]
    return "".join(lines).rstrip("\n") + "\n"


def _called(functions: dict[str, ast.AST], roots: dict[str, str]) -> set[str]:
    """The module's functions among ``roots`` and those they call, directly or through others."""
    found, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in found or name not in functions:
            continue
        found.add(name)
        todo += [n.id for n in ast.walk(functions[name]) if isinstance(n, ast.Name)]
    return found
