"""A node with several outputs (an LSTM-like step: next_h, next_c): each output compared by
name, each with its own random upstream gradient, finite differences of a random
combination of all of them; and the spec uses that cannot work are refused at their line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.cli import main
from grader.grading.grade import grade_submission

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "multiout"
CORRECT = (CORPUS / "correct" / "layers.py").read_text()


def test_the_correct_step_gets_full_marks():
    results = grade_submission(CORPUS, CORPUS / "correct", seed=4)
    assert results.score == results.max_score > 0, [t.output for t in results.tests if not t.passed]


def test_a_backward_that_drops_one_upstream_gradient_is_caught_by_both_checks():
    results = grade_submission(CORPUS, CORPUS / "buggy", seed=4)
    by_check = {t.check: t for t in results.tests}
    assert by_check["backward"].score == 0 and by_check["numeric"].score == 0
    assert "dnext_h = " in by_check["backward"].output and "dnext_c = " in by_check["backward"].output
    assert "dx and dprev_c are wrong: it leaves out dnext_c, the upstream gradient of next_c" in by_check["backward"].output


@pytest.mark.parametrize("change, says", [
    (("    next_h = np.tanh(next_c)\n", "    next_h = np.tanh(2 * next_c)\n"), "the output next_h is wrong"),
    (("    return next_h, next_c, (s, t, prev_c, next_h)", "    return next_h, (s, t, prev_c, next_h)"),
     "gate_step_forward returned a tuple of 2; it must return (next_h, next_c, cache)"),
])
def test_each_output_is_checked_and_named(tmp_path, change, says):
    (tmp_path / "layers.py").write_text(CORRECT.replace(*change))
    results = grade_submission(CORPUS, tmp_path, seed=4)
    said = "\n".join(t.output for t in results.tests)
    assert says in said, said


def spec_with(tmp_path: Path, node_changes: dict, graph: dict | None = None) -> str:
    data = yaml.safe_load((CORPUS / "assignment.yaml").read_text())
    data["nodes"]["gate_step"].update(node_changes)
    if graph:
        data["graphs"] = {"g": graph}
    folder = tmp_path / "spec"
    folder.mkdir()
    (folder / "assignment.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (folder / "references.py").write_text((CORPUS / "references.py").read_text())
    result = CliRunner().invoke(main, ["validate", str(folder)])
    return f"{result.exit_code}\n{result.output}"


@pytest.mark.parametrize("changes, graph, says", [
    ({"reference": "tanh(x)"}, None, "nodes.gate_step.outputs: a node with several outputs needs a Python reference"),
    ({"range": [{"examples": [{"inputs": {"x": 1000.0, "prev_c": 0.0}}]}]}, None,
     "nodes.gate_step.range: range tests compare one output"),
    ({}, {"inputs": {"x": {"shape": ["N", "H"]}, "c": {"shape": ["N", "H"]}}, "nodes": {"s": "gate_step(x, c)"},
          "output": "s"}, "gate_step has several outputs (next_h, next_c); a graph wires nodes of one output"),
])
def test_uses_that_cannot_work_are_refused(tmp_path, changes, graph, says):
    output = spec_with(tmp_path, changes, graph)
    assert output.startswith("1\n") and says in output, output


def test_a_reference_that_returns_too_few_values_is_a_located_problem(tmp_path):
    output = spec_with(tmp_path, {"outputs": ["next_h", "next_c", "extra"]})
    assert output.startswith("1\n") and "returned 2 values for 3 outputs" in output, output
