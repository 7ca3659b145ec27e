"""The `grade` command as a user meets it: help, exit codes, no tracebacks, speed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p for p in (ROOT / "assignments").iterdir() if p.is_dir())


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_help_lists_every_command_with_a_description():
    result = run("--help")
    assert result.exit_code == 0
    for name, command in main.commands.items():
        assert name in result.output
        assert command.get_short_help_str().strip(), f"{name} has no one-line help"
        assert run(name, "--help").exit_code == 0


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in main.commands:
        assert f"grade {name}" in readme, f"README does not mention `grade {name}`"


@pytest.mark.parametrize("folder", ASSIGNMENTS, ids=lambda p: p.name)
def test_shipped_assignments_validate(folder: Path):
    result = run("validate", str(folder))
    assert result.exit_code == 0, result.output
    assert re.search(rf"^{folder.name} is valid: .*points$", result.output, re.M), result.output


def test_validate_accepts_the_yaml_file_itself():
    result = run("validate", str(ASSIGNMENTS[0] / "assignment.yaml"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing", "does not exist"),
    (lambda d: d, "no assignment.yaml in this folder"),
], ids=["missing path", "folder without spec"])
def test_validate_refuses_missing_specs(tmp_path, make, message):
    result = run("validate", str(make(tmp_path)))
    assert result.exit_code == 1
    assert message in result.output


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "assignment.yaml"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"   \n\n", "is empty"),
    (b"- 1\n- 2\n", "the top level must be a mapping"),
    (b"just some words", "the top level must be a mapping"),
    (b"id: [unclosed\n", "is not valid YAML"),
    (bytes(range(256)) * 4, "is not UTF-8 text"),
    (b"id: x\x00\n", "NUL byte"),
    (b"a: 1\n---\nb: 2\n", "more than one YAML document"),
], ids=["empty", "blank", "list", "scalar", "bad yaml", "binary", "nul", "two documents"])
def test_garbage_is_refused_without_traceback(tmp_path, data, message):
    result = run("validate", str(write(tmp_path, data)))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert re.search(r"assignment\.yaml(:\d+)?(:\d+)?: ", result.output)


def test_random_binary_garbage_is_refused(tmp_path):
    import numpy as np
    rng = np.random.default_rng(7)
    for i in range(20):
        data = rng.integers(0, 256, size=int(rng.integers(1, 4000)), dtype=np.uint8).tobytes()
        result = run("validate", str(write(tmp_path, data)))
        assert result.exit_code == 1, f"garbage {i} was accepted"
        assert "Traceback" not in result.output


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "\n".join(lines).encode())
    start = time.perf_counter()
    result = run("validate", str(path))
    elapsed = time.perf_counter() - start
    assert result.exit_code == 1
    assert "alias" in result.output
    assert elapsed < 1.0, f"alias bomb took {elapsed:.2f} s"


def test_eight_megabyte_file_is_refused_quickly(tmp_path):
    path = write(tmp_path, b"title: " + b"x" * (8 * 1024 * 1024) + b"\n")
    start = time.perf_counter()
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert "larger than" in result.output
    assert time.perf_counter() - start < 1.0


def test_installed_command_runs_without_traceback(tmp_path):
    """The console script itself (not only the click object) exits 1 with a clean message."""
    path = write(tmp_path, b"id: [")
    proc = subprocess.run([sys.executable, "-m", "grader", "validate", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "is not valid YAML" in proc.stderr


def test_help_does_not_import_numpy():
    code = "import sys; from grader.cli import main; sys.argv=['grade','--help']\n" \
           "try:\n    main()\nexcept SystemExit:\n    pass\nprint('numpy' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.stdout.strip().endswith("False"), proc.stdout + proc.stderr
