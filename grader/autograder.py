"""``grade autograder``: the zip an instructor uploads to Gradescope.

Its root holds ``setup.sh`` and ``run_autograder`` (not a folder around them: the classic
mistake), the assignment folder with the full spec (hidden tests included) and provided
files, the grader as a wheel of exactly the installed code, and pinned requirements.
Nothing from ``solutions/`` goes in.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from grader.errors import GraderError


@dataclass
class AutograderZip:
    path: Path
    files: list[str]


def build_autograder(assignment_dir: str | Path, out: str | Path) -> AutograderZip:
    """Validate the assignment and write its Gradescope autograder zip to ``out``."""
    from grader.spec import load_assignment
    from grader.wheel import build_wheel, pinned_requirements

    assignment, _ = load_assignment(assignment_dir)
    entries: dict[str, tuple[bytes, int]] = {}
    scripts = resources.files("grader").joinpath("gradescope_files")
    for name in ("setup.sh", "run_autograder"):
        entries[name] = (scripts.joinpath(name).read_bytes(), 0o755)
    entries[f"{assignment.id}/assignment.yaml"] = (assignment.spec_file.read_bytes(), 0o644)
    for name in assignment.provided:
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
    return AutograderZip(out, sorted(entries))
