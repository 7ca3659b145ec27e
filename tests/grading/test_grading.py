"""Grading end to end: solutions get full marks, templates zero, results.json is valid, the
commands behave as documented, and a hanging or crashing node costs only its own tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import grader
from grader.cli import main
from grader.grading.grade import grade_submission
from grader.report.gradescope import to_gradescope, validation_errors
from grader.report.terminal import render, use_color

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["scalar-graphs", "vector-layers", "backprop-engine", "forward-mode"]


@pytest.fixture(scope="module")
def solution_results():
    return {n: grade_submission(ROOT / "assignments" / n, ROOT / "solutions" / n, seed=7) for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_each_solution_gets_full_marks(name, solution_results):
    results = solution_results[name]
    lost = [f"{t.name}: {t.output}" for t in results.tests if t.score < t.max_score]
    assert not lost, "\n".join(lost)
    assert results.score == results.max_score > 0
    assert not validation_errors(to_gradescope(results))


@pytest.mark.parametrize("name", NAMES)
def test_each_template_gets_zero_with_not_implemented_everywhere(name):
    results = grade_submission(ROOT / "assignments" / name, ROOT / "student_template" / name, seed=7)
    assert results.score == 0 and results.max_score > 0
    for test in results.tests:
        assert "not implemented" in test.output, f"{test.name}: {test.output}"
    assert not validation_errors(to_gradescope(results))


def test_max_score_matches_the_spec(solution_results):
    from grader.spec import load_assignment
    for name in NAMES:
        assignment, _ = load_assignment(ROOT / "assignments" / name)
        assert solution_results[name].max_score == pytest.approx(assignment.max_points())


def test_hidden_cases_change_with_the_seed_and_visible_ones_do_not(tmp_path):
    run = lambda seed: grade_submission(ROOT / "assignments" / "vector-layers",
                                        ROOT / "student_template" / "vector-layers", seed=seed, node="Linear")
    a, b = run(1), run(2)
    visible = [t.output for t in a.tests if t.visibility == "visible"]
    assert visible == [t.output for t in b.tests if t.visibility == "visible"]
    assert a.seed == 1 and b.seed == 2


def submission_with(tmp_path: Path, name: str, source: str, nested: str = "") -> Path:
    folder = tmp_path / "submission"
    (folder / nested).mkdir(parents=True, exist_ok=True)
    (folder / nested / name).write_text(source)
    return folder


def solution_source(assignment: str, file: str) -> str:
    return (ROOT / "solutions" / assignment / file).read_text()


def test_files_are_found_at_any_depth(tmp_path):
    folder = submission_with(tmp_path, "nodes.py", solution_source("scalar-graphs", "nodes.py"), "hw2/code")
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", folder, node="Add")
    assert results.score == results.max_score


def test_a_missing_file_fails_every_test_with_a_clear_message(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    results = grade_submission(ROOT / "assignments" / "vector-layers", folder)
    assert results.score == 0
    assert "layers.py was not found" in results.output
    assert all("layers.py was not found" in t.output for t in results.tests)


def test_a_syntax_error_is_reported_with_its_line(tmp_path):
    folder = submission_with(tmp_path, "nodes.py", "class Add:\n    def forward(self, x, y)\n        return x\n")
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", folder, node="Add")
    assert results.score == 0
    assert "nodes.py could not be imported" in results.output and "line 2" in results.output


def test_a_hanging_node_costs_only_its_own_tests(tmp_path):
    source = solution_source("scalar-graphs", "nodes.py").replace(
        "        self.out = np.exp(x)\n", "        while True:\n            pass\n")
    folder = submission_with(tmp_path, "nodes.py", source)
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", folder, timeout=2)
    exp = [t for t in results.tests if t.node == "Exp"]
    others = [t for t in results.tests if t.node not in ("Exp", None)]
    assert all(t.score == 0 and "ran past the 2 s time limit" in t.output for t in exp)
    assert all(t.score == t.max_score for t in others)


def test_a_node_that_ignores_the_timer_is_stopped_by_the_watchdog(tmp_path):
    """SIGALRM ignored in a busy loop: the worker's watchdog ends it about a second after the
    limit, long before the grader's own deadline for the request (6 calls' worth)."""
    import time
    source = solution_source("scalar-graphs", "nodes.py").replace(
        "        self.out = np.exp(x)\n",
        "        import signal\n        signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "        while True:\n            pass\n")
    folder = submission_with(tmp_path, "nodes.py", source)
    started = time.monotonic()
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", folder, timeout=1, node="Exp")
    assert time.monotonic() - started < 5.5
    assert results.tests and all(t.score == 0 and "time limit" in t.output for t in results.tests)
    later = [t for t in results.tests if not t.name.startswith("Exp: scalars")]
    assert later and all('an earlier call of Exp ran past the 1 s time limit ("Exp: scalars")' in t.output
                         for t in later)  # the test under which the worker was ended is named


def test_a_node_that_kills_the_worker_costs_only_its_own_tests(tmp_path):
    source = solution_source("scalar-graphs", "nodes.py").replace(
        "        self.x, self.y = x, y\n", "        import os; os._exit(3)\n")
    folder = submission_with(tmp_path, "nodes.py", source)
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", folder, timeout=5)
    mul = [t for t in results.tests if t.node == "Mul"]
    assert mul and all(t.score == 0 and "crashed" in t.output for t in mul)
    add = [t for t in results.tests if t.node == "Add"]
    assert all(t.score == t.max_score for t in add)


def test_when_a_fresh_worker_cannot_load_the_files_grading_still_ends(tmp_path, monkeypatch):
    """A crash needs a fresh worker; if that one cannot load the files either, every later
    test says why instead of the run failing."""
    from grader.sandbox.channel import WorkerFailure
    from grader.sandbox.host import Sandbox

    def broken_restart(self):
        self.kill()
        raise WorkerFailure("crash", "the worker died while loading")
    monkeypatch.setattr(Sandbox, "restart", broken_restart)
    source = solution_source("scalar-graphs", "nodes.py").replace(
        "        self.x, self.y = x, y\n", "        import os; os._exit(3)\n")
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", submission_with(tmp_path, "nodes.py", source))
    add = [t for t in results.tests if t.node == "Add"]
    later = [t for t in results.tests if t.node in ("Pow", "Exp") or t.node is None]
    assert add and all(t.score == t.max_score for t in add)
    assert later and all(t.score == 0 for t in later)
    assert all("could not be loaded again" in t.output for t in later if t.node)


def test_grading_from_a_script_in_tmp(tmp_path):
    """A notebook or script in /tmp puts /tmp on sys.path; the worker's private /tmp must
    still hold its own folder (and not all of the real /tmp)."""
    script = tmp_path / "grade_it.py"
    script.write_text("import sys\nfrom grader.grading.grade import grade_submission\n"
                      f"r = grade_submission({str(ROOT / 'assignments' / 'scalar-graphs')!r}, "
                      f"{str(ROOT / 'solutions' / 'scalar-graphs')!r}, node='Add')\n"
                      "print(r.score, r.max_score)\n")
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    score, best = proc.stdout.split()
    assert float(score) == float(best) > 0, proc.stdout + proc.stderr


def test_student_prints_do_not_disturb_grading(tmp_path):
    source = solution_source("scalar-graphs", "nodes.py").replace(
        "        return x + y\n", "        print('hello', x, y)\n        import sys; print('x' * 10000, file=sys.stderr)\n        return x + y\n")
    folder = submission_with(tmp_path, "nodes.py", source)
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", folder, node="Add")
    assert results.score == results.max_score
    assert "hello" in results.student_output


def test_grade_run_writes_valid_results_and_exits_zero(tmp_path):
    out = tmp_path / "results" / "results.json"
    result = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "backprop-engine"),
                                       str(ROOT / "student_template" / "backprop-engine"), "--results", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert not validation_errors(data)
    assert data["score"] == 0 and data["extra_data"]["seed"] >= 0
    assert "Total: 0 /" in result.output


def test_grade_run_with_a_broken_spec_still_writes_results(tmp_path):
    spec = tmp_path / "broken"
    spec.mkdir()
    (spec / "assignment.yaml").write_text("id: [\n")
    out = tmp_path / "results.json"
    result = CliRunner().invoke(main, ["run", str(spec), str(tmp_path), "--results", str(out)])
    assert result.exit_code == 1
    assert "is not valid YAML" in result.output
    data = json.loads(out.read_text())
    assert not validation_errors(data) and "spec is broken" in data["output"]
    assert "score" not in data and data["tests"] == [] and data["extra_data"]["status"] == "error"


def test_grade_run_with_a_missing_submission_still_writes_results(tmp_path):
    out = tmp_path / "results.json"
    result = CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"),
                                       str(tmp_path / "nowhere"), "--results", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not validation_errors(json.loads(out.read_text()))


def test_grade_run_seed_from_gradescope_metadata(tmp_path):
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"id": 424242, "assignment": {"title": "x"}}))
    out = tmp_path / "results.json"
    CliRunner().invoke(main, ["run", str(ROOT / "assignments" / "scalar-graphs"),
                              str(ROOT / "student_template" / "scalar-graphs"), "--results", str(out),
                              "--metadata", str(meta)])
    assert json.loads(out.read_text())["extra_data"]["seed"] == 424242


def student_folder(tmp_path: Path, name: str, solved: bool) -> Path:
    folder = tmp_path / name
    shutil.copytree(ROOT / "student_template" / name, folder)
    if solved:
        for file in ("nodes.py", "layers.py", "engine.py", "forward.py"):
            if (folder / file).exists():
                shutil.copyfile(ROOT / "solutions" / name / file, folder / file)
    return folder


@pytest.mark.parametrize("name", NAMES)
def test_grade_check_passes_a_solved_folder_and_fails_the_template(tmp_path, name):
    solved = CliRunner().invoke(main, ["check", str(student_folder(tmp_path, name, True))])
    assert solved.exit_code == 0, solved.output
    from grader.spec import load_assignment

    full, _ = load_assignment(ROOT / "assignments" / name)
    later = full.max_points() - full.max_points(visible_only=True)
    assert later > 0  # every shipped assignment keeps points for after the deadline
    assert f"All visible tests pass; {later:g} more points are graded after the deadline" in solved.output
    fresh = CliRunner().invoke(main, ["check", str(student_folder(tmp_path / "t", name, False))])
    assert fresh.exit_code == 1
    assert "not implemented" in fresh.output
    assert f"These are the visible tests; {later:g} more points" in fresh.output


def test_grade_check_focuses_on_one_node_and_speaks_json(tmp_path):
    folder = student_folder(tmp_path, "vector-layers", False)
    result = CliRunner().invoke(main, ["check", str(folder), "--node", "Tanh", "--json"])
    data = json.loads(result.output)
    assert {t["tags"][0] for t in data["tests"]} == {"Tanh"}
    assert all(t["visibility"] == "visible" for t in data["tests"])
    unknown = CliRunner().invoke(main, ["check", str(folder), "--node", "Nope"])
    assert unknown.exit_code == 1 and "there is no node 'Nope'" in unknown.output and "graphs: " in unknown.output


def test_grade_check_focuses_on_one_graph(tmp_path):
    from grader.spec import load_assignment

    folder = student_folder(tmp_path, "scalar-graphs", True)
    public, _ = load_assignment(folder)
    gid = next(iter(public.graphs))
    data = json.loads(CliRunner().invoke(main, ["check", str(folder), "--node", gid, "--json"]).output)
    assert data["tests"] and all(t["tags"][:2] == ["graph", gid] for t in data["tests"])


def test_check_is_a_python_api_for_notebooks(tmp_path):
    results = grader.check(student_folder(tmp_path, "scalar-graphs", True), node="ReLU")
    assert results.all_passed
    assert "ReLU" in str(results) and "Total:" in str(results)


def test_colour_only_on_a_terminal_without_no_color(monkeypatch, solution_results):
    class Tty:
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    assert "\033[" not in render(solution_results["scalar-graphs"], color=False)
    assert "\033[" in render(solution_results["scalar-graphs"], color=True)


PIPELINE_SPEC = """id: pipeline
title: A test with a large reply, then one with a large request
files: [layers.py]
limits: {call_seconds: 2, total_seconds: 120}
nodes:
  Sigmoid:
    inputs: {x: {shape: [N, D]}}
    reference: sigmoid(x)
    tests:
      - {name: many differences, cases: 3, dims: {N: 8, D: 8}}
      - {name: a large input, cases: 1, dims: {N: 120, D: 120}}
