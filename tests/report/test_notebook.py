"""In a notebook, ``grader.check(".")`` displays as HTML: a table per node, a row per test with
its mark in words (not colour alone), the diagnosis under a failure, everything escaped; its
plain text stays the terminal report."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import grader

ROOT = Path(__file__).resolve().parents[2]


class Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.nodes: list[str] = []
        self.rows: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-node" in attrs:
            self.nodes.append(attrs["data-node"])
        if tag == "tr" and "data-test" in attrs:
            self.rows.append((attrs["data-test"], attrs["data-passed"]))
        assert tag != "script"

    def handle_data(self, data):
        self.text.append(data)


def test_a_student_folder_displays_as_a_table_per_node(tmp_path):
    folder = tmp_path / "hw"
    shutil.copytree(ROOT / "student_template" / "scalar-graphs", folder)
    solution = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
    (folder / "nodes.py").write_text(solution.replace("return x * y", "print('<b>hi</b>')\n        return x * y * 2"))
    results = grader.check(folder)
    page = results._repr_html_()
    tables = Tables()
    tables.feed(page)
    nodes = list(dict.fromkeys(t.node or "graphs" for t in results.tests))
    assert tables.nodes == nodes and "Mul" in nodes
    failing = {name for name, passed in tables.rows if passed == "false"}
    assert failing and all(t.group in failing for t in results.tests if t.node == "Mul" and not t.passed)
    shown = "".join(tables.text)
    assert "✗ failed" in shown and "✓ passed" in shown
    mul_output = next(t.output for t in results.tests if t.node == "Mul" and t.check == "forward" and not t.passed)
    assert mul_output.splitlines()[0][:40] in shown
    assert "<b>hi</b>" not in page and "&lt;b&gt;hi&lt;/b&gt;" in page
    assert str(results).startswith(f"{results.assignment}: ")  # the terminal report, unchanged


def test_scores_show_at_most_two_decimals():
    from grader.report.results import Results, TestResult

    results = Results("hw", [TestResult("Mul: arrays (forward)", "1.1", 1.0, 1 / 3, "visible", "1 of 3 cases failed",
                                        node="Mul", group="arrays", check="forward", passed_cases=1, total_cases=3)])
    assert "0.33 / 1" in str(results) and "0.3333" not in str(results)
    assert "0.33 / 1" in results._repr_html_() and "0.3333" not in results._repr_html_()
