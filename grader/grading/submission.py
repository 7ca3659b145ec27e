"""Finding the student's files in a submission folder, and the seed that belongs to it.

Uploads arrive as the student made them: ``nodes.py`` may sit at the top or in
``hw2/code/nodes.py``. Each required file is found by name at any depth (the shallowest
wins; ties are broken by path order, and the choice is reported).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILES_SCANNED = 10_000


@dataclass
class Submission:
    """The files found (name -> path), the ones missing, and notes for the report."""

    folder: Path
    found: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def seed(self) -> int:
        """A seed derived from the submitted files' bytes: a new upload, new hidden cases."""
        digest = hashlib.sha256()
        for name in sorted(self.found):
            digest.update(name.encode())
            try:
                digest.update(self.found[name].read_bytes())
            except OSError:
                pass
        return int.from_bytes(digest.digest()[:4], "big")


def find_files(folder: str | Path, names: list[str]) -> Submission:
    """Locate each of ``names`` under ``folder``."""
    folder = Path(folder)
    submission = Submission(folder)
    candidates: dict[str, list[Path]] = {n: [] for n in names}
    count = 0
    for base, folders, files in os.walk(folder):
        # breadth of the walk is the student's files: not hidden folders, caches or a venv
        folders[:] = sorted(f for f in folders if not _skipped(Path(base) / f))
        for name in sorted(files):
            count += 1
            if count > MAX_FILES_SCANNED:
                break
            if name in candidates and (Path(base) / name).is_file():
                candidates[name].append(Path(base) / name)
        if count > MAX_FILES_SCANNED:
            submission.notes.append(f"the submission has more than {MAX_FILES_SCANNED} files; "
                                    "only the first were searched")
            break
    for name, paths in candidates.items():
        if not paths:
            submission.missing.append(name)
            continue
        paths.sort(key=lambda p: (len(p.relative_to(folder).parts), str(p)))
        submission.found[name] = paths[0]
        if len(paths) > 1:
            submission.notes.append(f"found {len(paths)} files named {name}; graded "
                                    f"{paths[0].relative_to(folder)}")
    return submission


def _skipped(folder: Path) -> bool:
    """Folders that hold no file of the student's: hidden ones (.git, .venv), caches, and any
    virtual environment or installed packages, whatever their name."""
    return folder.name.startswith(".") or folder.name in ("__pycache__", "site-packages", "node_modules") \
        or (folder / "pyvenv.cfg").exists()


def gradescope_seed(metadata: str | Path) -> int | None:
    """The submission id from Gradescope's submission_metadata.json, if it can be read."""
    try:
        data = json.loads(Path(metadata).read_text("utf-8"))
        return int(data["id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
