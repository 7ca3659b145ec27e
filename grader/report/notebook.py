"""The report as HTML, for notebooks: ``grader.check(".")`` displays as one compact table per
node (a row per test, its mark, points and, for a failure, the diagnosis under it), so a
student sees at a glance what passes and reads only what fails.

Marks are a symbol and a word, not colour alone; every text is escaped after being made
``printable`` (it comes from student code).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from grader.report.terminal import failures, footer, points, rows

if TYPE_CHECKING:
    from grader.report.results import Results, TestResult

STYLE = ("<style>.bpg td, .bpg th { text-align: left; padding: 2px 8px; vertical-align: top; }"
         ".bpg .ok { color: #1a7f37; } .bpg .no { color: #b3261e; } .bpg pre { margin: 2px 0; white-space: pre-wrap; }"
         ".bpg .pts { text-align: right; font-variant-numeric: tabular-nums; }</style>")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(results: Results) -> str:
    """The results as an HTML fragment (a notebook cell's output)."""
    results = results.printable()
    parts = [STYLE, '<div class="bpg">',
             f"<p><strong>{_e(results.assignment)}: {points(results.score)} / {points(results.max_score)} "
             "points</strong></p>"]
    if results.output:
        parts.append(f"<pre>{_e(results.output)}</pre>")
    for key, groups in rows(results):
        parts.append(f'<table data-node="{_e(key)}"><tr><th colspan="3">{_e(key)}</th></tr>')
        parts += [_row(group, items) for group, items in groups]
        parts.append("</table>")
    parts.append(f"<p>{footer(results)}</p>")
    parts += [f"<p><em>Note: {_e(note)}</em></p>" for note in results.notes]
    parts.append("</div>")
    return "\n".join(parts)


def _row(group: str, tests: list[TestResult]) -> str:
    ok = all(t.passed for t in tests)
    mark = '<span class="ok">✓ passed</span>' if ok else '<span class="no">✗ failed</span>'
    score, total = sum(t.score for t in tests), sum(t.max_score for t in tests)
    row = (f'<tr data-test="{_e(group)}" data-passed="{str(ok).lower()}"><td>{mark}</td><td>{_e(group)}</td>'
           f'<td class="pts">{points(score)} / {points(total)}</td></tr>')
    failed = [t for t in tests if not t.passed]
    if not failed:
        return row
    lines = [f"{checks}: {output}" if checks else output for checks, output in failures(failed)]
    details = "".join(f"<pre>{_e(line)}</pre>" for line in lines)
    printed = "\n".join(t.printed for t in tests if t.printed)
    if printed:
        details += f"<details><summary>your code printed</summary><pre>{_e(printed)}</pre></details>"
    return row + f'<tr><td></td><td colspan="2">{details}</td></tr>'
