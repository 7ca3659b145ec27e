"""``grade autograder``: the zip an instructor uploads to Gradescope.

Its root holds ``setup.sh`` and ``run_autograder`` (not a folder around them: the classic
mistake), the assignment folder with the full spec (hidden tests included) and provided
files, the grader as a wheel of exactly the installed code, and pinned requirements.
Nothing from ``solutions/`` goes in.

It also says which of the spec's limits do not fit the container Gradescope runs the zip in
(by default 768 MB of memory, 0.5 vCPU, 10 minutes): past the container's limits Gradescope
kills everything and the student sees no results, so the grader's own limits must fire first.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from grader.errors import GraderError, Problem

GRADESCOPE_MEMORY_MB = 768   # Gradescope's default container
GRADESCOPE_TIMEOUT = 600.0   # seconds
# What the grader needs beside student code's limits (README, "Limits and Gradescope's
# container"; bench/limits.py): memory for itself (45 MB at peak) and for the loaded worker
# (30 MB, outside the per-process limit of the fork that runs a node), twice over; time before
# the total limit's clock starts and after it runs out (start-up, ending the worker, writing
# results.json: 0.3 to 0.6 s at half a CPU; about 25 s if every wait on a worker that resists
# runs to its deadline), with room to spare.
GRADER_MEMORY_MB = 160
GRADER_SECONDS = 60.0


@dataclass
class AutograderZip:
    path: Path
    files: list[str]
    warnings: list[Problem] = field(default_factory=list)  # limits that do not fit the container


def container_fit(limits: dict[str, Any], *, memory_mb: int = GRADESCOPE_MEMORY_MB,
                  timeout: float = GRADESCOPE_TIMEOUT) -> dict[str, str]:
    """Each limit (the spec's, over the defaults) that does not fit a container of
    ``memory_mb`` and ``timeout`` seconds, with why: empty when they all fit."""
    from grader.sandbox.limits import DEFAULT_LIMITS

    from grader.sandbox.rootfs import SCRATCH, SCRATCH_MB

    limits = {**DEFAULT_LIMITS, **limits}
    memory, disk = limits["memory_mb"], limits["disk_mb"] + len(SCRATCH) * SCRATCH_MB
    total, call, cpu = limits["total_seconds"], limits["call_seconds"], limits["cpu_seconds"]
    problems = {}
    if memory + GRADER_MEMORY_MB > memory_mb:
        problems["memory_mb"] = (
            f"{memory:g} MB for student code plus about {GRADER_MEMORY_MB} MB for the grader is more than the "
            f"container's {memory_mb:g} MB: a submission that uses its limit fills the container first, and "
            f"Gradescope ends the run with no results; at most {max(memory_mb - GRADER_MEMORY_MB, 0):g} fits")
    elif memory + disk + GRADER_MEMORY_MB > memory_mb:
        problems["disk_mb"] = (
            f"the worker's folders are held in memory: {disk:g} MB of them (disk_mb and the private /tmp) plus "
            f"memory_mb ({memory:g} MB) and about {GRADER_MEMORY_MB} MB for the grader is more than the "
            f"container's {memory_mb:g} MB; at most {max(memory_mb - GRADER_MEMORY_MB - memory - (disk - limits['disk_mb']), 0):g} fits")
    if total + GRADER_SECONDS > timeout:
        problems["total_seconds"] = (
            f"{total:g} s for the submission plus about {GRADER_SECONDS:g} s for the grader (start-up, ending the "
            f"worker, writing results) is more than the container's {timeout:g} s: a submission that runs that "
            f"long is ended by Gradescope with no results; at most {max(timeout - GRADER_SECONDS, 0):g} fits")
    if cpu < call:
        problems["cpu_seconds"] = (
            f"{cpu:g} s of CPU time per process is less than call_seconds ({call:g} s): a call that computes "
            "for that long is killed by the kernel and reported as a crash, not as a call past its time limit")
    return problems


def build_autograder(assignment_dir: str | Path, out: str | Path, *, memory_mb: int = GRADESCOPE_MEMORY_MB,
                     timeout: float = GRADESCOPE_TIMEOUT) -> AutograderZip:
    """Validate the assignment and write its Gradescope autograder zip to ``out``; its
    ``warnings`` name each limit that does not fit a container of ``memory_mb`` MB and
    ``timeout`` seconds (Gradescope's defaults unless the instructor chose others)."""
    from grader.spec import load_assignment, spec_path
    from grader.spec.yamlsource import load_yaml
    from grader.course.wheel import build_wheel, pinned_requirements

    assignment, _ = load_assignment(assignment_dir)
    doc = load_yaml(assignment.spec_file, str(spec_path(assignment_dir)))  # where each limit is written
    warnings = []
    for key, why in container_fit(assignment.limits, memory_mb=memory_mb, timeout=timeout).items():
        if key not in assignment.limits:
            why += f" ({key} is not set in the spec: this is the default; set limits.{key} to change it)"
        warnings.append(doc.problem(("limits", key), why, severity="warning"))
    entries: dict[str, tuple[bytes, int]] = {}
    scripts = resources.files("grader.course").joinpath("gradescope_files")
    for name in ("setup.sh", "run_autograder"):
        entries[name] = (scripts.joinpath(name).read_bytes(), 0o755)
    entries[f"{assignment.id}/assignment.yaml"] = (assignment.spec_file.read_bytes(), 0o644)
    for name in assignment.shipped:
        entries[f"{assignment.id}/{name}"] = ((assignment.root / name).read_bytes(), 0o644)
    entries["requirements.txt"] = ("\n".join(pinned_requirements()).encode() + b"\n", 0o644)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp))
        entries[wheel.name] = (wheel.read_bytes(), 0o644)
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, (data, mode) in entries.items():
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = mode << 16
                zf.writestr(info, data)
    except OSError as e:
        raise GraderError(f"{out}: cannot write the zip ({e.strerror or e})") from None
    return AutograderZip(out, sorted(entries), warnings)
