"""The results as Markdown, for Gradescope (``output_format: "md"``): per test a one-line
verdict, the diagnosis, a small table of the first failing case, and what the student's code
printed in a fenced block; above the tests, per node what to fix first.

Text from the spec or the diagnoses is escaped for Markdown; what student code printed goes
in a fence longer than any run of backticks in it, so it is shown as it is, never rendered.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import TYPE_CHECKING

from grader.report.summary import first_problem
from grader.report.terminal import check_label

if TYPE_CHECKING:
    from grader.report.results import Results, TestResult

_SPECIAL = re.compile(r"([\\`*_<>|])")  # what would format text (arrays' brackets stay readable)


def escape(text: str) -> str:
    """Text shown as it is by a Markdown renderer."""
    return _SPECIAL.sub(r"\\\1", text)


def fenced(text: str) -> str:
    """A code block that holds ``text`` whatever backticks it contains."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def test_output(t: TestResult) -> str:
    """One test's output."""
    if t.passed:
        head = f"**Passed** ({t.total_cases} case{'s' if t.total_cases != 1 else ''})."
        lines = [head] + ([escape(t.output)] if t.output else [])
    else:
        first, *rest = (t.output or "failed").splitlines()
        verdict = re.match(r"(Not run|Skipped): ", first) if t.not_run else None  # no case of its own failed
        if verdict:
            first = first[verdict.end():]
        lines = _diagnosis([f"**{verdict.group(1) if verdict else 'Failed'}:** {escape(first)}"], rest)
    if t.detail and not t.passed:
        lines += ["", f"The first failing case ({escape(t.detail['case'])}):", "", "| | |", "|---|---|"]
        lines += [f"| {escape(name)} | `{value.replace('`', '')}` |" for name, value in t.detail["rows"]]
    if t.printed:
        lines += ["", "Your code printed:", "", fenced(t.printed)]
    return "\n".join(lines)


def _diagnosis(lines: list[str], rest: list[str]) -> list[str]:
    """A diagnosis's lines as Markdown: each on a line of its own (a hard break), and the
    indented ones (the student's traceback lines) in a code block, shown as they are."""
    for line in rest:
        if line.startswith(" "):
            code = lines.pop() if lines and lines[-1].startswith("```") else None
            frames = (code.split("\n")[1:-1] if code else []) + [line.strip()]
            lines.append(fenced("\n".join(frames)))
            continue
        if lines and not lines[-1].startswith("```"):
            lines[-1] += "  "
        lines.append(escape(line))
    return lines


def summary(results: Results) -> str:
    """The top of the results: the total, then per node whether it passes and, if not, the
    first thing to fix. Students read it before the deadline, so it counts the tests shown
    then (visible ones) and says nothing of how the others did."""
    head, later = results.headline()
    lines = [f"**{escape(head)}**" + (f" ({escape(later)})" if later else "")]
    if results.output:
        lines += ["", escape(results.output)]
    lines.append("")
    for key, tests in groupby(results.shown_now(), key=lambda t: t.node or "graphs"):
        tests = list(tests)
        failing = [t for t in tests if not t.passed]
        if not failing:
            lines.append(f"- ✓ **{escape(key)}**: all {len(tests)} tests pass")
            continue
        first = next((t for t in failing if not t.not_run), failing[0])  # a cause, not what it kept from running
        what = first_problem(first.output or "") or "failed"
        where = check_label(first) if first.check != "graph" else first.group
        lines.append(f"- ✗ **{escape(key)}**: {len(failing)} of {len(tests)} tests fail; fix first "
                     f"*{escape(where)}*: {escape(what)}")
    return "\n".join(lines)
