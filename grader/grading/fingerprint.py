"""What a grade depends on: the spec (and the files it provides), the grader's own code, and
the submitted files. Their digest is kept in each results.json, so a batch rerun reuses a
result only when none of them has changed since it was written."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from grader.spec.model import Assignment
from grader.grading.submission import Submission


@lru_cache(maxsize=1)
def grader_digest() -> str:
    """A digest of the grader package's files: a new version, or any edit of an editable
    install, changes it."""
    root = Path(__file__).resolve().parents[1]  # the whole grader package
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".json", ".sh", "")
                       and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(assignment: Assignment, submission: Submission) -> str:
    """The digest of everything a grade of ``submission`` depends on (seed aside: it is
    derived from these files, or recorded with the results)."""
    digest = hashlib.sha256(grader_digest().encode())
    for path in [assignment.spec_file, *(assignment.root / name for name in assignment.shipped)]:
        digest.update(b"spec\0" + _read(path))
    for name in sorted(submission.found):
        digest.update(b"file\0" + name.encode() + b"\0" + _read(submission.found[name]))
    for name in sorted(submission.missing):
        digest.update(b"missing\0" + name.encode())
    return digest.hexdigest()[:32]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        return f"unreadable: {e}".encode()
