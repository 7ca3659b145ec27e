"""A batch graded on a dask.distributed cluster: ``grade batch ... --scheduler ADDRESS``.

The assignment's folder and each submission's files travel to the dask workers as file
contents, so the workers need the grader installed (and what the sandbox needs, as for any
``grade run``) but no shared file system. Each dask worker grades in its own sandbox exactly
as a local batch does and sends the results back; they are written here, into the same
folder, CSV and summary as a local run. dask schedules a dead worker's submissions on
another one. This module is the only one that imports dask, and only when a scheduler is
given (``pip install ".[cluster]"``).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Callable

from grader.errors import GraderError

MAX_FOLDER_BYTES = 64 << 20  # an assignment folder or a submission sent to a worker
CONNECT_SECONDS = 30
_SKIPPED = {"__pycache__", "node_modules"}


def pack(folder: Path, names: list[str] | None = None) -> dict[str, bytes]:
    """A folder's files as {relative path: contents}: every file (hidden folders and caches
    left out), or only ``names`` (a submission's files, as the grader found them)."""
    files: dict[str, bytes] = {}
    if names is not None:
        from grader.grading.submission import find_files

        found = find_files(folder, names).found
        files = {name: Path(path).read_bytes() for name, path in found.items()}
    else:
        for root, dirs, filenames in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED]
            for filename in filenames:
                path = Path(root) / filename
                if path.is_file() and not path.is_symlink():
                    files[str(path.relative_to(folder))] = path.read_bytes()
    if sum(len(b) for b in files.values()) > MAX_FOLDER_BYTES:
        raise GraderError(f"{folder}: more than {MAX_FOLDER_BYTES >> 20} MB to send to the cluster")
    return files


def unpack(files: dict[str, bytes], folder: Path) -> Path:
    """Write packed files under ``folder`` (refusing paths that leave it)."""
    for name, content in files.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise GraderError(f"a packed file points outside its folder: {name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def grade_packed(assignment: dict[str, bytes], assignment_name: str, submission: dict[str, bytes], name: str) -> dict:
    """On a dask worker: one submission graded from packed files, as ``grade batch`` grades
    it locally; its results.json data and the seconds it took."""
    from grader.course.gradeone import grade_one

    with tempfile.TemporaryDirectory(prefix="grader-cluster-") as tmp:
        root = Path(tmp)
        spec = unpack(assignment, root / "assignment" / assignment_name)
        folder = unpack(submission, root / "submission" / name)
        return grade_one(str(spec), str(folder), str(root / "results" / "results.json"))


def _same(value):
    return value


def grade_on_cluster(scheduler: str, assignment: Path, files: list[str], todo: list, out: Path,
                     progress: Callable[[int, int, str], None] | None) -> dict[str, dict]:
    """Grade the entries ``todo`` on the cluster at ``scheduler``; their results.json data by
    name, each written to ``out/<name>/results.json`` as it arrives."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise GraderError('--scheduler needs dask.distributed: pip install ".[cluster]"') from None
    from grader.report.gradescope import quick_errors, write_grader_fault, write_json_atomic

    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as e:
        raise GraderError(f"cannot reach the dask scheduler at {scheduler}: {e}") from None
    data: dict[str, dict] = {}
    with client:
        # a task, not scattered data: if the workers holding it die, dask computes it again
        packed = client.submit(_same, pack(assignment), key=f"assignment-{uuid.uuid4().hex[:8]}", pure=False)
        futures = {}
        for entry in todo:
            try:
                submission = pack(entry.folder, files)
            except (GraderError, OSError) as e:
                data[entry.name] = write_grader_fault(out / entry.name / "results.json", str(e))
                continue
            futures[client.submit(grade_packed, packed, assignment.name, submission, entry.name,
                                  key=f"grade-{entry.name}-{uuid.uuid4().hex[:8]}", pure=False)] = entry
        for future in as_completed(futures):
            entry = futures[future]
            path = out / entry.name / "results.json"
            try:
                result = future.result()["data"]
                problems = quick_errors(result)
                if problems:
                    raise ValueError(f"invalid results ({problems[0]})")
                write_json_atomic(result, path)
                data[entry.name] = result
            except Exception as e:  # a worker that died too often, or a bug of ours there
                data[entry.name] = write_grader_fault(path, f"the cluster failed to grade it: {type(e).__name__}: {e}")
            if progress:
                progress(len(data), len(todo), entry.name)
    return data
