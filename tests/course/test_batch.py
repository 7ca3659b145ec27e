"""``grade batch`` over a class: 24 submissions (solutions, buggy files, one that hangs, one
with a syntax error, one empty), a Gradescope export with names, re-runs and --only."""

from __future__ import annotations

import csv
import json
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.course.batch import run_batch
from grader.cli import main
from grader.report.gradescope import validation_errors

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "scalar-graphs"
SOLUTION = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
BUGGY = sorted((ROOT / "tests" / "corpus" / "students" / "scalar-graphs").glob("*/nodes.py"))


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    kinds = {}
    for i in range(24):
        sub = folder / f"student-{i:02d}"
        sub.mkdir()
        if i == 0:
            (sub / "nodes.py").write_text(SOLUTION.replace("class Exp:", "while True:\n    pass\n\n\nclass Exp:"))
            kinds[sub.name] = "hangs"
        elif i == 1:
            (sub / "nodes.py").write_text("class Add(\n")
            kinds[sub.name] = "syntax"
        elif i == 2:
            kinds[sub.name] = "empty"
        elif i % 3 == 0:
            shutil.copy(BUGGY[i % len(BUGGY)], sub / "nodes.py")
            kinds[sub.name] = "buggy"
        else:
            (sub / "hw").mkdir()
            (sub / "hw" / "nodes.py").write_text(SOLUTION)
            kinds[sub.name] = "solution"
    (folder / ".kinds.json").write_text(json.dumps(kinds))
    return folder


def test_a_class(classroom, tmp_path):
    kinds = json.loads((classroom / ".kinds.json").read_text())
    out = tmp_path / "out"
    start = time.monotonic()
    batch = run_batch(ASSIGNMENT, classroom, out, jobs=2)
    elapsed = time.monotonic() - start
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert len(rows) == 24 and batch.graded == 24
    top = float(rows["student-03"]["max_score"])
    for name, kind in kinds.items():
        score = float(rows[name]["score"])
        data = json.loads((out / name / "results.json").read_text())
        assert not validation_errors(data)
        if kind == "solution":
            assert score == top, name
        elif kind in ("empty", "syntax", "hangs"):
            assert score == 0, name
        else:
            assert 0 <= score < top, name
    header = next(csv.reader(open(out / "grades.csv")))
    assert header[:4] == ["submission", "status", "score", "max_score"] and len(header) > 50  # every test
    assert {r["status"] for r in rows.values()} == {"graded"}
    summary = (out / "summary.md").read_text()
    assert "median" in summary and "Pass rate per node and check" in summary and "re-teach" in summary
    reteach = summary[summary.index("re-teach"):summary.index("Missing or unfinished")]
    assert "not found" not in reteach and "not implemented" not in reteach  # the empty one is kept apart
    rows_per_check = [line for line in summary.splitlines() if line.startswith("| Exp | ")]
    assert 1 <= len(rows_per_check) <= 8  # one row per check of a node (7 kinds), not one per test
    # parallel: about the sum of the gradings' own times over the two jobs (plus start-up)
    assert elapsed < 60, f"{elapsed:.1f} s"

    again = run_batch(ASSIGNMENT, classroom, out, jobs=2)
    assert again.graded == 0 and again.reused == 24
    only = run_batch(ASSIGNMENT, classroom, out, jobs=2, only="student-04")
    assert only.graded == 1


