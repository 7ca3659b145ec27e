"""The one exception family of the grader, and the located problems it carries.

Errors are values the command line can print: each ``Problem`` names the file, line, column
and key (a dotted path such as ``nodes.Pow.inputs.x.shape``) it is about.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in an input file."""

    message: str
    file: str | None = None
    line: int | None = None     # 1-based
    column: int | None = None   # 1-based
    key: str | None = None
    severity: str = "error"     # or "warning"

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        parts = [where] if where else []
        if self.severity == "warning":
            parts.append("warning")
        if self.key:
            parts.append(self.key)
        parts.append(self.message)
        return ": ".join(parts)


class GraderError(Exception):
    """Base of every error the grader reports to a person instead of a traceback."""


class SpecError(GraderError):
    """An assignment spec that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class GraderFault(GraderError):
    """The grader itself could not grade: its worker could not start, a path or a package it
    needs is missing. Nothing the student wrote has run, so no score is given: this is
    reported as the grader's failure (exit status 2, an ``error`` row), never as a 0.

    ``cause`` is one line naming what failed; ``details`` what the worker printed, for the
    instructor."""

    def __init__(self, cause: str, details: str = ""):
        super().__init__(cause)
        self.cause = cause
        self.details = details
