"""The results of grading one submission: one entry per graded check, and the totals.

This is the one model every output is made from: Gradescope's results.json
(``gradescope``), the terminal report (``terminal``) and ``--json``. Each of them passes
every text through ``printable`` (``text``) on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from grader.report.text import printable, printable_json  # noqa: F401 (printable: the results' own rule)

LATER = {"after_due_date": "are shown after the deadline", "after_published": "are shown once grades are published",
         "hidden": "are not shown"}  # when students see tests that are not visible at once


def only_not_run(total: int, passed: int, not_run: int) -> bool:
    """Whether a test lost points only on cases it could not run (see ``TestResult.not_run``)."""
    return 0 < not_run == total - passed


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
    not_run_cases: int = 0         # cases lost only because a call failed or hung elsewhere (said there)
    tags: list[str] = field(default_factory=list)
    printed: str = ""              # what its calls of student code printed (the first KiB)
    detail: dict | None = None     # its first failing case as data ({"case", "rows"}), for tables
    requests: list[int] = field(default_factory=list, repr=False)  # the worker requests it used

    @property
    def passed(self) -> bool:
        return self.total_cases > 0 and self.passed_cases == self.total_cases

    @property
    def not_run(self) -> bool:
        """Failed only on cases it could not run: its cause is another test's failure, shown there."""
        return only_not_run(self.total_cases, self.passed_cases, self.not_run_cases)


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

    def shown_now(self) -> list[TestResult]:
        """The tests students see as soon as the results are back (Gradescope shows the others
        after the deadline, or never)."""
        return [t for t in self.tests if t.visibility == "visible"]

    def headline(self) -> tuple[str, str]:
        """The score over the tests shown now, and what the others are worth (never how they
        did): "scalar-graphs: 80 / 80 points", "the other tests, worth 37 points, are shown
        after the deadline"."""
        from grader.report.terminal import points

        shown = self.shown_now()
        score, top = sum(t.score for t in shown), sum(t.max_score for t in shown)
        head = f"{self.assignment}: {points(score)} / {points(top)} points"
        rest = [t for t in self.tests if t.visibility != "visible"]
        if not rest:
            return head, ""
        kinds = {t.visibility for t in rest}
        when = LATER.get(kinds.pop(), "are not shown yet") if len(kinds) == 1 else "are not shown yet"
        return head, f"the other tests, worth {points(sum(t.max_score for t in rest))} points, {when}"

    def printable(self) -> "Results":
        """A copy in which every text (of the tests too) is ``printable``."""
        def clean(item):
            return replace(item, **{f.name: printable_json(getattr(item, f.name)) for f in fields(item)
                                    if isinstance(getattr(item, f.name), (str, list, dict)) and f.name != "tests"})
        copy = clean(self)
        copy.tests = [clean(t) for t in self.tests]
        return copy

    def __str__(self) -> str:
        from grader.report.terminal import render

        return render(self, color=False)

    def _repr_html_(self) -> str:
        """How a notebook displays the results: a table per node (``notebook``)."""
        from grader.report.notebook import render_html

        return render_html(self)


def score_for(points: float, passed: int, total: int, partial: bool) -> float:
    """Points earned: a fraction of them per passing case when partial credit is allowed."""
    if total == 0:
        return 0.0
    if partial:
        return round(points * passed / total, 6)
    return float(points) if passed == total else 0.0
