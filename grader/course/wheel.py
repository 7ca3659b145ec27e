"""A wheel of the grader exactly as it is installed here, and the pinned requirements it runs
with, so that an autograder container installs the very code that was tested."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from importlib import metadata
from pathlib import Path

import grader

DIST = "backprop-grader"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(out_dir: Path) -> Path:
    """Write ``backprop_grader-<version>-py3-none-any.whl`` from the installed package files."""
    version = grader.__version__
    package = Path(grader.__file__).resolve().parent
    name = f"backprop_grader-{version}"
    wheel = out_dir / f"{name}-py3-none-any.whl"
    records: list[str] = []
    requires = [f"Requires-Dist: {r}" for r in _direct_requirements()]
    files: dict[str, bytes] = {}
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[f"grader/{path.relative_to(package).as_posix()}"] = path.read_bytes()
    files[f"{name}.dist-info/METADATA"] = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {DIST}", f"Version: {version}", "Requires-Python: >=3.10",
         *requires, ""]).encode()
    files[f"{name}.dist-info/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: grader.course.wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{name}.dist-info/entry_points.txt"] = b"[console_scripts]\ngrade = grader.cli:main\n"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files.items():
            zf.writestr(_fixed(arcname), data)
            records.append(f"{arcname},{_record_hash(data)},{len(data)}")
        records.append(f"{name}.dist-info/RECORD,,")
        zf.writestr(_fixed(f"{name}.dist-info/RECORD"), "\n".join(records) + "\n")
    return wheel


def _fixed(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date, so the same code gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _direct_requirements() -> list[str]:
    try:
        return [r for r in metadata.requires(DIST) or [] if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        return ["numpy", "click", "pyyaml", "jsonschema"]


def pinned_requirements() -> list[str]:
    """``name==version`` for every runtime dependency, transitively, as installed here."""
    pins: dict[str, str] = {}
    todo = [re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0] for r in _direct_requirements()]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        for req in dist.requires or []:
            marker = req.partition(";")[2]
            if "extra ==" in marker or "Windows" in marker or "win32" in marker:
                continue  # optional, or for another platform than Gradescope's Linux
            todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
    return sorted(pins.values(), key=str.lower)
