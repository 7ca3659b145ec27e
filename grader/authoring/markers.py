"""Solution markers: one source file serves as the solution and, stripped, as the template.

A solution marks what students write::

    def forward(self, x, y):
        # BEGIN SOLUTION Mul.forward: return x * y, keeping x and y for backward
        self.x, self.y = x, y
        return x * y
        # END SOLUTION

Stripping replaces each region by ``raise NotImplementedError("<the hint>")`` at the
marker's indentation (or by nothing, when the marker has no hint). The result must still
be valid Python; anything else is a located error.
"""

from __future__ import annotations

import ast
import re

from grader.errors import GraderError

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION\b[ \t]*(?P<hint>.*?)[ \t]*$")
END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")


class MarkerError(GraderError):
    """Markers that do not pair up, or a template that is not valid Python."""


def strip_solution(source: str, file: str) -> str:
    """The student version of ``source``: every marked region replaced by its stub."""
    out: list[str] = []
    opened: int | None = None
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if opened is not None:
                raise MarkerError(f"{file}:{number}: BEGIN SOLUTION inside the region opened on line {opened}")
            opened = number
            hint = begin["hint"]
            if hint:
                out.append(f"{begin['indent']}raise NotImplementedError({hint!r})\n")
        elif end:
            if opened is None:
                raise MarkerError(f"{file}:{number}: END SOLUTION without a BEGIN SOLUTION")
            opened = None
        elif opened is None:
            out.append(line)
    if opened is not None:
        raise MarkerError(f"{file}:{opened}: BEGIN SOLUTION is never closed by END SOLUTION")
    stripped = "".join(out)
    try:
        ast.parse(stripped, filename=file)
    except SyntaxError as e:
        raise MarkerError(f"{file}: the template is not valid Python once solutions are removed "
                          f"(line {e.lineno}: {e.msg}); give the region a hint so it becomes a raise") from None
    return stripped


def count_regions(source: str) -> int:
    """How many solution regions ``source`` marks."""
    return sum(1 for line in source.splitlines() if BEGIN.match(line))
