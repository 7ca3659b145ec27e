"""The README's commands are tests: every `grade` command of the quick start and the
instructor guide runs here as written (its paths, relative to a copy of the repository, and
/tmp where it says /tmp) and gives the result the README claims. A command added to the
guide without a check here fails ``test_every_command_has_a_check``."""

from __future__ import annotations

import csv
import filecmp
import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ID = "scalar-graphs"  # what <id> stands for when the commands are run


def section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def quick_start_commands() -> list[str]:
    block = README[README.index("<!-- run-command -->"):].split("```")[1]
    return [part.strip() for part in block.split("&&") if part.strip().startswith("grade ")]


MENTIONS = {"grade run"}  # commands the guide names in passing, not ones to run


def guide_commands() -> list[str]:
    return sorted(set(re.findall(r"`(grade [^`]+)`", section("Instructor guide"))) - MENTIONS)


def grade_executable() -> list[str]:
    beside = Path(sys.executable).with_name("grade")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "grader"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A copy of the repository's assignments, solutions and templates: the commands write
    into it as an instructor's would."""
    copy = tmp_path_factory.mktemp("readme") / "repo"
    for name in ("assignments", "solutions", "student_template"):
        shutil.copytree(ROOT / name, copy / name)
    return copy


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    args = shlex.split(command.replace("<id>", ID))
    return subprocess.run(grade_executable() + args[1:], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "NO_COLOR": "1"})


def expect_valid(proc, repo):
    assert proc.returncode == 0 and "is valid" in proc.stdout + proc.stderr


def expect_full_marks(proc, repo):
    assert proc.returncode == 0, proc.stderr
    data = json.loads(Path("/tmp/results.json").read_text())
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
    assert data["extra_data"]["status"] == "graded"


def expect_the_committed_template(proc, repo):
    assert proc.returncode == 0, proc.stderr
    written, committed = repo / "student_template" / ID, ROOT / "student_template" / ID
    names = sorted(p.name for p in committed.iterdir())
    assert sorted(p.name for p in written.iterdir()) == names
    match, mismatch, errors = filecmp.cmpfiles(written, committed, names, shallow=False)
    assert not mismatch and not errors


def expect_the_template_to_fail_as_not_implemented(proc, repo):
    assert proc.returncode == 1 and "not implemented" in proc.stdout.lower()


def expect_a_gradescope_zip(proc, repo):
    assert proc.returncode == 0, proc.stderr
    names = zipfile.ZipFile(repo / "autograder.zip").namelist()
    assert {"setup.sh", "run_autograder", f"{ID}/assignment.yaml", "requirements.txt"} <= set(names)
    assert any(n.endswith(".whl") for n in names) and not any("solution" in n for n in names)


def expect_a_regraded_class(proc, repo):
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(open(repo / "regrade" / "grades.csv")))
    assert [(r["students"], r["status"]) for r in rows] == [("Ada Lovelace", "graded"), ("Alan Turing", "graded")]
    assert float(rows[0]["score"]) == float(rows[0]["max_score"]) > float(rows[1]["score"])
    assert "re-teach" in (repo / "regrade" / "summary.md").read_text()


def expect_a_class_regraded_on_a_cluster(proc, repo):
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(open(repo / "regrade-cluster" / "grades.csv")))
    assert [(r["students"], r["status"]) for r in rows] == [("Ada Lovelace", "graded"), ("Alan Turing", "graded")]
    assert float(rows[0]["score"]) == float(rows[0]["max_score"]) > float(rows[1]["score"])


@pytest.fixture
def scheduler_on_8786():
    """A dask cluster whose scheduler listens where the guide's command says (port 8786)."""
    distributed = pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 8786)) == 0:
            pytest.skip("port 8786 is taken here")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, scheduler_port=8786, dashboard_address=None,
                                  silence_logs=50) as cluster:
        yield cluster


