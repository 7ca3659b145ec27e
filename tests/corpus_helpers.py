"""Shared by the tests that grade a corpus spec: a submission made from the corpus's own by a
change, a copy of the spec with changed keys, and which tests failed with what message."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import yaml

from grader.grading.grade import grade_submission


def failing(results) -> dict[str, str]:
    """Each test that lost points, by name, with its output."""
    return {t.name: t.output for t in results.tests if t.score < t.max_score}


def graded(spec: Path, source: str, folder: Path, seed: int, change: tuple[str, str] | None = None):
    """The results of a submission of one file, ``source`` with ``change`` made (it must apply)."""
    if change is not None:
        assert change[0] in source, change[0]
        source = source.replace(*change)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "layers.py").write_text(source)
    return grade_submission(spec, folder, seed=seed)


def respecced(corpus: Path, folder: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of ``corpus``'s spec (and its references) with ``edit`` applied to its data."""
    spec = yaml.safe_load((corpus / "assignment.yaml").read_text())
    edit(spec)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assignment.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    if (corpus / "references.py").exists():
        shutil.copy(corpus / "references.py", folder)
    return folder