def test_a_gradescope_export_zip_with_names(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    meta = {}
    for sid, (who, source) in enumerate([("Ada Lovelace", SOLUTION), ("Alan Turing", "class Add:\n    pass\n")], 1):
        folder = export / f"submission_{1000 + sid}"
        folder.mkdir()
        (folder / "nodes.py").write_text(source)
        meta[folder.name] = {":submitters": [{":name": who, ":sid": str(sid), ":email": f"s{sid}@uni.edu"}],
                             ":created_at": "2026-11-01 10:00:00", ":score": 0.0}
    (export / "submission_metadata.yml").write_text(yaml.safe_dump(meta))
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in export.rglob("*"):
            zf.write(path, Path("assignment_123_export") / path.relative_to(export))
    result = CliRunner().invoke(main, ["batch", str(ASSIGNMENT), str(archive), "--out", str(tmp_path / "out"),
                                       "--jobs", "2", "--gradebook", "canvas", "--gradebook", "moodle"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(tmp_path / "out" / "grades.csv")))
    assert [r["students"] for r in rows] == ["Ada Lovelace", "Alan Turing"]
    assert rows[0]["emails"] == "s1@uni.edu" and rows[1]["sids"] == "2"
    assert float(rows[0]["score"]) == float(rows[0]["max_score"]) > float(rows[1]["score"])
    canvas = list(csv.reader(open(tmp_path / "out" / "gradebook-canvas.csv")))
    column = f"Computational graphs with scalar nodes ({rows[0]['max_score']} points)"
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    assert [(r[0], r[2], r[3], r[5]) for r in canvas[1:]] == [("Ada Lovelace", "1", "s1@uni.edu", rows[0]["score"]),
                                                             ("Alan Turing", "2", "s2@uni.edu", rows[1]["score"])]
    moodle = list(csv.reader(open(tmp_path / "out" / "gradebook-moodle.csv")))
    assert moodle[0][0] == "Email address" and moodle[1:] == [["s1@uni.edu", rows[0]["score"]], ["s2@uni.edu", rows[1]["score"]]]


def test_batch_refuses_a_zip_that_escapes(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.txt", "x")
    result = CliRunner().invoke(main, ["batch", str(ASSIGNMENT), str(archive), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "outside the export" in result.output
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_a_rerun_keeps_a_result_only_when_spec_grader_and_files_are_unchanged(tmp_path, monkeypatch):
    spec = tmp_path / "assignment"
    shutil.copytree(ASSIGNMENT, spec)
    classroom = tmp_path / "class"
    for name in ("ada", "alan"):
        (classroom / name).mkdir(parents=True)
        (classroom / name / "nodes.py").write_text(SOLUTION)
    out = tmp_path / "out"
    first = run_batch(spec, classroom, out, jobs=1)
    assert (first.graded, first.reused) == (2, 0)
    assert (run_batch(spec, classroom, out, jobs=1).graded, run_batch(spec, classroom, out, jobs=1).reused) == (0, 2)

    data = yaml.safe_load((spec / "assignment.yaml").read_text())  # the instructor edits the points
    data["graphs"]["add-mul"]["points"] = 7
    (spec / "assignment.yaml").write_text(json.dumps(data))
    edited = run_batch(spec, classroom, out, jobs=1)
    assert (edited.graded, edited.reused) == (2, 0)
    assert float(edited.rows[0]["max_score"]) == float(first.rows[0]["max_score"]) + 5

    (classroom / "alan" / "nodes.py").write_text(SOLUTION.replace("return x + y", "return x - y", 1))
    resubmitted = run_batch(spec, classroom, out, jobs=1)
    assert (resubmitted.graded, resubmitted.reused) == (1, 1)

    import grader.grading.fingerprint
    monkeypatch.setattr(grader.grading.fingerprint, "grader_digest", lambda: "a newer grader")
    upgraded = run_batch(spec, classroom, out, jobs=1)
    assert (upgraded.graded, upgraded.reused) == (2, 0)


def test_progress_off_a_terminal_is_a_line_every_few_seconds():
    import io

    from grader.course.batch import terminal_progress

    log = io.StringIO()
    show = terminal_progress(log, every=3600)
    for done in range(1, 6):
        show(done, 5, f"student-{done}")
    assert log.getvalue().splitlines()[-1].startswith("graded 5/5 (") and len(log.getvalue().splitlines()) == 1
    chatty = io.StringIO()
    show = terminal_progress(chatty, every=0)
    for done in range(1, 4):
        show(done, 3, "x")
    assert [line.split(" (")[0] for line in chatty.getvalue().splitlines()] == ["graded 1/3", "graded 2/3", "graded 3/3"]


def test_a_gradebook_gives_every_member_a_row_and_an_error_no_grade(tmp_path):
    from grader.course.batch import Entry
    from grader.course.gradebook import write_gradebook

    entries = [Entry("submission_1", tmp_path, ["Ada", "Alan"], ["a@u.edu", "t@u.edu"], ["1", "2"]),
               Entry("submission_2", tmp_path, ["Grace"], ["g@u.edu"], ["3"])]
    rows = [{"submission": "submission_1", "status": "graded", "score": 7.5, "max_score": 10},
            {"submission": "submission_2", "status": "error", "score": "", "max_score": ""}]
    assert write_gradebook("moodle", tmp_path / "m.csv", "HW", entries, rows) == 3
    assert list(csv.reader(open(tmp_path / "m.csv"))) == [["Email address", "HW (10 points)"], ["a@u.edu", "7.5"],
                                                          ["t@u.edu", "7.5"], ["g@u.edu", ""]]
