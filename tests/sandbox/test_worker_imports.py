"""No module the worker loads imports anything of the grader's own inside a function.

The worker's import guard (``grader.sandbox.imports.block``) refuses ``grader`` and forgets every
``grader.*`` module already loaded, so such an import, run once student code may run, fails
with "importing grader is not allowed in this assignment" and the student is blamed for the
grader's code. Only module-level imports (done before the guard) are safe.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys

# Functions that import lazily on purpose and never run in the worker, with the reason.
GRADER_SIDE = {
    ("grader", "check"): "students' notebook entry point: grades from the grader's own process",
    ("grader.spec", "load_assignment"): "reads specs in the grader's process; lazy so that the "
                                        "worker and `grade --help` load no YAML or JSON Schema code",
}


def worker_modules() -> list[str]:
    """The grader modules a worker has loaded when its guard goes on (a fresh interpreter)."""
    code = ("import sys, grader.sandbox.worker; "
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'grader')))")
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def lazy_grader_imports(module: str) -> list[tuple[str, int, str]]:
    """(qualified function name, line, imported module) for each import of the grader inside a
    function (or a lambda)."""
    path = importlib.util.find_spec(module).origin
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    found = []

    def visit(node: ast.AST, scope: str, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner, function = scope, in_function
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = f"{scope}.{child.name}" if scope else child.name
                function = in_function or not isinstance(child, ast.ClassDef)
            elif isinstance(child, ast.Lambda):
                inner, function = scope or "<lambda>", True
            if function:
                found.extend((inner, child.lineno, imported) for imported in _grader_imports(child))
            visit(child, inner, function)

    visit(tree, "", False)
    return found


def _grader_imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "grader"]
    if isinstance(node, ast.ImportFrom):
        if node.level > 0 or (node.module or "").split(".")[0] == "grader":
            return ["." * node.level + (node.module or "")]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if called in ("__import__", "import_module") and str(node.args[0].value).split(".")[0] == "grader":
            return [node.args[0].value]
    return []


def test_the_worker_loads_the_modules_it_runs():
    modules = worker_modules()
    for needed in ("grader.sandbox.worker", "grader.sandbox.protocol", "grader.sandbox.imports", "grader.sandbox.capture"):
        assert needed in modules


def test_no_lazy_import_of_the_grader_in_worker_modules():
    lazy = []
    for module in worker_modules():
        for function, line, imported in lazy_grader_imports(module):
            if (module, function) not in GRADER_SIDE:
                lazy.append(f"{module}, line {line}, in {function}: imports {imported}")
    assert not lazy, ("imported inside a function of a module the worker loads (move it to the "
                      "module's top):\n" + "\n".join(lazy))

