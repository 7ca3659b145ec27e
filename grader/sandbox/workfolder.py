"""The worker's folder: a fresh private copy of the submission for every worker, owned by
the worker's user, so whatever one worker did to its files (rewrote one, made it
unreadable) cannot reach the next; and its removal, whatever student code did to it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def fresh_copy(files: dict[str, Path], owner: tuple[int, int] | None) -> Path:
    """A new temporary folder holding ``files`` (name in the folder -> source), given to
    ``owner`` (uid, gid) when there is one."""
    folder = Path(tempfile.mkdtemp(prefix="grader-work-"))
    try:
        for name, source in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / name)
        if owner is not None:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, *owner)
            os.chmod(folder, 0o700)
    except OSError:
        remove(folder)  # nothing half-made is left behind
        raise
    return folder


def remove(folder: Path) -> None:
    """Delete a worker's folder, even parts student code made unreadable."""
    def unlock(function, path, _):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass
    shutil.rmtree(folder, onerror=unlock)
