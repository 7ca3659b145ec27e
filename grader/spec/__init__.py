"""Assignment specs: ``assignments/<id>/assignment.yaml``, read, validated and modelled.

``load_assignment`` is the one entry point: YAML with positions (``yamlsource``), the JSON
Schema (``schema``), meaning and cross-references (``build``), then a dry run of every
reference (``check``). Any problem raises SpecError with every located message found.
What a spec means lives here too: how students write each node (``convention``), the
random cases it describes (``draw``, and ``randomgraph`` for drawn DAGs), graphs in
dependency order (``order``) and the ground truth on the reference engine (``reference``,
with instructor functions from ``pyref``), and what a public spec that left a reference out
still compares (``withheld``). It imports only ``engine`` and ``errors``.
"""

from __future__ import annotations

from pathlib import Path

from grader.errors import Problem, SpecError
from grader.spec.model import Assignment

SPEC_NAME = "assignment.yaml"


def spec_path(path: str | Path) -> Path:
    """The spec file of an assignment folder (or the file itself, if given one)."""
    path = Path(path)
    if path.is_dir():
        return path / SPEC_NAME
    return path


def load_assignment(path: str | Path, *, dry_run: bool = True) -> tuple[Assignment, list[Problem]]:
    """Read, validate and dry-run the spec at ``path`` (a folder or its assignment.yaml).

    Returns the assignment and its warnings; raises SpecError if there is any error. Grading
    skips the dry run (``dry_run=False``): ``grade validate`` and ``setup.sh`` have done it.
    """
    from grader.spec import cache
    from grader.spec.build import Builder
    from grader.spec.yamlsource import parse_yaml, read_source

    file = spec_path(path)
    if not file.exists():
        where = Path(path)
        if where.is_dir():
            raise SpecError([Problem(f"no {SPEC_NAME} in this folder", str(where))])
        raise SpecError([Problem("does not exist", str(where))])
    raw = read_source(file, str(file))
    doc = parse_yaml(raw, str(file))
    if not cache.known_valid(raw):
        from grader.spec.schema import schema_problems  # jsonschema is slow to import: only when needed
        problems = schema_problems(doc)
        if problems:
            raise SpecError(problems)
        cache.remember_valid(raw)
    builder = Builder(doc, file.resolve())
    assignment = builder.build()
    problems = builder.problems
    if dry_run and not _errors(problems):
        from grader.spec.check import dry_run as run_dry
        problems = problems + run_dry(assignment, doc)
    if _errors(problems):
        raise SpecError(problems)
    return assignment, problems


def _errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
