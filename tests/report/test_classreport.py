"""The HTML class report: its numbers read back from the file agree with grades.csv and the
results; misconceptions are counted per submission, unfinished work kept apart; whatever a
submission's name or output holds is escaped."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser

import pytest

from grader.report.classreport import class_report
from grader.report.summary import diagnosis


class Reader(HTMLParser):
    """Every element's data-* attributes, and whether any script or external resource appears."""

    def __init__(self):
        super().__init__()
        self.items: list[dict[str, str]] = []
        self.unsafe: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" or any(k.startswith("on") for k in attrs) or "src" in attrs or "href" in attrs:
            self.unsafe.append(tag)
        data = {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}
        if data:
            self.items.append(data)


def read(text: str) -> Reader:
    reader = Reader()
    reader.feed(text)
    return reader


def result_test(name: str, node: str, check: str, score: float, top: float, output: str = "") -> dict:
    return {"name": name, "score": score, "max_score": top, "output": output, "tags": [node, check]}


@pytest.fixture
def batch():
    """Four graded submissions and one error row."""
    wrong = "3 of 3 cases failed: dW is off by a constant factor of 2"
    transposed = "dW has shape (3, 2), expected (2, 3): it looks transposed"
    data = {
        "ann": {"execution_time": 0.5, "tests": [result_test("L (forward)", "Linear", "forward", 1, 1),
                                                   result_test("L (backward)", "Linear", "backward", 2, 2)]},
        "bob": {"execution_time": 0.7, "tests": [result_test("L (forward)", "Linear", "forward", 1, 1),
                                                   result_test("L (backward)", "Linear", "backward", 0, 2, wrong)]},
        "cy<script>": {"execution_time": 0.6, "tests": [result_test("L (forward)", "Linear", "forward", 1, 1),
                                                          result_test("L (backward)", "Linear", "backward", 0, 2, transposed)]},
        "dee": {"execution_time": 0.4, "tests": [result_test("L (forward)", "Linear", "forward", 0, 1,
                                                        "layers.py was not found in your submission"),
                                                   result_test("L (backward)", "Linear", "backward", 0, 2, wrong)]},
        "err": {"output": "grader fault", "extra_data": {"status": "error", "error": "the worker could not start"}},
    }
    rows = [{"submission": n, "status": "graded", "score": sum(t["score"] for t in d["tests"]), "max_score": 3}
            for n, d in data.items() if n != "err"]
    rows.append({"submission": "err", "status": "error", "score": "", "max_score": ""})
    return rows, data


def test_the_numbers_agree_with_the_rows_and_results(batch):
    rows, data = batch
    page = read(class_report("hw", rows, data))
    assert not page.unsafe
    head = next(i for i in page.items if "graded" in i)
    assert (head["graded"], head["errors"]) == ("4", "1")
    bins = [i for i in page.items if "bin" in i]
    assert len(bins) == 10 and sum(int(b["count"]) for b in bins) == 4
    assert int(bins[-1]["count"]) == 1 and int(bins[0]["count"]) == 1  # 3/3 and 0/3
    rates = {(i["node"], i["check"]): (int(i["passed"]), int(i["seen"])) for i in page.items if "check" in i}
    assert rates == {("Linear", "forward"): (3, 4), ("Linear", "backward"): (1, 4)}
    counts = {i["count"] for i in page.items if "node" in i and "check" not in i}
    assert counts == {"2", "1"}  # "off by a factor of 2": bob and dee; transposed: cy
    incomplete = [i for i in page.items if "incomplete" in i]
    assert incomplete == [{"incomplete": "Linear", "count": "1"}]
    assert [i["error"] for i in page.items if "error" in i] == ["err"]
    assert float(next(i for i in page.items if "total" in i)["total"]) == pytest.approx(2.2)


def test_what_submissions_hold_is_escaped(batch):
    rows, data = batch
    text = class_report("hw", rows, data)
    assert "<script>" not in text and "cy&lt;script&gt;" in text


def test_a_real_batch_writes_a_report_that_matches_its_csv(small_batch):
    import csv

    rows = list(csv.DictReader(open(small_batch / "grades.csv")))
    page = read((small_batch / "report.html").read_text())
    bins = {i["bin"]: int(i["count"]) for i in page.items if "bin" in i}
    assert sum(bins.values()) == len(rows) == 2
    results = {r["submission"]: json.loads((small_batch / r["submission"] / "results.json").read_text()) for r in rows}
    failing = Counter(diagnosis(t["output"]) for t in results["wrong"]["tests"]
                      if t["tags"][0] == "Add" and t["score"] < t["max_score"])
    shown = [i for i in page.items if i.get("node") == "Add" and "check" not in i]
    assert shown and all(int(i["count"]) == 1 for i in shown) and len(shown) == min(len(failing), 5)


def test_a_check_that_could_not_run_is_no_misconception_and_counts_do_not_split_one(batch):
    """Markdown outputs (as results.json holds them) of one bug in two submissions: the
    backward check says it, with another count of cases each time; the checks it kept from
    running say "Not run" and are counted nowhere."""
    from grader.report.summary import summarize

    def failed(check: str, output: str, cases: int, not_run: int = 0) -> dict:
        test = result_test(f"L ({check})", "Linear", check, 0, 1, output)
        test["extra_data"] = {"passed_cases": 0, "total_cases": cases, "not_run_cases": not_run}
        return test

    data = {name: {"execution_time": 0.5, "tests": [
        failed("backward", f"**Failed:** {n} of {n} cases failed: Linear.backward raised ValueError: oops\n```text\n"
                           "layers.py, line 9, in backward: raise ValueError(\"oops\")\n```", n),
        failed("numeric", '**Not run:** Linear.backward failed (see "L (backward)")', n, n)]}
        for name, n in (("ann", 3), ("bob", 5))}
    rows = [{"submission": n, "status": "graded", "score": 0, "max_score": 2} for n in data]
    page = read(class_report("hw", rows, data))
    shown = [i for i in page.items if i.get("node") == "Linear" and "check" not in i]
    assert [i["count"] for i in shown] == ["2"]  # one misconception, both submissions
    text = summarize("hw", rows, data)
    assert "| Linear | Linear.backward raised ValueError: oops | 2 |" in text and "Not run" not in text
