"""The class report ``grade batch`` writes beside summary.md: one self-contained HTML file
(inline SVG, no script, no network) with the score histogram, the pass rate of each node's
checks, the misconceptions behind each node's failures (with an example submission each),
grading times, and the submissions the grader could not grade.

Everything that comes from submissions (names, diagnoses) is escaped. Numbers carry
``data-*`` attributes, so tests (and scripts) can read them back.
"""

from __future__ import annotations

import html
import statistics
from collections import Counter, defaultdict
from typing import Any

from grader.report.summary import failures, node_checks

BINS = 10
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #1a1a1a; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font-size: 11px; fill: #1a1a1a; } .bar { fill: #3b6ea8; } .low { fill: #b5542c; }
.muted { color: #555; }
"""


def class_report(assignment: str, rows: list[dict[str, Any]], data: dict[str, dict]) -> str:
    """The HTML report of a batch: ``rows`` as in grades.csv, ``data`` each submission's results.json."""
    graded = [r for r in rows if r.get("status") != "error"]
    errors = [r for r in rows if r.get("status") == "error"]
    parts = [f"<h1>{_e(assignment)}: {len(rows)} submissions</h1>",
             f'<p data-graded="{len(graded)}" data-errors="{len(errors)}">{len(graded)} graded'
             + (f", <strong>{len(errors)} could not be graded</strong> (the grader failed, not the students)"
                if errors else "") + "</p>"]
    if graded:
        parts += _scores(graded)
    results = {name: d for name, d in sorted(data.items()) if name in {r["submission"] for r in graded}}
    parts += _pass_rates(results)
    parts += _misconceptions(results, len(graded))
    parts += _times(results)
    if errors:
        parts += ["<h2>Could not be graded</h2>", "<p>Their results.json say why; fix the cause and run the batch "
                  "again: it grades them again.</p>", "<table><tr><th>submission</th><th>cause</th></tr>"]
        parts += [f'<tr data-error="{_e(r["submission"])}"><td>{_e(r["submission"])}</td>'
                  f"<td>{_e(_cause(data.get(r['submission'], {})))}</td></tr>" for r in errors]
        parts.append("</table>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(assignment)}: class report</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _scores(graded: list[dict]) -> list[str]:
    scores = [float(r["score"]) for r in graded]
    top = max(float(r["max_score"]) for r in graded) or 1.0
    counts = Counter(min(int(BINS * s / top), BINS - 1) for s in scores)
    bars = [(f"{top * b / BINS:.3g}–{top * (b + 1) / BINS:.3g}", counts.get(b, 0)) for b in range(BINS)]
    summary = (f"mean {statistics.fmean(scores):.1f}, median {statistics.median(scores):.1f}, "
               f"min {min(scores):g}, max {max(scores):g}, out of {top:g}")
    return ["<h2>Scores</h2>", f'<p data-mean="{statistics.fmean(scores):.4f}">{summary}</p>',
            _columns(bars, "score histogram: submissions per score range", "bin",
                     edges=[f"{top * b / BINS:.3g}" for b in range(BINS + 1)])]


def _columns(bars: list[tuple[str, int]], title: str, kind: str, edges: list[str] | None = None) -> str:
    """A column chart in SVG, each column labelled with its count (not colour alone), and
    below it its label, or with ``edges`` (a histogram's bin edges) those between the columns,
    which stay short enough not to run into each other."""
    width, height, gap, margin = 48, 120, 6, 16
    most = max((c for _, c in bars), default=0) or 1
    items = []
    for i, (label, count) in enumerate(bars):
        h = round(height * count / most)
        x = margin + i * (width + gap)
        below = "" if edges else f'<text x="{x + width / 2}" y="{height + 28}" text-anchor="middle">{_e(label)}</text>'
        items.append(f'<g data-{kind}="{_e(label)}" data-count="{count}"><rect class="bar" x="{x}" y="{height - h + 14}" '
                     f'width="{width}" height="{h}"/><text x="{x + width / 2}" y="{height - h + 10}" '
                     f'text-anchor="middle">{count}</text>{below}</g>')
    for i, edge in enumerate(edges or []):
        items.append(f'<text x="{margin + i * (width + gap) - gap / 2}" y="{height + 28}" '
                     f'text-anchor="middle">{_e(edge)}</text>')
    return (f'<svg role="img" width="{2 * margin + len(bars) * (width + gap)}" height="{height + 36}">'
            f'<title>{_e(title)}</title>' + "".join(items) + "</svg>")


def _pass_rates(results: dict[str, dict]) -> list[str]:
    seen: Counter = Counter()
    ok: Counter = Counter()
    for result in results.values():
        for key, passed in node_checks(result).items():
            seen[key] += 1
            ok[key] += passed
    if not seen:
        return []
    rows = []
    for node, check in sorted(seen, key=lambda k: (k[0].startswith("graph "), k[0], k[1])):
        rate = ok[(node, check)] / seen[(node, check)]
        width = round(200 * rate)
        rows.append(f'<tr data-node="{_e(node)}" data-check="{_e(check)}" data-passed="{ok[(node, check)]}" '
                    f'data-seen="{seen[(node, check)]}"><td>{_e(node)}</td><td>{_e(check)}</td>'
                    f'<td><svg width="204" height="12" role="img"><title>{rate:.0%}</title>'
                    f'<rect class="{"bar" if rate >= 0.5 else "low"}" x="0" y="1" width="{width}" height="10"/></svg></td>'
                    f'<td class="n">{rate:.0%} ({ok[(node, check)]}/{seen[(node, check)]})</td></tr>')
    return ["<h2>Pass rate per node and check</h2>",
            "<table><tr><th>node</th><th>check</th><th></th><th>passed</th></tr>", *rows, "</table>"]


def _misconceptions(results: dict[str, dict], graded: int) -> list[str]:
    """Per node, the diagnoses its failures come from: each submission counted once per
    diagnosis, with the first submission (by name) as an example. Missing, unimportable
    and unimplemented code is kept apart: it is not a misconception."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    incomplete: dict[str, set[str]] = defaultdict(set)
    for name, node, gist, undone in failures(results):
        if undone:
            incomplete[node].add(name)
        elif name not in found[node][gist]:
            found[node][gist].append(name)
    parts = ["<h2>Misconceptions per node</h2>"]
    if not found and not incomplete:
        return parts + ["<p>No test failed.</p>"]
    for node in sorted(found, key=lambda n: -len({s for names in found[n].values() for s in names})):
        parts.append(f"<h3>{_e(node)}</h3><table><tr><th>share of the class</th><th>problem</th><th>example</th></tr>")
        for gist, names in sorted(found[node].items(), key=lambda kv: (-len(kv[1]), kv[0]))[:5]:
            parts.append(f'<tr data-node="{_e(node)}" data-count="{len(names)}"><td class="n">'
                         f'{len(names) / max(graded, 1):.0%} ({len(names)})</td><td>{_e(gist)}</td>'
                         f"<td>{_e(names[0])}</td></tr>")
        parts.append("</table>")
    if incomplete:
        parts.append("<h3>Missing or unfinished (not misconceptions)</h3>"
                     "<table><tr><th>node</th><th>submissions</th></tr>")
        parts += [f'<tr data-incomplete="{_e(node)}" data-count="{len(names)}"><td>{_e(node)}</td>'
                  f'<td class="n">{len(names)}</td></tr>' for node, names in sorted(incomplete.items())]
        parts.append("</table>")
    return parts


def _times(results: dict[str, dict]) -> list[str]:
    times = {name: float(r.get("execution_time", 0.0)) for name, r in results.items()}
    if not times:
        return []
    slowest = sorted(times.items(), key=lambda kv: -kv[1])[:10]
    rows = [f'<tr data-time="{_e(name)}"><td>{_e(name)}</td><td class="n">{t:.2f} s</td></tr>' for name, t in slowest]
    return ["<h2>Grading time</h2>",
            f'<p class="muted" data-total="{sum(times.values()):.3f}">{len(times)} submissions, '
            f"median {statistics.median(times.values()):.2f} s, total {sum(times.values()):.1f} s. The slowest:</p>",
            "<table><tr><th>submission</th><th>time</th></tr>", *rows, "</table>"]


def _cause(result: dict) -> str:
    extra = result.get("extra_data") or {}
    return str(extra.get("error") or result.get("output") or "no results.json")
