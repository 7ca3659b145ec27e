"""``grade batch``: a whole class, graded in parallel, into one folder of results.

SUBMISSIONS is a folder with one sub-folder per submission, or a Gradescope "Export
Submissions" folder or zip (``submission_metadata.yml`` beside ``submission_<id>/``
folders, whose names and emails go into the CSV). Each submission is graded in its own
process (``--jobs`` at a time), its ``results.json`` written to ``OUT/<submission>/``;
then ``OUT/grades.csv``, ``OUT/summary.md`` and ``OUT/report.html`` are written from all of them. A hanging or
crashing submission costs its own time limit and nothing more. Before anyone is graded, a
self-check proves the grader works here. A result already there is kept (unless
``force``) only when it was graded from the same spec, grader and files; a submission
the grader failed on is an ``error`` row, graded again on the next run.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from grader.errors import GraderError, GraderFault
from grader.report.gradescope import json_number
from grader.report.text import printable
from grader.course.gradebook import write_gradebook
from grader.course.gradeone import grade_one, plan

MAX_EXPORT_BYTES = 2 << 30


@dataclass
class Entry:
    """One submission of the batch."""

    name: str
    folder: Path
    students: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    sids: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """What a batch run produced."""

    out: Path
    rows: list[dict[str, Any]]
    graded: int
    reused: int
    seconds: float
    summary: str
    errors: list[str] = field(default_factory=list)  # submissions the grader failed on


class _LenientLoader(yaml.SafeLoader):
    """Reads Gradescope's export metadata, whatever tags a future export may carry."""


_LenientLoader.add_multi_constructor("", lambda loader, suffix, node: (
    loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else
    loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else loader.construct_scalar(node)))


def discover(submissions: Path, workspace: Path) -> list[Entry]:
    """The submissions in a folder, a Gradescope export folder, or an export zip."""
    if submissions.is_file() and zipfile.is_zipfile(submissions):
        submissions = _extract(submissions, workspace)
    if not submissions.is_dir():
        raise GraderError(f"{submissions}: not a folder or a zip of submissions")
    metadata = next(iter(sorted(submissions.rglob("submission_metadata.yml"), key=lambda p: len(p.parts))), None)
    if metadata is not None:
        return _from_export(metadata)
    return [Entry(p.name, p) for p in sorted(submissions.iterdir()) if p.is_dir() and not p.name.startswith(".")]


def _extract(archive: Path, workspace: Path) -> Path:
    target = workspace / "export"
    with zipfile.ZipFile(archive) as zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_EXPORT_BYTES:
            raise GraderError(f"{archive}: the export unpacks to more than 2 GiB")
        for info in zf.infolist():
            path = (target / info.filename).resolve()
            if not path.is_relative_to(target.resolve()):
                raise GraderError(f"{archive}: entry {info.filename!r} points outside the export")
        zf.extractall(target)
    return target


def _from_export(metadata: Path) -> list[Entry]:
    try:
        data = yaml.load(metadata.read_text("utf-8"), Loader=_LenientLoader) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise GraderError(f"{metadata}: cannot read Gradescope's submission metadata ({e})") from None
    entries = []
    for folder, record in sorted(data.items()) if isinstance(data, dict) else []:
        path = metadata.parent / str(folder)
        if not path.is_dir():
            continue
        people = record.get(":submitters", []) if isinstance(record, dict) else []
        names = [str(p.get(":name", "")) for p in people if isinstance(p, dict)]
        emails = [str(p.get(":email", "")) for p in people if isinstance(p, dict)]
        sids = [str(p.get(":sid", "")) for p in people if isinstance(p, dict)]
        entries.append(Entry(str(folder), path, names, emails, sids))
    return entries


