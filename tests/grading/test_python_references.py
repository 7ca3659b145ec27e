"""References written in Python (an instructor module beside the spec): they grade like
expressions, ship with the template and the autograder zip, and every way the module can be
wrong is a located problem in ``grade validate``, not a traceback."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.cli import main
from grader.grading.grade import grade_submission
from grader.spec import load_assignment
from grader.spec.pyref import PythonReference

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "pyref"


def test_a_correct_submission_gets_full_marks_and_a_buggy_one_is_caught():
    assignment, _ = load_assignment(CORPUS)
    assert isinstance(assignment.nodes["Swish"].reference, PythonReference)
    good = grade_submission(CORPUS, CORPUS / "correct", seed=2)
    assert good.score == good.max_score > 0, [t.output for t in good.tests if not t.passed]
    bad = grade_submission(CORPUS, CORPUS / "buggy", seed=2)
    steeper = [t for t in bad.tests if t.node == "Swish" and t.group == "steeper" and t.check == "backward"]
    assert steeper and steeper[0].score == 0 and "dx is wrong" in steeper[0].output


def test_the_module_goes_with_the_template_and_the_autograder_zip(tmp_path):
    result = CliRunner().invoke(main, ["template", str(CORPUS), "-o", str(tmp_path / "template")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "template" / "references.py").read_text() == (CORPUS / "references.py").read_text()
    result = CliRunner().invoke(main, ["autograder", str(CORPUS), "-o", str(tmp_path / "a.zip")])
    assert result.exit_code == 0, result.output
    assert "pyref/references.py" in zipfile.ZipFile(tmp_path / "a.zip").namelist()


def broken(tmp_path: Path, module: str | None, reference: str = "swish") -> str:
    folder = tmp_path / "spec"
    folder.mkdir()
    data = yaml.safe_load((CORPUS / "assignment.yaml").read_text())
    data["nodes"] = {"Swish": {**data["nodes"]["Swish"], "reference": {"python": reference}}}
    data.pop("graphs")
    (folder / "assignment.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    if module is not None:
        (folder / "references.py").write_text(module)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("module, reference, says", [
    (None, "swish", "references.py: cannot read the reference module"),
    ("def swish(x, beta)\n    return x\n", "swish", "references.py, line 1: "),
    ("raise RuntimeError('oops')\n", "swish", "references.py could not be run: RuntimeError: oops"),
    ("def other(x, beta):\n    return x\n", "swish", "references.py has no function swish"),
    ("def swish(x):\n    return x\n", "swish", "swish in references.py must take the node's inputs and attributes (x, beta)"),
    ("def swish(x, beta):\n    return ops.nope(x)\n", "swish", "the engine has no op 'nope'"),
])
def test_a_broken_module_is_a_located_problem(tmp_path, module, reference, says):
    output = broken(tmp_path, module, reference)
    assert says in output, output
    assert "nodes.Swish.reference" in output, output


def test_the_reference_module_counts_in_a_batch_fingerprint(tmp_path):
    from grader.grading.fingerprint import fingerprint
    from grader.grading.submission import find_files

    folder = tmp_path / "spec"
    shutil.copytree(CORPUS, folder)
    assignment, _ = load_assignment(folder)
    before = fingerprint(assignment, find_files(folder / "correct", ["nodes.py"]))
    (folder / "references.py").write_text((folder / "references.py").read_text() + "\n# edited\n")
    assignment, _ = load_assignment(folder)
    assert fingerprint(assignment, find_files(folder / "correct", ["nodes.py"])) != before
