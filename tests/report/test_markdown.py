"""results.json in Markdown (Gradescope renders ``output_format: "md"``): a buggy submission's
test shows its diagnosis and a small table of the failing case, what the student printed is
fenced and never rendered, the top names what to fix first per node, and the file stays
schema-valid; ``--format text`` keeps plain text."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from grader.cli import main
from grader.report.gradescope import validation_errors
from grader.report.markdown import escape, fenced

ROOT = Path(__file__).resolve().parents[2]


def grade(tmp_path: Path, source: str, *extra: str) -> dict:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nodes.py").write_text(source)
    out = tmp_path / "results.json"
    result = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"), str(tmp_path / "sub"),
                                       "--results", str(out), "--seed", "3", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


SOLUTION = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())


def test_a_buggy_test_shows_its_diagnosis_and_a_table_of_the_failing_case(tmp_path):
    buggy = SOLUTION.replace("return x * y", "print('**bold** ```x``` <b>')\n        return x * y * 2")
    data = grade(tmp_path, buggy)
    assert not validation_errors(data)
    test = next(t for t in data["tests"] if t["name"] == "Mul: arrays (forward)")
    assert test["output_format"] == "md" and data["output_format"] == "md"
    text = test["output"]
    assert text.startswith("**Failed:** ") and "2 × the right value" in text
    assert "| expected the output |" in text and "| got the output |" in text and "| x | `" in text
    assert "Your code printed:\n\n````text\n**bold** ```x``` <b>" in text  # a longer fence than its backticks
    passed = next(t for t in data["tests"] if t["name"].startswith("Add:"))["output"]
    assert passed.startswith("**Passed**")
    assert "- ✗ **Mul**" in data["output"] and "fix first *forward*" in data["output"]
    assert "- ✓ **Add**: all" in data["output"]


def test_text_format_is_still_available(tmp_path):
    data = grade(tmp_path, SOLUTION.replace("return x * y", "return x * y * 2"), "--format", "text")
    test = next(t for t in data["tests"] if t["name"] == "Mul: arrays (forward)")
    assert test["output_format"] == "text" and not test["output"].startswith("**")
    assert not validation_errors(data)


def test_markdown_helpers_show_text_as_it_is():
    assert escape("a*b_c [1, 2] <b> | `x`") == r"a\*b\_c [1, 2] \<b\> \| \`x\`"
    assert fenced("no ticks") == "```text\nno ticks\n```"
    assert fenced("has ```` four").startswith("`````text\n")


def test_a_failing_graph_shows_the_node_and_a_table_of_its_case(tmp_path):
    data = grade(tmp_path, SOLUTION.replace("grad_output * self.p * self.x ** (self.p - 1)",
                                            "grad_output * self.x ** (self.p - 1)"))
    cube = next(t for t in data["tests"] if t["name"].startswith("graph cube"))["output"]
    assert "Pow's backward is wrong" in cube and "is the factor p missing?" in cube
    assert "| b | `" in cube and "| expected dx of d | `" in cube and "| got dx of d | `" in cube


def test_a_claim_about_where_a_gradient_is_wrong_shows_in_the_markdown_and_the_terminal(tmp_path):
    """Max's dx wrong only where x loses: the claim names the side in the inputs' names, as the
    terminal report and results.json both say it (from the test's one diagnosis)."""
    right = "np.where(self.x_wins, grad_output, 0.0),\n"
    assert right in SOLUTION
    data = grade(tmp_path, SOLUTION.replace(right, "np.where(self.x_wins, grad_output, -grad_output),\n", 1))
    claim = "dx is wrong only where x \\<= y (Max's branch), where it should be 0: check that side of Max.backward"
    shown = [t["output"] for t in data["tests"] if t["name"].startswith("Max:") and claim in t["output"]]
    assert shown and not validation_errors(data)
    terminal = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"), str(tmp_path / "sub"),
                                         "--results", str(tmp_path / "again.json"), "--seed", "3"]).output
    assert claim.replace("\\", "") in terminal
