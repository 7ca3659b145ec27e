"""The autograder zip, run as Gradescope runs it, in a fake /autograder tree.

The zip is built with ``grade autograder``, unpacked into ``$AUTOGRADER_ROOT/source``, set up
with its own ``setup.sh`` (which builds a virtual environment and installs the zip's wheel),
and ``run_autograder`` grades a solution nested in folders, a buggy file and an empty
submission. Every results.json must validate against Gradescope's format.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.report.gradescope import validation_errors

ROOT = Path(__file__).resolve().parents[2]
FILES = {"scalar-graphs": "nodes.py", "vector-layers": "layers.py", "backprop-engine": "engine.py"}


@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory):
    """One fake /autograder whose venv sees this test environment's packages (so setup.sh
    installs only the wheel, without the network)."""
    root = tmp_path_factory.mktemp("autograder")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    venv_site = next((root / "venv" / "lib").glob("python*/site-packages"))
    ours = [p for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
            if os.path.isdir(p)]
    (venv_site / "test-environment.pth").write_text("\n".join(ours) + "\n")
    return root


def setup(root: Path, assignment: str, tmp: Path) -> None:
    zip_path = tmp / "autograder.zip"
    result = CliRunner().invoke(main, ["autograder", str(ROOT / "assignments" / assignment), "-o", str(zip_path)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        assert "setup.sh" in names and "run_autograder" in names, "scripts must sit at the zip's root"
        assert not any("solution" in n for n in names)
        shutil.rmtree(root / "source", ignore_errors=True)
        zf.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is valid" in proc.stdout


def grade(root: Path, files: dict[str, str], metadata: dict | None = None) -> dict:
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text)
    (root / "submission_metadata.json").write_text(json.dumps(metadata or {"id": 123456}))
    env = {"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root)}
    proc = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text())
    assert not validation_errors(data), validation_errors(data)
    return data


def solution(assignment: str) -> str:
    text = (ROOT / "solutions" / assignment / FILES[assignment]).read_text()
    return re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", text)


@pytest.mark.parametrize("assignment", sorted(FILES))
def test_autograder_zip_grades_like_gradescope(assignment, autograder_root, tmp_path):
    root = autograder_root
    setup(root, assignment, tmp_path)
    file = FILES[assignment]
    full = grade(root, {f"hw/code/{file}": solution(assignment)})
    total = sum(t["max_score"] for t in full["tests"])
    assert full["score"] == total > 0, [t["output"] for t in full["tests"] if t["score"] < t["max_score"]][:3]
    assert full["extra_data"]["seed"] == 123456

    buggy_source = solution(assignment).replace("grad_output *", "2 * grad_output *").replace(
        "parent.grad = parent.grad + grad", "parent.grad = grad")
    buggy = grade(root, {file: buggy_source})
    assert 0 < buggy["score"] < total

    empty = grade(root, {"README.txt": "oops, forgot the code"})
    assert empty["score"] == 0
    assert f"{file} was not found" in empty["output"]


def test_run_autograder_writes_results_even_when_the_grader_is_gone(autograder_root, tmp_path):
    root = tmp_path / "broken"
    (root / "source").mkdir(parents=True)
    shutil.copy(ROOT / "grader" / "course" / "gradescope_files" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    proc = subprocess.run([str(root / "run_autograder")], env={"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text())
    assert not validation_errors(data)
    assert "score" not in data and data["tests"] == [] and "failed to start" in data["output"]
    assert data["extra_data"]["status"] == "error"
