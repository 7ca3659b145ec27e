"""Forbidden imports: the autodiff libraries and the grader itself, found before running
(a static scan of the source) and blocked while running (an import hook in the worker)."""

from __future__ import annotations

import ast
import importlib.abc
import sys

DEFAULT_FORBIDDEN = ("torch", "jax", "jaxlib", "tensorflow", "autograd", "grader")


def scan(source: str, forbidden: set[str]) -> list[tuple[int, str]]:
    """(line, module) for every import of a forbidden module that the source spells out:
    ``import x``, ``from x import y``, ``__import__("x")``, ``importlib.import_module("x")``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in ("__import__", "import_module"):
                names = [node.args[0].value]
        for name in names:
            if name.split(".")[0] in forbidden:
                found.append((node.lineno, name))
        if isinstance(node, ast.Attribute) and node.attr in ("meta_path", "path_hooks"):
            found.append((node.lineno, f"sys.{node.attr} (changing how imports work)"))
    return found


class Blocker(importlib.abc.MetaPathFinder):
    """Refuses forbidden modules however they are imported (the statement, ``__import__``,
    ``importlib``): every import goes through ``sys.meta_path``."""

    def __init__(self, forbidden: set[str]):
        self.forbidden = forbidden

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.forbidden:
            raise ImportError(f"importing {fullname} is not allowed in this assignment")
        return None


def block(forbidden: set[str]) -> None:
    """Install the blocker first in line, and forget forbidden modules already imported."""
    sys.meta_path.insert(0, Blocker(forbidden))
    for name in list(sys.modules):
        if name.split(".")[0] in forbidden:
            del sys.modules[name]
