"""Wherever the grader, its Python, the results and the submission live, the worker reaches
what it needs: the solution gets full marks in every layout of a matrix, as root (the
worker drops to its own user) and as an ordinary user.

The matrix: a repository copy with its ``.venv`` in the root (an editable install, and one
whose checkout is on ``sys.path``), a non-editable venv under /tmp, results in /tmp, in the
current folder, in the repository root and in a sub-folder, relative and absolute paths,
the submission inside the assignment folder, the assignment beside the submission, the
current folder inside the submission, and ``grade check`` in a student's folder that holds
its own venv. The three commands of issue 12 are the first three layouts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from accounts import as_ordinary_user, give_to_ordinary_user, ordinary_user
from environments import make_venv

ROOT = Path(__file__).resolve().parents[2]
MODES = ["root", "ordinary"] if os.geteuid() == 0 else ["ordinary"]
SPEC = "assignments/scalar-graphs"
SOLUTION = "solutions/scalar-graphs"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The repository copy, the venvs, and the folders the layouts use."""
    base = tmp_path_factory.mktemp("layouts")
    repo = base / "repo"
    repo.mkdir()
    for name in ("grader", "assignments", "solutions", "student_template"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, repo / name)
    venvs = {"editable": make_venv(repo / ".venv", repo, "-e"),
             "compat": make_venv(base / "compat-venv", repo, "--config-settings", "editable_mode=compat", "-e")}
    shutil.copytree(repo / SOLUTION, repo / SPEC / "submission")
    course = base / "course"
    shutil.copytree(repo / SPEC, course / "assignment", ignore=shutil.ignore_patterns("submission"))
    shutil.copytree(repo / SOLUTION, course / "submission")
    shutil.copytree(repo / SOLUTION, base / "inside")
    student = base / "student"
    shutil.copytree(repo / "student_template" / "scalar-graphs", student)
    shutil.copy(repo / SOLUTION / "nodes.py", student / "nodes.py")
    venvs["wheel"] = venvs["student"] = make_venv(student / ".venv", repo)  # non-editable, under /tmp
    (base / "elsewhere").mkdir()
    # the venvs' packages are hard links to this interpreter's: they stay as they are
    give_to_ordinary_user(base, skip=(".venv", "compat-venv"))
    return {"base": base, "repo": repo, "venvs": venvs}


def layouts(world) -> dict[str, tuple[Path, Path, list[str]]]:
    """name -> (venv, current folder, arguments of ``grade``)."""
    base, repo, venv = world["base"], world["repo"], world["venvs"]
    in_tmp = f"/tmp/results-{uuid.uuid4().hex[:8]}.json"
    return {
        "results.json in the repository root holding .venv": (venv["editable"], repo, ["run", SPEC, SOLUTION, "--results", "results.json"]),
        "results in /tmp": (venv["editable"], repo, ["run", SPEC, SOLUTION, "--results", in_tmp]),
        "results in a sub-folder": (venv["editable"], repo, ["run", SPEC, SOLUTION, "--results", "out/r.json"]),
        "editable install with the checkout on sys.path": (venv["compat"], repo, ["run", SPEC, SOLUTION, "--results", "results.json"]),
        "non-editable venv under /tmp, absolute paths": (venv["wheel"], base / "elsewhere", [
            "run", str(repo / SPEC), str(repo / SOLUTION), "--results", str(base / "elsewhere" / "results.json")]),
        "submission inside the assignment folder": (venv["wheel"], repo, ["run", SPEC, f"{SPEC}/submission", "--results", in_tmp]),
        "assignment beside the submission, results in their parent": (venv["editable"], base / "course", [
            "run", "assignment", "submission", "--results", "results.json"]),
        "current folder inside the submission, results in it": (venv["wheel"], base / "inside", [
            "run", str(repo / SPEC), ".", "--results", "results.json"]),
        "grade check in a student folder holding its .venv": (venv["student"], base / "student", ["check"]),
    }


def grade(venv: Path, cwd: Path, args: list[str], mode: str, base: Path) -> subprocess.CompletedProcess:
    command = [str(venv / "bin" / "grade"), *args, "--json"]
    if mode == "ordinary":
        command = as_ordinary_user(command, str(cwd), writable=[str(base)])
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})


@pytest.mark.parametrize("mode", MODES)
def test_the_solution_gets_full_marks_in_every_layout(world, mode):
    if mode == "ordinary" and ordinary_user() is None:
        pytest.skip("no ordinary user account can be made here")
    wrong = []
    for name, (venv, cwd, args) in layouts(world).items():
        proc = grade(venv, cwd, args, mode, world["base"])
        try:
            data = json.loads(proc.stdout)
            score = (data["score"], sum(t["max_score"] for t in data["tests"]))
        except (ValueError, KeyError):
            score = None
        if proc.returncode != 0 or score is None or score[0] != score[1] or score[1] == 0:
            wrong.append(f"{name}: exit {proc.returncode}, score {score}: {proc.stderr[-600:]}")
        elif "--results" in args:
            results = Path(args[args.index("--results") + 1])
            results = results if results.is_absolute() else cwd / results
            if not str(results).startswith("/tmp/results-") or mode == "root":  # the other /tmp is private
                assert json.loads(results.read_text())["score"] == score[0], name
                results.unlink()
    shutil.rmtree(world["repo"] / "out", ignore_errors=True)  # made by this mode's user
    assert not wrong, "\n".join(wrong)


def test_the_suites_own_interpreter_with_results_in_the_repository_root(tmp_path):
    """The README's own set-up: the checkout's .venv (or whatever runs the tests), results
    written into the checkout's root."""
    results = ROOT / f"results-layout-{uuid.uuid4().hex[:8]}.json"
    try:
        proc = subprocess.run([sys.executable, "-m", "grader", "run", SPEC, SOLUTION, "--results", results.name],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        data = json.loads(results.read_text())
    finally:
        results.unlink(missing_ok=True)
    assert proc.returncode == 0, proc.stderr
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
