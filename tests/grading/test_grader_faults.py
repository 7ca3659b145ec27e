"""A fault of the grader is never a student's 0: when its worker cannot start (here: a grader
that its own interpreter can import only through PYTHONPATH, which the worker's ``python -I``
ignores), ``grade run`` and ``grade check`` exit 2 naming the cause, results.json says the
autograder failed and gives no score, and ``grade batch`` stops before grading anyone,
with ``error`` rows. A self-check grades the solution first."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from environments import make_venv
from grader.course.batch import run_batch
from grader.cli import main
from grader.errors import GraderFault
from grader.report.gradescope import validation_errors

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "assignments" / "scalar-graphs"
SOLUTION = ROOT / "solutions" / "scalar-graphs"
CLEAN = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (SOLUTION / "nodes.py").read_text())


@pytest.fixture(scope="module")
def broken_python(tmp_path_factory) -> Path:
    """A venv with the grader's dependencies but not the grader: it runs from PYTHONPATH."""
    return make_venv(tmp_path_factory.mktemp("broken") / "venv", None) / "bin" / "python"


def broken_grade(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})


def assert_error_results(path: Path) -> dict:
    data = json.loads(path.read_text())
    assert not validation_errors(data)
    assert "score" not in data and data["tests"] == [], "a grader fault must not look like a grade"
    assert data["extra_data"]["status"] == "error" and "No module named 'grader'" in data["extra_data"]["error"]
    assert "not in your code" in data["output"] and "instructor" in data["output"]
    return data


def test_grade_run_exits_2_naming_the_cause_and_gives_no_score(broken_python, tmp_path):
    proc = broken_grade(broken_python, "run", str(SPEC), str(SOLUTION), "--results", "r.json", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith("grade: the grader could not grade: the grader's worker process could not start")
    assert "No module named 'grader'" in first
    assert proc.stdout == ""  # no report of a grading that did not happen
    assert_error_results(tmp_path / "r.json")


def test_grade_check_exits_2(broken_python, tmp_path):
    folder = tmp_path / "hw"
    shutil.copytree(ROOT / "student_template" / "scalar-graphs", folder)
    proc = broken_grade(broken_python, "check", cwd=folder)
    assert proc.returncode == 2 and "could not grade" in proc.stderr and "not implemented" not in proc.stdout


def test_grade_batch_stops_before_grading_anyone_with_error_rows(broken_python, tmp_path):
    classroom = tmp_path / "class"
    for name in ("ada", "alan"):
        (classroom / name).mkdir(parents=True)
        (classroom / name / "nodes.py").write_text(CLEAN)
    proc = broken_grade(broken_python, "batch", str(SPEC), str(classroom), "--out", "out", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "self-check" in proc.stderr.splitlines()[0]
    rows = list(csv.DictReader(open(tmp_path / "out" / "grades.csv")))
    assert [(r["submission"], r["status"], r["score"]) for r in rows] == [("ada", "error", ""), ("alan", "error", "")]
    assert "2 could not be graded" in (tmp_path / "out" / "summary.md").read_text()
    assert_error_results(tmp_path / "out" / "ada" / "results.json")


def test_a_missing_tmpdir_is_not_a_fault(tmp_path, monkeypatch):
    """Python falls back to /tmp when TMPDIR is missing: grading goes on, in full."""
    results = tmp_path / "r.json"
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = CliRunner().invoke(main, ["run", str(SPEC), str(SOLUTION), "--results", str(results)])
    assert result.exit_code == 0, result.output
    data = json.loads(results.read_text())
    assert data["score"] == sum(t["max_score"] for t in data["tests"])


def test_the_grader_failing_on_one_submission_makes_an_error_row(tmp_path, monkeypatch):
    import grader.grading.grade

    original = grader.grading.grade.grade_submission

    def flaky(assignment, folder, **kwargs):
        if Path(folder).name == "unlucky":
            raise GraderFault("the grader's worker process could not start: simulated")
        return original(assignment, folder, **kwargs)
    monkeypatch.setattr(grader.grading.grade, "grade_submission", flaky)  # pool processes are forked: they see it
    classroom = tmp_path / "class"
    for name in ("lucky", "unlucky"):
        (classroom / name).mkdir(parents=True)
        (classroom / name / "nodes.py").write_text(CLEAN)
    result = CliRunner().invoke(main, ["batch", str(SPEC), str(classroom), "--out", str(tmp_path / "out"), "--jobs", "1"])
    assert result.exit_code == 2
    assert "the grader failed on 1 submission" in result.output and "unlucky" in result.output
    rows = {r["submission"]: r for r in csv.DictReader(open(tmp_path / "out" / "grades.csv"))}
    assert rows["unlucky"]["status"] == "error" and rows["unlucky"]["score"] == ""
    assert rows["lucky"]["status"] == "graded" and float(rows["lucky"]["score"]) == float(rows["lucky"]["max_score"])
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "1 could not be graded" in summary and "unlucky" in summary

    monkeypatch.setattr(grader.grading.grade, "grade_submission", original)
    again = run_batch(SPEC, classroom, tmp_path / "out", jobs=1)
    assert again.graded == 1 and again.reused == 1 and not again.errors  # the error row is graded again


def assignment_with_solution(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "assignment"
    shutil.copytree(SPEC, folder)
    (tmp_path / "solution").mkdir()
    (tmp_path / "solution" / "nodes.py").write_text(source)
    data = yaml.safe_load((folder / "assignment.yaml").read_text())
    data["solution"] = "../solution"
    (folder / "assignment.yaml").write_text(json.dumps(data))
    return folder


def test_self_check_passes_with_the_solution_and_says_so(tmp_path):
    result = CliRunner().invoke(main, ["run", str(SPEC), str(SOLUTION), "--results", str(tmp_path / "r.json"),
                                       "--self-check"])
    assert result.exit_code == 0, result.output
    assert "self-check: the solution in" in result.output and "full marks" in result.output


def test_self_check_stops_a_batch_when_the_solution_does_not_get_full_marks(tmp_path):
    assignment = assignment_with_solution(tmp_path, CLEAN.replace("return grad_output, grad_output",
                                                                   "return grad_output, 2 * grad_output", 1))
    classroom = tmp_path / "class"
    (classroom / "ada").mkdir(parents=True)
    (classroom / "ada" / "nodes.py").write_text(CLEAN)
    result = CliRunner().invoke(main, ["batch", str(assignment), str(classroom), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "self-check failed: the solution in" in result.output and "Add" in result.output
    assert json.loads((tmp_path / "out" / "ada" / "results.json").read_text())["extra_data"]["status"] == "error"


def test_self_check_without_a_solution_loads_empty_files(tmp_path):
    from grader.grading.selfcheck import self_check

    assignment = assignment_with_solution(tmp_path, CLEAN)
    shutil.rmtree(tmp_path / "solution")
    assert "empty student files load in the sandbox" in self_check(assignment)
