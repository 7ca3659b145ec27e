"""The class summary after a batch: how scores are spread, which of each node's checks most
students fail, the most common diagnosis per node (what to re-teach), and, apart from those,
the work that was missing or unfinished."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterator

from grader.report.results import only_not_run
from grader.report.text import printable

BAR = 40


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] if values else 0.0
        return v, v, v
    from statistics import quantiles  # slow to import, and only a class summary needs it
    q = quantiles(values, n=4, method="inclusive")
    return q[0], q[1], q[2]


UNFINISHED = ("was not found", "could not be imported", "is not implemented", "there is no ", "has no function",
              "has no class", "Not graded yet")


def is_unfinished(gist: str) -> bool:
    """Whether a failure says the work is missing or unfinished, not wrong."""
    return any(marker in gist for marker in UNFINISHED)


def _node_of(tags: list[str]) -> str:
    """The node a test's tags name: its node type, or "graph <id>"."""
    return "graph " + tags[1] if tags[0] == "graph" and len(tags) > 1 else tags[0]


def node_checks(result: dict) -> dict[tuple[str, str], bool]:
    """Per (node, check) of one results.json: whether all its tests passed (a graph is
    ("graph <id>", "graph"))."""
    passed: dict[tuple[str, str], bool] = {}
    for t in result.get("tests", []):
        tags = t.get("tags") or []
        if len(tags) < 2:
            continue
        key = (_node_of(tags), "graph" if tags[0] == "graph" else tags[1])
        passed[key] = passed.get(key, True) and t.get("score", 0) >= t.get("max_score", 0)
    return passed


def failures(data: dict[str, dict]) -> Iterator[tuple[str, str, str, bool]]:
    """Every failed test of every submission, by submission name: the submission, the node,
    the diagnosis's gist, and whether it only says the work is missing or unfinished. A test
    that lost points only on cases it could not run (a call failed or hung in another test,
    which says why) is left out: its cause is counted once, where it is shown."""
    for name, result in sorted(data.items()):  # ties in counts made from these break the same way every run
        for t in result.get("tests", []):
            if t.get("tags") and t.get("score", 0) < t.get("max_score", 0) and not _not_run(t):
                gist = diagnosis(t.get("output", ""))
                yield name, _node_of(t["tags"]), gist, is_unfinished(gist)


def _not_run(test: dict) -> bool:
    extra = test.get("extra_data") if isinstance(test.get("extra_data"), dict) else {}
    return only_not_run(extra.get("total_cases", 0), extra.get("passed_cases", 0), extra.get("not_run_cases", 0))


def first_problem(output: str) -> str:
    """A test's first problem as it was said, without the count of failed cases or the case
    (nor, in a Markdown output, its verdict and escapes)."""
    if output.startswith("**"):
        output = re.sub(r"\\([\\`*_<>|])", r"\1", re.sub(r"^\*\*[\w ]+:\*\* ", "", output))
    first = output.splitlines()[0] if output else ""
    if re.match(r"^\d+ of \d+ cases failed\.$", first) and len(output.splitlines()) > 1:
        first = output.splitlines()[1]
    first = re.sub(r"^\d+ of \d+ cases failed:?\s*", "", first)
    return re.sub(r"^(case|example) \d+: ", "", first)


def diagnosis(output: str) -> str:
    """The gist of a test's output: the first problem, without counts, cases or numbers."""
    first = first_problem(output)
    first = re.sub(r"expected .*$", "", first)
    first = re.sub(r"\(at .*\)|\(inputs .*\)", "", first)
    first = re.sub(r"-?\d+\.\d+(e-?\d+)?", "#", first)
    return first.strip(" :;,.") or "failed"


def summarize(assignment: str, rows: list[dict[str, Any]], data: dict[str, dict]) -> str:
    """Markdown for ``summary.md`` (also printed after a batch)."""
    errors = [r["submission"] for r in rows if r.get("status") == "error"]
    graded = [r for r in rows if r.get("status") != "error"]
    scores = [float(r["score"]) for r in graded]
    top = max((float(r["max_score"]) for r in graded), default=0.0)
    lines = [f"# {assignment}: {len(rows)} submissions", ""]
    if errors:
        shown = ", ".join(errors[:10]) + (f" and {len(errors) - 10} more" if len(errors) > 10 else "")
        lines += [f"**{len(errors)} could not be graded** (the grader failed on them, not the students; "
                  f"no score was given): {shown}. Their results.json say why; fix the cause and run the "
                  "batch again: it grades them again.", ""]
    if scores:
        q1, median, q3 = _quartiles(sorted(scores))
        lines += ["| mean | median | quartiles | min | max | out of |", "|---|---|---|---|---|---|",
                  f"| {sum(scores) / len(scores):.1f} | {median:.1f} | {q1:.1f} – {q3:.1f} | "
                  f"{min(scores):g} | {max(scores):g} | {top:g} |", "", "Score distribution:", "", "```"]
        bins = 10
        counts = Counter(min(int(bins * s / top), bins - 1) if top else 0 for s in scores)
        most = max(counts.values())
        for b in range(bins):
            lo, hi = top * b / bins, top * (b + 1) / bins
            bar = "#" * round(BAR * counts.get(b, 0) / most)
            lines.append(f"{lo:6.1f} – {hi:6.1f} | {bar} {counts.get(b, 0) or ''}".rstrip())
        lines += ["```", ""]
    seen: Counter = Counter()
    passed: Counter = Counter()
    diagnoses: dict[str, Counter] = {}
    unfinished: dict[str, set[str]] = {}
    for result in data.values():
        for key, ok in node_checks(result).items():
            seen[key] += 1
            passed[key] += ok
    for name, node, gist, undone in failures(data):
        if undone:
            unfinished.setdefault(node, set()).add(name)
        else:
            diagnoses.setdefault(node, Counter())[gist] += 1
    if seen:
        lines += ["Pass rate per node and check (lowest first):", "", "| node | check | passed |", "|---|---|---|"]
        for node, check in sorted(seen, key=lambda k: (passed[k] / seen[k], k)):
            rate = passed[(node, check)] / seen[(node, check)]
            lines.append(f"| {node} | {check} | {100 * rate:.0f}% ({passed[(node, check)]}/{seen[(node, check)]}) |")
        lines.append("")
    noted = Counter(note.split(".backward")[0] for result in data.values()
                    for note in (result.get("extra_data") or {}).get("notes", []))
    if noted:
        lines += ["Backwards that pass but agree with the reference only to finite-difference precision "
                  "(a numerical derivative or single precision; see each results.json's notes):", "",
                  "| node | submissions |", "|---|---|", *[f"| {n} | {c} |" for n, c in noted.most_common()], ""]
    if diagnoses:
        lines += ["Most common problem per node (what to re-teach):", "", "| node | problem | failing tests |",
                  "|---|---|---|"]
        for node, counter in sorted(diagnoses.items(), key=lambda kv: -sum(kv[1].values())):
            problem, count = counter.most_common(1)[0]
            lines.append(f"| {node} | {problem} | {count} |")
        lines.append("")
    if unfinished:
        lines += ["Missing or unfinished (not a misconception: files or functions not handed in, not "
                  "importable, or not implemented):", "", "| node | submissions |", "|---|---|",
                  *[f"| {node} | {len(names)} |" for node, names in sorted(unfinished.items())], ""]
    return printable("\n".join(lines))  # names and diagnoses come from submissions
