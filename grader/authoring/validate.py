"""``grade validate``: is this assignment spec usable, and if not, where exactly is it wrong?"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import Problem, SpecError


@dataclass
class Validation:
    """The outcome of validating one spec: a summary line when valid, and every problem."""

    ok: bool
    summary: str
    problems: list[Problem] = field(default_factory=list)


def validate(path: str | Path) -> Validation:
    """Validate the assignment at ``path`` (a folder holding assignment.yaml, or the file)."""
    from grader.spec import load_assignment

    try:
        assignment, warnings = load_assignment(path)
    except SpecError as e:
        errors = [p for p in e.problems if p.severity == "error"]
        noun = "problem" if len(errors) == 1 else "problems"
        return Validation(False, f"{len(errors)} {noun} found; the spec is not valid", e.problems)
    tests = assignment.node_tests
    graded = [n for n in assignment.nodes.values() if not n.provided]
    provided = len(assignment.nodes) - len(graded)
    parts = [f"{len(graded)} node type{'s' if len(graded) != 1 else ''}"
             + (f" (and {provided} provided)" if provided else ""),
             f"{len(tests)} node test{'s' if len(tests) != 1 else ''}",
             f"{len(assignment.graphs)} graph{'s' if len(assignment.graphs) != 1 else ''}",
             *([f"{len(assignment.jacobian.tests)} jacobian test{'s' if len(assignment.jacobian.tests) != 1 else ''}"]
               if assignment.jacobian else []),
             f"{assignment.max_points():g} points"]
    summary = f"{assignment.id} is valid: {', '.join(parts)}"
    return Validation(True, summary, warnings)