CHECKS = {
    "grade validate assignments/<id>": ("", expect_valid),
    "grade run assignments/<id> solutions/<id> --results /tmp/results.json": ("", expect_full_marks),
    "grade template assignments/<id> -o student_template/<id>": ("", expect_the_committed_template),
    "grade check": ("student_template/<id>", expect_the_template_to_fail_as_not_implemented),
    "grade autograder assignments/<id> -o autograder.zip": ("", expect_a_gradescope_zip),
    "grade batch assignments/<id> export.zip --out regrade/": ("", expect_a_regraded_class),
    "grade batch assignments/<id> export.zip --out regrade-cluster/ --scheduler tcp://127.0.0.1:8786":
        ("", expect_a_class_regraded_on_a_cluster),
}


def test_every_command_has_a_check():
    assert guide_commands() == sorted(CHECKS)


def gradescope_export(repo: Path) -> None:
    """export.zip in the repository copy, as Gradescope's "Export Submissions" makes it."""
    solution = (repo / "solutions" / ID / "nodes.py").read_text()
    meta, files = {}, {}
    for sid, (who, source) in enumerate([("Ada Lovelace", solution),
                                         ("Alan Turing", solution.replace("return x + y", "return x - y"))], 1):
        folder = f"submission_{1000 + sid}"
        files[f"{folder}/nodes.py"] = source
        meta[folder] = {":submitters": [{":name": who, ":sid": str(sid), ":email": f"s{sid}@uni.edu"}]}
    with zipfile.ZipFile(repo / "export.zip", "w") as zf:
        zf.writestr("assignment_1_export/submission_metadata.yml", yaml.safe_dump(meta))
        for name, text in files.items():
            zf.writestr(f"assignment_1_export/{name}", text)


@pytest.mark.parametrize("command", sorted(CHECKS))
def test_the_instructor_guide_command_does_what_it_says(command, repo, request):
    folder, expect = CHECKS[command]
    if "--scheduler" in command:
        request.getfixturevalue("scheduler_on_8786")
    if "export.zip" in command:
        gradescope_export(repo)
    saved = Path("/tmp/results.json")
    backup = saved.read_bytes() if "/tmp/results.json" in command and saved.exists() else None
    try:
        expect(run(command, repo / folder.replace("<id>", ID)), repo)
    finally:
        if "/tmp/results.json" in command:
            saved.unlink(missing_ok=True)
            if backup is not None:
                saved.write_bytes(backup)


@pytest.mark.parametrize("command", quick_start_commands())
def test_the_quick_start_command(command, repo):
    proc = run(command, repo)
    assert proc.returncode == 0 and "is valid" in proc.stdout + proc.stderr


def test_the_engine_example_prints_what_its_comment_says():
    block = section("The reference engine").split("```python")[1].split("```")[0]
    *lines, last = [line for line in block.strip().splitlines() if line.strip()]
    code, claimed = last.split("#")[0].strip(), re.search(r"# (\(.*\))", last).group(1)
    scope: dict = {}
    exec("\n".join(lines), scope)  # noqa: S102 - the README's own example
    assert repr(eval(code, scope)) == claimed


@pytest.mark.parametrize("heading, corpus", [("**Dicts of settings and state.**", "settings"),
                                             ("**Random nodes.**", "dropout")])
def test_the_spec_examples_of_settings_and_random_nodes_are_valid(tmp_path, heading, corpus):
    """The README's node specs, in a spec of their own with the corpus's references, validate."""
    block = README[README.index(heading):].split("```yaml")[1].split("```")[0]
    spec = {"id": "readme", "title": "README example", "files": ["layers.py"], "convention": "functions",
            "defaults": {"dims": {"N": [10, 20], "D": [10, 20]}}, "nodes": yaml.safe_load(block)}
    (tmp_path / "assignment.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    shutil.copy(ROOT / "tests" / "corpus" / corpus / "references.py", tmp_path)
    proc = subprocess.run([sys.executable, "-m", "grader", "validate", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0 and "is valid" in proc.stdout, proc.stdout + proc.stderr
