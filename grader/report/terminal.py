"""The terminal report: one line per test, the diagnosis under each failure, a total.

Grouped by node, then graphs. Colour only on a terminal and never when NO_COLOR is set; those
colours are its only escapes, as every text of the results is made ``printable`` first.
"""

from __future__ import annotations

import os
from itertools import groupby
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from grader.report.results import Results, TestResult

GREEN, RED, DIM, BOLD, RESET = "\033[32m", "\033[31m", "\033[2m", "\033[1m", "\033[0m"


def use_color(stream: IO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


PRINTED_LINES = 8  # of a failing test's own printed output, in the terminal


def points(x: float) -> str:
    """A score as people read it: at most two decimals (33.33, not 33.3333)."""
    return f"{round(x, 2):g}"


def render(results: Results, *, color: bool) -> str:
    results = results.printable()
    paint = (lambda code, text: f"{code}{text}{RESET}") if color else (lambda code, text: text)
    lines = [paint(BOLD, f"{results.assignment}: {points(results.score)} / {points(results.max_score)} points")]
    if results.output:
        lines += ["", *results.output.splitlines()]
    for key, groups in rows(results):
        lines += ["", paint(BOLD, key)]
        for group, items in groups:
            lines += _group(group, items, paint)
    lines += ["", f"{footer(results)} Total: {points(results.score)} / {points(results.max_score)}"]
    for note in results.notes:
        lines.append(paint(DIM, f"Note: {note}"))
    if results.extra.get("not_available"):
        lines.append(paint(DIM, "Sandbox: " + ", ".join(results.extra.get("protections", []))
                           + "; not available here: " + ", ".join(results.extra["not_available"])))
    return "\n".join(lines)


def rows(results: Results) -> list[tuple[str, list[tuple[str, list[TestResult]]]]]:
    """The report's rows by node (then graphs): a row per test, holding its checks."""
    return [(key, [(group, list(items)) for group, items in groupby(tests, key=lambda t: t.group)])
            for key, tests in groupby(results.tests, key=lambda t: t.node or "graphs")]


def footer(results: Results) -> str:
    """How many of the rows shown passed (a row passes when all its checks do)."""
    shown = [items for _, groups in rows(results) for _, items in groups]
    passed = sum(all(t.passed for t in items) for items in shown)
    return f"{passed} of {len(shown)} test{'s' if len(shown) != 1 else ''} passed."


def _group(name: str, tests: list[TestResult], paint) -> list[str]:
    score = sum(t.score for t in tests)
    total = sum(t.max_score for t in tests)
    ok = all(t.passed for t in tests)
    mark = paint(GREEN, "✓") if ok else paint(RED, "✗")
    label = name if len(name) <= 56 else name[:53] + "..."
    lines = [f"  {mark} {label:<58} {points(score):>6} / {points(total)}"]
    failed = [t for t in tests if not t.passed]
    for checks, output in failures(failed):
        first, *rest = output.splitlines() or ["failed"]
        lines.append("      " + (f"{checks}: " if checks else "") + first)
        lines += ["        " + r for r in rest]
    printed = "\n".join(t.printed for t in tests if t.printed).splitlines() if failed else []
    if printed:  # the student's own prints may explain the failure
        lines.append(paint(DIM, "      your code printed:"))
        lines += [paint(DIM, "        " + r) for r in printed[:PRINTED_LINES]]
        if len(printed) > PRINTED_LINES:
            lines.append(paint(DIM, f"        ... ({len(printed) - PRINTED_LINES} more lines)"))
    return lines


def failures(failed: list[TestResult]) -> list[tuple[str, str]]:
    """The failures of one test's checks, each said once: (the checks that say it, joined,
    or "" when it is what every failing check says; what they say)."""
    said: dict[str, list[str]] = {}
    for t in failed:
        said.setdefault(t.output or "failed", []).append(check_label(t) if t.check != "graph" else "")
    if len(failed) > 1 and len(said) == 1:  # one cause, said once
        return [("", next(iter(said)))]
    return [(", ".join(c for c in checks if c), output) for output, checks in said.items()]


def check_label(t: TestResult) -> str:
    """The check a test's name ends with, in parentheses ("Mul: scalars (backward)" ->
    "backward"; "jacobian: affine maps (exactly len(x) calls of f)" -> "exactly len(x) calls of f")."""
    if not t.name.endswith(")"):
        return t.check or ""
    depth = 0
    for i in range(len(t.name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(t.name[i], 0)
        if depth == 0:
            return t.name[i + 1:-1]
    return t.check or ""
