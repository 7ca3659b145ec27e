"""Virtual environments for tests that need the grader installed in other ways than the one
running the tests (editable, from a wheel, not at all), made offline in a few seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path


def make_venv(path: Path, repo: Path | None, *install: str) -> Path:
    """A venv at ``path`` with the grader installed from ``repo`` by pip (none when
    ``repo`` is None), offline: its dependencies are hard links to this interpreter's own
    packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    target = Path(sysconfig.get_path("purelib", vars={"base": str(path), "platbase": str(path)}))
    shutil.rmtree(target)

    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    shutil.copytree(sysconfig.get_path("purelib"), target, copy_function=link, ignore=shutil.ignore_patterns(
        "grader", "backprop_grader*", "__editable__*", "__pycache__"))
    if repo is None:
        return path
    subprocess.run([sys.executable, "-m", "pip", "--python", str(path / "bin" / "python"), "install", "-q",
                    "--no-deps", "--no-build-isolation", "--no-index", *install, str(repo)],
                   check=True, capture_output=True)
    return path