"""


def test_a_large_request_after_a_large_reply_does_not_deadlock(tmp_path):
    """The first test's reply (finite differences of 64 entries) fills the worker's pipe and
    the second's request (14,400 inputs) fills the grader's: it must wait for the reply."""
    import time
    spec = tmp_path / "spec"
    spec.mkdir()
    (spec / "assignment.yaml").write_text(PIPELINE_SPEC)
    folder = submission_with(tmp_path, "layers.py", solution_source("vector-layers", "layers.py"))
    started = time.monotonic()
    results = grade_submission(spec, folder, seed=1)
    lost = [f"{t.name}: {t.output}" for t in results.tests if t.score < t.max_score]
    assert not lost, "\n".join(lost)
    assert time.monotonic() - started < 4  # a deadlock would end only at a 4 s deadline


def test_a_students_own_venv_in_the_submission_is_not_searched(tmp_path, monkeypatch):
    """A student's folder often holds its .venv (or a venv of another name): thousands of
    files, sorted before nodes.py, none of them the student's."""
    import grader.grading.submission as submission

    monkeypatch.setattr(submission, "MAX_FILES_SCANNED", 50)
    folder = tmp_path / "hw"
    for venv in (".venv", "env"):
        packages = folder / venv / "lib" / "site-packages" / "pkg"
        packages.mkdir(parents=True)
        (folder / venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
        for i in range(60):
            (packages / f"m{i}.py").write_text("")
        (packages / "nodes.py").write_text("raise SystemExit")
    (folder / "nodes.py").write_text("")
    found = submission.find_files(folder, ["nodes.py"])
    assert found.found == {"nodes.py": folder / "nodes.py"} and not found.notes and not found.missing