def run_batch(assignment: str | Path, submissions: str | Path, out: str | Path, *, jobs: int | None = None,
              force: bool = False, only: str | None = None, scheduler: str | None = None,
              gradebooks: tuple[str, ...] = (),
              progress: Callable[[int, int, str], None] | None = None,
              say: Callable[[str], None] | None = None) -> Batch:
    """Grade every submission in ``submissions`` into ``out``; see the module docstring.

    First a self-check (``selfcheck``): if the grader does not work here, GraderFault is
    raised before anyone is graded. ``say`` gets its one-line account. With ``scheduler``,
    the submissions are graded on that dask cluster (``cluster``) instead of here.
    ``gradebooks`` (canvas, moodle) also writes ``OUT/gradebook-<kind>.csv``."""
    from grader.grading.fingerprint import fingerprint
    from grader.report.gradescope import write_grader_fault
    from grader.grading.selfcheck import self_check
    from grader.sandbox.launcher import shutdown
    from grader.spec import load_assignment
    from grader.grading.submission import find_files
    from grader.report.summary import summarize
    from grader.report.classreport import class_report

    started = time.monotonic()
    assignment_obj, _ = load_assignment(assignment)  # a bad spec stops here, before any grading
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fault = None
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp:
        entries = discover(Path(submissions), Path(tmp))
        if only is not None and only not in {e.name for e in entries}:
            raise GraderError(f"no submission named {only!r} in {submissions}")
        current = {e.name: fingerprint(assignment_obj, find_files(e.folder, assignment_obj.files)) for e in entries}
        todo = [e for e in entries if (e.name == only) or (only is None and (force or not _done(out, e, current[e.name])))]
        data: dict[str, dict] = {}
        try:
            line = self_check(assignment, hide=[out])
            if say:
                say(line)
        except GraderFault as e:  # nobody is graded: each of them is an error row saying why
            fault = e
            for entry in todo:
                data[entry.name] = write_grader_fault(out / entry.name / "results.json", e.cause)
        finally:
            shutdown()  # the self-check's zygote: this process grades nobody itself
        if fault is None and scheduler:
            from grader.course.cluster import grade_on_cluster

            data.update(grade_on_cluster(scheduler, assignment_obj.root, assignment_obj.files, todo, out, progress))
        elif fault is None:
            plan(str(assignment), assignment_obj)
            data.update(_grade_all(str(assignment), todo, out, jobs, progress))
        for entry in entries:
            if entry.name not in data:
                data[entry.name] = json.loads((out / entry.name / "results.json").read_text("utf-8"))
    rows = _write_csv(out / "grades.csv", entries, data)
    summary = summarize(assignment_obj.id, rows, data)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    (out / "report.html").write_text(class_report(assignment_obj.id, rows, data), encoding="utf-8")
    for kind in gradebooks:  # the CSVs an LMS imports (``gradebook``)
        write_gradebook(kind, out / f"gradebook-{kind}.csv", assignment_obj.title, entries, rows)
    if fault is not None:
        raise fault
    errors = [row["submission"] for row in rows if row["status"] == "error"]
    return Batch(out, rows, len(todo), len(entries) - len(todo), time.monotonic() - started, summary, errors)


def _grade_all(assignment: str, todo: list[Entry], out: Path, jobs: int | None,
               progress: Callable[[int, int, str], None] | None) -> dict[str, dict]:
    """Grade ``todo`` in ``jobs`` pool processes; each one's results.json data, by name."""
    from grader.report.gradescope import write_grader_fault

    data: dict[str, dict] = {}
    with ProcessPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        futures = {pool.submit(grade_one, assignment, str(e.folder), str(out / e.name / "results.json")): e
                   for e in todo}
        for count, future in enumerate(as_completed(futures), start=1):
            entry = futures[future]
            try:
                data[entry.name] = future.result()["data"]
            except Exception as e:  # the pool process itself died
                data[entry.name] = write_grader_fault(out / entry.name / "results.json",
                                                 f"the grader's process failed: {type(e).__name__}: {e}")
            if progress:
                progress(count, len(todo), entry.name)
    return data


def _done(out: Path, entry: Entry, fingerprint: str) -> bool:
    """Whether ``out`` holds a result of this very grading: graded (not an error), and from
    the same spec, grader and submitted files."""
    from grader.report.gradescope import is_error

    path = out / entry.name / "results.json"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and not is_error(data) and data["extra_data"].get("fingerprint") == fingerprint


def _write_csv(path: Path, entries: list[Entry], data: dict[str, dict]) -> list[dict[str, Any]]:
    """grades.csv: a row per submission; ``status`` is ``graded``, or ``error`` when the
    grader could not grade it (its scores are then left empty, not 0)."""
    from grader.report.gradescope import is_error

    tests: list[str] = []
    for entry in entries:
        for t in data[entry.name].get("tests", []):
            if t["name"] not in tests:
                tests.append(t["name"])
    export = any(e.students for e in entries)
    header = ["submission", "status", "score", "max_score", *tests] + (["students", "emails", "sids"] if export else [])
    rows = []
    for entry in entries:
        result = data[entry.name]
        if is_error(result):
            row = {"submission": entry.name, "status": "error", "score": "", "max_score": "",
                   **{name: "" for name in tests}}
        else:
            scores = {t["name"]: t.get("score", 0) for t in result.get("tests", [])}
            max_score = sum(t.get("max_score", 0) for t in result.get("tests", []))
            row = {"submission": entry.name, "status": "graded", "score": result.get("score", 0),
                   "max_score": json_number(max_score), **{name: scores.get(name, 0) for name in tests}}
        if export:
            row["students"] = "; ".join(entry.students)
            row["emails"] = "; ".join(entry.emails)
            row["sids"] = "; ".join(entry.sids)
        rows.append(row)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def terminal_progress(stream=sys.stderr, every: float = 5.0) -> Callable[[int, int, str], None]:
    """A one-line progress bar on a terminal; elsewhere (the log of a CI or cluster job) a
    plain line every ``every`` seconds and one at the end."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        started = time.monotonic()
        last = [started]

        def log(done: int, total: int, name: str) -> None:
            now = time.monotonic()
            if done == total or now - last[0] >= every:
                last[0] = now
                rate = done / max(now - started, 1e-9)
                stream.write(f"graded {done}/{total} ({rate:.1f} per second)\n")
                stream.flush()

        return log

    def show(done: int, total: int, name: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        stream.write(f"\r[{'=' * filled}{' ' * (width - filled)}] {done}/{total} {printable(name)[:30]:<30}")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show
