"""`grade autograder` warns about each limit of a spec that does not fit the container the zip
will run in (Gradescope's 768 MB and 10 minutes unless --memory and --timeout say otherwise),
and still writes the zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.course.autograder import build_autograder, container_fit
from grader.cli import main
from grader.spec import load_assignment

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p for p in (ROOT / "assignments").iterdir() if p.is_dir())

SPEC = """\
id: heavy
title: Limits that do not fit
files: [nodes.py]
limits:
  memory_mb: 700
  total_seconds: 590
  cpu_seconds: 5
nodes:
  Mul: {inputs: {x: {}, y: {}}, reference: x * y}
"""


def spec(tmp_path: Path, text: str = SPEC) -> Path:
    folder = tmp_path / "heavy"
    folder.mkdir()
    (folder / "assignment.yaml").write_text(text)
    return folder


def warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": warning: " in line]


@pytest.mark.parametrize("folder", ASSIGNMENTS, ids=lambda p: p.name)
def test_shipped_specs_fit_gradescopes_default_container(folder: Path):
    assignment, _ = load_assignment(folder)
    assert container_fit(assignment.limits) == {}


def test_each_limit_that_does_not_fit_is_named_with_its_place_in_the_spec(tmp_path):
    folder = spec(tmp_path)
    result = build_autograder(folder, tmp_path / "autograder.zip")
    file = folder / "assignment.yaml"
    found = {str(w).split(": warning: ")[1].split(":")[0]: str(w) for w in result.warnings}
    assert sorted(found) == ["limits.cpu_seconds", "limits.memory_mb", "limits.total_seconds"]
    assert found["limits.memory_mb"].startswith(f"{file}:5:14: warning: limits.memory_mb: 700 MB")
    assert "768 MB" in found["limits.memory_mb"] and "at most 608 fits" in found["limits.memory_mb"]
    assert found["limits.total_seconds"].startswith(f"{file}:6:18: ")
    assert "600 s" in found["limits.total_seconds"] and "at most 540 fits" in found["limits.total_seconds"]
    assert "call_seconds (10 s)" in found["limits.cpu_seconds"]
    assert zipfile.is_zipfile(result.path)  # a warning, not an error


def test_the_command_warns_on_stderr_and_still_writes_the_zip(tmp_path):
    folder, zip_path = spec(tmp_path), tmp_path / "out" / "autograder.zip"
    result = CliRunner().invoke(main, ["autograder", str(folder), "-o", str(zip_path)])
    assert result.exit_code == 0, result.output
    assert len(warnings(result.output)) == 3, result.output
    assert f"wrote {zip_path}" in result.output
    assert zipfile.is_zipfile(zip_path)


def test_the_container_size_can_be_named(tmp_path):
    folder = spec(tmp_path, SPEC.replace("  cpu_seconds: 5\n", ""))
    big = CliRunner().invoke(main, ["autograder", str(folder), "-o", str(tmp_path / "a.zip"),
                                    "--memory", "2048", "--timeout", "1200"])
    assert big.exit_code == 0 and warnings(big.output) == [], big.output
    small = CliRunner().invoke(main, ["autograder", str(ASSIGNMENTS[0]), "-o", str(tmp_path / "b.zip"),
                                      "--memory", "512", "--timeout", "300"])
    assert small.exit_code == 0, small.output
    lines = warnings(small.output)
    assert len(lines) == 2, small.output
    assert "limits.memory_mb: 512 MB" in lines[0] and "this is the default" in lines[0]  # not set in the spec
    assert "limits.total_seconds: 300 s" in lines[1] and "at most 240 fits" in lines[1]


@pytest.mark.parametrize("option, value", [("--memory", "0"), ("--memory", "lots"), ("--timeout", "-5"),
                                           ("--timeout", "0")])
def test_a_bad_container_size_is_refused_without_traceback(tmp_path, option, value):
    result = CliRunner().invoke(main, ["autograder", str(ASSIGNMENTS[0]), "-o", str(tmp_path / "a.zip"),
                                       option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "a.zip").exists()
