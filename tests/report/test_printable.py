"""No terminal escapes or control characters reach results.json or the terminal: what
student code prints, its exception messages and traceback lines, and the names of its
folders are shown without them (escape sequences go whole: "\\x1b[2J" leaves nothing)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.grading.grade import grade_submission
from grader.report.gradescope import validation_errors, write_failure
from grader.report.terminal import BOLD, DIM, GREEN, RED, RESET, render
from grader.report.text import printable
from grader.report.summary import summarize

ROOT = Path(__file__).resolve().parents[2]
ATTACK = ROOT / "tests" / "corpus" / "attacks" / "scalar-graphs" / "terminal-escapes"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # every control character but tab and newline


@pytest.mark.parametrize("text, shown", [
    ("\x1b[2J\x1b[H  ✓ Exp all cases passed", "  ✓ Exp all cases passed"),
    ("\x1b[1;32mgreen\x1b[0m and \x1b[?25l", "green and "),
    ("title\x1b]0;117 / 117\x07 set", "title set"),
    ("a \x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x1b\\ b", "a link b"),
    ("C1: \x9b2J\x9d0;title\x9c\x85 done", "C1:  done"),
    ("\x1bc\x1b(B\x1b7reset", "reset"),
    ("bell\x07 nul\x00 del\x7f bs\x08 cr\r\n", "bell nul del bs cr\n"),
    ("an unended \x1b]0;title\nnext line", "an unended \nnext line"),
    ("cut short \x1b[", "cut short "),
    ("tabs\tand\nnewlines stay, as do é, 日本 and ✓", "tabs\tand\nnewlines stay, as do é, 日本 and ✓"),
])
def test_printable_removes_whole_escape_sequences_and_control_characters(text, shown):
    assert printable(text) == shown


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.fixture(scope="module")
def submission(tmp_path_factory) -> Path:
    """The attack, in a folder whose name holds escapes too (it is shown in results.json)."""
    folder = tmp_path_factory.mktemp("submission")
    nested = folder / "hw\x1b[2J\x07"
    nested.mkdir()
    shutil.copy(ATTACK / "nodes.py", nested / "nodes.py")
    return folder


def test_results_json_and_the_report_hold_no_control_characters(tmp_path, submission):
    out = tmp_path / "results.json"
    result = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"), str(submission),
                                       "--results", str(out), "--seed", "7", "--format", "text"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text("utf-8"))
    assert not validation_errors(data)
    texts = strings(data)
    assert not [t for t in texts if CONTROL.search(t)]
    assert not CONTROL.search(result.output)
    sigmoid = next(t["output"] for t in data["tests"] if t["name"] == "Sigmoid: scalars (forward)")
    # the texts are kept, only the escapes are gone (whole: nothing like "[2J" is left)
    assert "Sigmoid.forward raised ValueError: ✓ Sigmoid all cases passed\n" in sigmoid
    assert "Your code printed:\n  ✓ Sigmoid all cases passed\nlink done\n" in sigmoid
    leftover = re.compile(r"(?<!\\x1b)\[2J|(?<!\\x1b)\]0;")  # the source line's "\x1b[2J" is text, and stays
    assert not [t for t in texts if leftover.search(t)]
    assert data["extra_data"]["files"]["nodes.py"] == "hw/nodes.py"
    assert "Sigmoid.forward raised ValueError: ✓ Sigmoid all cases passed" in result.output
    assert not leftover.search(result.output)

    as_json = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"), str(submission),
                                        "--results", str(tmp_path / "again.json"), "--seed", "7", "--json"])
    printed = json.loads(as_json.output)  # JSON would escape a control character: look at the strings
    assert not [t for t in strings(printed) if CONTROL.search(t)]
    assert [t["output"] for t in printed["tests"]] == [t["output"] for t in data["tests"]]


def test_the_coloured_report_holds_only_its_own_colours(submission):
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", submission, seed=7, node="Sigmoid")
    assert CONTROL.search(results.tests[0].output + results.tests[0].printed)  # the model keeps what it was given
    report = render(results, color=True)
    for code in (GREEN, RED, DIM, BOLD, RESET):
        report = report.replace(code, "")
    assert not CONTROL.search(report)
    assert not CONTROL.search(str(results))


def test_failures_and_summaries_hold_no_control_characters(tmp_path):
    cause = "the worker printed \x1b[2J\x1b]0;pwned\x07 and \x9b1A"
    data = write_failure(f"could not grade ({cause})", tmp_path / "results.json", "a\x1b[31m", cause)
    assert not [t for t in strings(json.loads((tmp_path / "results.json").read_text("utf-8"))) if CONTROL.search(t)]
    assert data["output"] == "could not grade (the worker printed  and )"
    missing = tmp_path / "no\x1b[2Jwhere"
    result = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"), str(missing),
                                       "--results", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "nowhere is not a folder" in result.output
    assert not CONTROL.search(result.output)
    rows = [{"submission": "x\x1b[2J\x07", "status": "error"}]
    assert not CONTROL.search(summarize("scalar-graphs", rows, {}))
