"""One bug, one message: real submissions whose code raises, hangs or warns, graded, and every
report made of them read as a student (or an instructor) reads it.

``tests/corpus/messages/<assignment>/<case>/`` holds a submission and ``expect.yaml``::

    why: backward raises; the checks that need its gradients say so in one line
    node: Mul                  # grade this node (or graph, or jacobian) only; everything when absent
    timeout: 1                 # the per-call limit in seconds (the spec's when absent)
    score: 2.5                 # the score: how messages are said changes no score
    top: [...]                 # texts the message above all tests holds
    says: {test: [...]}        # texts a test's output holds (the test that shows the error)
    exactly: {test: text}      # a test's whole output (a check that could not run)
    printed: {test: [...]}     # texts what a test's calls printed holds
    terminal: [...]            # lines the terminal report holds
    markdown: {test: text}     # a text the test's Markdown output in results.json holds

``<assignment>`` is a shipped assignment, or a folder of this corpus with its own spec. Every
case also holds to this: no report (the terminal's, results.json in Markdown and in text, the
notebook's HTML) names the worker's temporary folder or Python's own import frames; a test
that lost only cases it could not run shows no traceback and says so in one line; the class
summary counts none of those as a misconception of its own.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from grader.grading.grade import grade_submission
from grader.report.gradescope import to_gradescope, validation_errors
from grader.report.summary import failures
from grader.report.terminal import render

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "messages"
CASES = sorted(p for p in CORPUS.glob("*/*") if (p / "expect.yaml").exists())
FRAME = re.compile(r"\w+\.py, line \d+")  # a traceback line, as the reports show one
LEAKS = ("grader-work-", "<frozen", "importlib", "Traceback (most recent call last)")


def expectation(case: Path) -> dict:
    return yaml.safe_load((case / "expect.yaml").read_text("utf-8"))


def spec_of(case: Path) -> Path:
    own = case.parent / "assignment.yaml"
    return case.parent if own.exists() else ROOT / "assignments" / case.parent.name


def _grade(case: Path):
    want = expectation(case)
    return grade_submission(spec_of(case), case, seed=1, node=want.get("node"), timeout=want.get("timeout"))


@pytest.fixture(scope="module")
def graded():
    """Every case graded once, two at a time, the first time one is asked for."""
    cache: dict[Path, object] = {}

    def grade(case: Path):
        if not cache:
            with ThreadPoolExecutor(max_workers=2) as pool:
                cache.update(zip(CASES, pool.map(_grade, CASES)))
        return cache[case]

    return grade


def reports(results) -> dict[str, str]:
    """Every text a person reads of these results."""
    md, text = to_gradescope(results, "md"), to_gradescope(results, "text")
    return {"terminal": render(results, color=False), "notebook": results._repr_html_(),
            "markdown": "\n".join([md["output"], *(t["output"] for t in md["tests"])]),
            "text": "\n".join([text["output"], *(t["output"] for t in text["tests"])])}


ids = [f"{p.parent.name}/{p.name}" for p in CASES]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_each_case_says_what_it_should(case, graded):
    want, results = expectation(case), graded(case)
    outputs = {t.name: t.output for t in results.tests}
    if "score" in want:
        assert results.score == pytest.approx(want["score"]), "how a failure is said changes no score"
    for text in want.get("top", []):
        assert text in results.output, f"{text!r} not in the top message:\n{results.output}"
    for name, texts in want.get("says", {}).items():
        for text in texts:
            assert text in outputs[name], f"{name}: {text!r} not in\n{outputs[name]}"
    for name, text in want.get("exactly", {}).items():
        assert outputs[name] == text, name
    printed = {t.name: t.printed for t in results.tests}
    for name, texts in want.get("printed", {}).items():
        assert all(text in printed[name] for text in texts), printed[name]
    terminal = render(results, color=False).splitlines()
    for line in want.get("terminal", []):
        assert any(line in shown for shown in terminal), f"{line!r} not in the terminal report"
    md = {t["name"]: t["output"] for t in to_gradescope(results, "md")["tests"]}
    for name, text in want.get("markdown", {}).items():
        assert text in md[name], f"{name}: {text!r} not in\n{md[name]}"


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_no_report_names_the_workers_folder_or_pythons_own_frames(case, graded):
    results = graded(case)
    assert not validation_errors(to_gradescope(results, "md"))
    for where, text in reports(results).items():
        assert not [leak for leak in LEAKS if leak in text], f"the {where} report shows:\n{text}"


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_check_that_could_not_run_says_so_in_one_line(case, graded):
    """A check that lost only cases it could not run shows no traceback: a line per reason,
    and the test that shows the error is named."""
    for t in graded(case).tests:
        if t.not_run:
            assert not FRAME.search(t.output), f"{t.name} repeats a traceback:\n{t.output}"
            assert all(re.search(r"(not run|skipped): ", line, re.I) for line in t.output.splitlines()), t.output
            assert t.score == 0 or t.passed_cases > 0


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_the_class_summary_counts_each_failure_once(case, graded):
    """A "not run" is not a misconception: only the tests that show a failure are counted."""
    results = graded(case)
    counted = list(failures({case.name: to_gradescope(results, "md")}))
    shown = [t for t in results.tests if t.score < t.max_score and not t.not_run]
    assert len(counted) == len(shown)
    assert not [gist for _, _, gist, _ in counted if re.match(r"(not run|skipped)", gist, re.I)]


def test_the_corpus_covers_raising_hanging_warning_and_unimportable_code():
    kinds = " ".join(expectation(c)["why"] for c in CASES)
    for word in ("raises", "loops forever", "RuntimeWarning", "imported", "syntax error", "helper"):
        assert word in kinds, word
    assert {c.parent.name for c in CASES} >= {"scalar-graphs", "forward-mode", "layer-functions", "two-files"}
