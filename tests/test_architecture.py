"""The package's tree is its architecture: each part imports only the parts below it, no
module imports itself back through others, the worker's modules import nothing of the
grader's side, and no module grows past about 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "grader"

# a part may import the parts on lower levels and its own modules
LEVEL = {"errors": 0, "engine": 1, "sandbox": 1, "report": 1, "spec": 2, "grading": 3, "authoring": 3,
         "course": 4, "cli": 5, "__main__": 6, "": 6,
         "grade": 6, "validate": 6, "template": 6}  # the last three: old paths kept for scripts
WORKER = {"worker", "calls", "calltimer", "conventions", "maps", "replies", "studentengine", "capture", "imports", "processes",
          "protocol"}
MAX_LINES = 410


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path) -> set[str]:
    """Every grader module ``path`` imports, at the top or inside a function (not the ones
    imported for type annotations only)."""
    names = set()
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    known = modules()
    return {n for n in names if n in known}


def part(module: str) -> str:
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else ""


def test_each_part_imports_only_the_parts_below_it():
    wrong = []
    for module, path in modules().items():
        for target in imports(path):
            a, b = part(module), part(target)
            if a != b and target != "grader" and LEVEL[b] >= LEVEL[a]:
                wrong.append(f"{module} imports {target} ({a or 'grader'} may not import {b})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles():
    graph = {module: {t for t in imports(path) if t not in ("grader", module)} for module, path in modules().items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_the_workers_modules_import_only_each_other():
    wrong = []
    for name in WORKER:
        for target in imports(PACKAGE / "sandbox" / f"{name}.py"):
            if target.rsplit(".", 1)[-1] not in WORKER and target != "grader.sandbox":
                wrong.append(f"grader.sandbox.{name} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_module_is_over_about_400_lines():
    long = [f"{m}: {len(p.read_text().splitlines())} lines" for m, p in modules().items()
            if len(p.read_text().splitlines()) > MAX_LINES]
    assert not long, long


def test_every_part_says_what_it_owns_and_may_import():
    for folder in [p for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]:
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        assert doc and "import" in doc, f"{folder.name}/__init__.py must say what it owns and may import"


def test_the_api_the_readme_names_still_works():
    import grader
    import grader.grade
    import grader.template
    import grader.validate
    from grader.authoring.template import make_template
    from grader.authoring.validate import validate
    from grader.grading.run import run

    assert grader.grade.run is run and grader.validate.validate is validate
    assert grader.template.make_template is make_template and callable(grader.check)
    readme = (PACKAGE.parent / "README.md").read_text()
    for name in ("grader.check", "grader.grade.run", "grader.validate.validate", "grader.template.make_template"):
        assert name in readme


def test_test_files_have_unique_names():
    """Test folders are not packages: two test files of one name collide when pytest
    collects them."""
    names = [p.name for p in PACKAGE.parent.joinpath("tests").rglob("test_*.py") if "corpus" not in p.parts]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
