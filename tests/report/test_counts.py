"""Reports count what they show: the footer of the terminal report and of the notebook counts
the rows shown (one per test, with ``--node`` too), and results.json's top message, which
students read before the deadline, counts the tests visible then and says what the others
are worth, never how they did."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

import grader
from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
BUGGY = SOLUTION.replace("return x * y", "return x * y * 2")  # Mul's forward is twice the right value


def student_folder(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "hw"
    shutil.copytree(ROOT / "student_template" / "scalar-graphs", folder)
    (folder / "nodes.py").write_text(source)
    return folder


def footer(report: str) -> tuple[int, int]:
    passed, shown = re.search(r"^(\d+) of (\d+) tests? passed\.", report, re.M).groups()
    return int(passed), int(shown)


def rows(report: str) -> tuple[int, int]:
    marks = re.findall(r"^  ([✓✗]) ", report, re.M)
    return marks.count("✓"), len(marks)


def test_grade_check_of_one_node_counts_the_rows_it_shows(tmp_path):
    folder = student_folder(tmp_path, BUGGY)
    result = CliRunner().invoke(main, ["check", str(folder), "--node", "Mul"])
    assert result.exit_code == 1, result.output
    assert rows(result.output) == (0, 2)  # Mul's two visible tests, both failing
    assert footer(result.output) == rows(result.output)


def test_the_whole_report_counts_its_rows_and_so_does_the_notebook(tmp_path):
    results = grader.check(student_folder(tmp_path, BUGGY))
    report = str(results)
    assert footer(report) == rows(report) and rows(report)[1] > 20
    html = results._repr_html_()
    shown = re.findall(r'data-passed="(true|false)"', html)
    assert f"<p>{shown.count('true')} of {len(shown)} tests passed.</p>" in html


def test_the_top_of_results_json_counts_only_what_students_see_before_the_deadline(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "nodes.py").write_text(BUGGY)
    out = tmp_path / "results.json"
    for output_format in ("md", "text"):
        result = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"), str(folder),
                                           "--results", str(out), "--seed", "3", "--format", output_format])
        assert result.exit_code == 0, result.output
        data = json.loads(out.read_text())
        visible = [t for t in data["tests"] if t["visibility"] == "visible"]
        later = [t for t in data["tests"] if t["visibility"] != "visible"]
        assert later and all(t["visibility"] == "after_due_date" for t in later)
        score, top = (sum(t[k] for t in visible) for k in ("score", "max_score"))
        worth = sum(t["max_score"] for t in later)
        head = f"scalar-graphs: {score:g} / {top:g} points"
        assert head in data["output"] and f"{data['score']:g} / " not in data["output"].replace(head, "")
        assert f"the other tests, worth {worth:g} points, are shown after the deadline" in data["output"]
    mul = [t for t in visible if t["name"].startswith("Mul:")]
    failing = [t for t in mul if t["status"] == "failed"]
    md = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"), str(folder),
                                   "--results", str(out), "--seed", "3"])
    assert md.exit_code == 0
    summary = json.loads(out.read_text())["output"]
    assert f"**Mul**: {len(failing)} of {len(mul)} tests fail" in summary
