"""The results of grading one submission: one entry per graded check, and the totals.

This is the one model every output is made from: Gradescope's results.json
(``gradescope``), the terminal report (``report``) and ``--json``. Each of them passes
every text through ``printable`` on the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

# Terminal escapes as whole sequences (so that "\x1b[2J" leaves nothing, not "[2J"), then any
# control character left: C0 but tab and newline, DEL, and C1 (U+0080 to U+009F).
_CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"  # CSI: colours, cursor moves, clearing
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS...: to their end
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"  # any other escape (ESC c, ESC ( B, ...)
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without terminal escapes or control characters (tab and newline stay).
    Student code writes much of what the results say (what it printed, exception messages,
    traceback lines, file names): none of it may clear a screen or fake a line."""
    return _CONTROL.sub("", text)


def printable_json(value: Any) -> Any:
    """Every string in a JSON-able structure (keys too) made ``printable``."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_json(k): printable_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_json(v) for v in value]
    return value


@dataclass
class TestResult:
    """One graded item: a check of a node test, a range test or a graph test."""

    name: str
    number: str
    max_score: float
    score: float
    visibility: str
    output: str = ""               # the diagnosis (empty when passed)
    node: str | None = None        # the node type, or None for a graph test
    group: str = ""                # the node test's name or the graph's id and title
    check: str | None = None
    passed_cases: int = 0
    total_cases: int = 0
    tags: list[str] = field(default_factory=list)
    printed: str = ""              # what its calls of student code printed (the first KiB)
    requests: list[int] = field(default_factory=list, repr=False)  # the worker requests it used

    @property
    def passed(self) -> bool:
        return self.total_cases > 0 and self.passed_cases == self.total_cases


@dataclass
class Results:
    """Everything a grading run found."""

    assignment: str
    tests: list[TestResult] = field(default_factory=list)
    seed: int = 0
    output: str = ""               # a message above all tests (e.g. a missing file)
    execution_time: float = 0.0
    student_output: str = ""       # what student code printed (instructors only)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # for the instructor: how a grade may have been earned

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and all(t.passed for t in self.tests)

    def __str__(self) -> str:
        from grader.report.terminal import render

        return render(self, color=False)


def score_for(points: float, passed: int, total: int, partial: bool) -> float:
    """Points earned: a fraction of them per passing case when partial credit is allowed."""
    if total == 0:
        return 0.0
    if partial:
        return round(points * passed / total, 6)
    return float(points) if passed == total else 0.0


def printable_results(results: Results) -> Results:
    """A copy of ``results`` in which every text (of the tests too) is ``printable``."""
    def clean(item):
        return replace(item, **{f.name: printable_json(getattr(item, f.name)) for f in fields(item)
                                if isinstance(getattr(item, f.name), (str, list, dict)) and f.name != "tests"})
    copy = clean(results)
    copy.tests = [clean(t) for t in results.tests]
    return copy
