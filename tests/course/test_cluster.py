"""``grade batch --scheduler``: a class graded on a dask.distributed cluster (2 workers in
processes, on this machine) gives the grades.csv of a local run; a rerun skips what is done;
a worker killed mid-batch has its submissions graded elsewhere; without a scheduler dask is
never imported."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course.batch import run_batch
from grader.course.cluster import pack, unpack
from grader.errors import GraderError

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "scalar-graphs"
SOLUTION = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
BUGGY = sorted((ROOT / "tests" / "corpus" / "students" / "scalar-graphs").glob("*/nodes.py"))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as local:
        yield local


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Path:
    """Six submissions: two solutions (one nested as uploads are), three buggy, one empty."""
    folder = tmp_path_factory.mktemp("class")
    for i in range(6):
        (folder / f"student-{i}").mkdir()
    (folder / "student-0" / "nodes.py").write_text(SOLUTION)
    (folder / "student-1" / "hw").mkdir()
    (folder / "student-1" / "hw" / "nodes.py").write_text(SOLUTION)
    for i, path in zip((2, 3, 4), BUGGY[:3]):
        (folder / f"student-{i}" / "nodes.py").write_text(path.read_text())
    return folder


def test_the_cluster_grades_the_class_as_a_local_run_does(cluster, classroom, tmp_path):
    run_batch(ASSIGNMENT, classroom, tmp_path / "local", jobs=2)
    remote = run_batch(ASSIGNMENT, classroom, tmp_path / "remote", scheduler=cluster.scheduler_address)
    assert remote.graded == 6 and not remote.errors
    assert (tmp_path / "remote" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    assert (tmp_path / "remote" / "summary.md").read_text() == (tmp_path / "local" / "summary.md").read_text()
    scores = {r["submission"]: r["score"] for r in remote.rows}
    assert scores["student-0"] == scores["student-1"] == 117 and scores["student-5"] == 0
    again = run_batch(ASSIGNMENT, classroom, tmp_path / "remote", scheduler=cluster.scheduler_address)
    assert again.graded == 0 and again.reused == 6


def test_a_worker_killed_mid_batch_costs_nobody_a_grade(cluster, classroom, tmp_path):
    """When the first result arrives, every worker process is killed: the nannies restart
    them and dask grades the submissions they held again."""
    killed = []
    with distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

    def progress(done: int, total: int, name: str) -> None:
        if not killed:
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    batch = run_batch(ASSIGNMENT, classroom, tmp_path / "out", scheduler=cluster.scheduler_address, progress=progress)
    assert killed and batch.graded == 6 and not batch.errors
    assert {r["submission"]: r["score"] for r in batch.rows}["student-1"] == 117


def test_an_unreachable_scheduler_is_a_clear_error(classroom, tmp_path, monkeypatch):
    monkeypatch.setattr("grader.course.cluster.CONNECT_SECONDS", 2)
    result = CliRunner().invoke(main, ["batch", str(ASSIGNMENT), str(classroom), "--out", str(tmp_path / "o"),
                                       "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1 and "cannot reach the dask scheduler at tcp://127.0.0.1:9" in result.output, result.output
    assert "Traceback" not in result.output


def test_without_a_scheduler_dask_is_not_imported(tmp_path):
    (tmp_path / "class" / "one").mkdir(parents=True)
    (tmp_path / "class" / "one" / "nodes.py").write_text(SOLUTION)
    code = ("import sys; from grader.course.batch import run_batch; "
            f"run_batch({str(ASSIGNMENT)!r}, {str(tmp_path / 'class')!r}, {str(tmp_path / 'o')!r}, jobs=1); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("[]"), proc.stdout + proc.stderr


def test_packed_files_stay_inside_their_folder(tmp_path):
    (tmp_path / "a" / "sub").mkdir(parents=True)
    (tmp_path / "a" / "sub" / "x.py").write_text("1")
    (tmp_path / "a" / ".git").mkdir()
    (tmp_path / "a" / ".git" / "config").write_text("secret")
    files = pack(tmp_path / "a")
    assert files == {"sub/x.py": b"1"}
    unpack(files, tmp_path / "b")
    assert (tmp_path / "b" / "sub" / "x.py").read_text() == "1"
    with pytest.raises(GraderError, match="outside its folder"):
        unpack({"../escape.py": b""}, tmp_path / "c")
