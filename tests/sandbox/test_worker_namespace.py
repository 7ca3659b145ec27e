"""Nothing in the worker's process is of use to student code: walking ``sys.modules``,
``gc.get_objects()`` and every frame's locals and globals from inside student code finds no
object of the grader's engine, spec, reference or checks (only the worker's own loop, its
protocol and its launcher), and with the import guard removed, the engine still cannot be
imported: its files are not in the worker's root. Both in node tests and in graph tests
(the student's nodes on the grader's driver, and a student's own engine), both modes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accounts import as_ordinary_user, give_to_ordinary_user, ordinary_user

ROOT = Path(__file__).resolve().parents[2]
MODES = ["root", "ordinary"] if os.geteuid() == 0 else ["ordinary"]

# what student code may find of the grader: the worker and what it runs on
ALLOWED = {"grader", "grader.sandbox", *(f"grader.sandbox.{m}" for m in (
    "worker", "calls", "calltimer", "conventions", "maps", "replies", "studentengine", "protocol", "capture", "imports",
    "processes", "confine", "limits", "rootfs", "cgroup"))}

WALK = '''
import gc as _gc, sys as _sys, types as _types
_ALLOWED = %r


def _module_of(o):
    try:
        if isinstance(o, (type, _types.FunctionType, _types.ModuleType)):
            return getattr(o, "__module__", None) or getattr(o, "__name__", "") or ""
        return type(o).__module__ or ""
    except Exception:
        return ""


_WALKED = {}


def _grader_things():
    """What this process holds of the grader (walked once per process: each node type and
    the graphs run in a fork of their own)."""
    import os as _os
    if _os.getpid() not in _WALKED:
        _WALKED[_os.getpid()] = _walk()
    return _WALKED[_os.getpid()]


def _walk():
    found = set()
    def look(o):
        m = _module_of(o)
        if isinstance(m, str) and m.split(".")[0] == "grader" and m not in _ALLOWED:
            found.add(m)
    for o in _gc.get_objects():
        look(o)
    frame = _sys._getframe()
    while frame is not None:
        for v in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            look(v)
        frame = frame.f_back
    found |= {n for n in _sys.modules if n.split(".")[0] == "grader" and n not in _ALLOWED}
    guard = list(_sys.meta_path)
    _sys.meta_path[:] = [f for f in guard if type(f).__name__ != "Blocker"]
    try:
        import grader.engine
        found.add("import grader.engine worked: " + str(grader.engine.__file__))
    except ImportError:
        pass
    finally:
        _sys.meta_path[:] = guard
    if found:
        print("GRADER THINGS:", sorted(found))
    return found
''' % (ALLOWED,)


def scalar_probe() -> str:
    source = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
    return WALK + source.replace("        return x + y", "        return x - y if _grader_things() else x + y", 1)


def engine_probe() -> str:
    source = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "backprop-engine" / "engine.py").read_text())
    return WALK + source.replace("def topological_sort(output):\n", "def topological_sort(output):\n"
                                 "    if _grader_things():\n        return []\n", 1)


def forward_probe() -> str:
    """The forward-mode solution walking from its nodes and from its jacobian, where f (the
    grader's map, built in the worker) is within reach."""
    source = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "forward-mode" / "forward.py").read_text())
    source = source.replace("        return x + y", "        return x - y if _grader_things() else x + y", 1)
    return WALK + source.replace("    columns = []\n", "    columns = []\n    if _grader_things():\n        return None\n", 1)


def grade(tmp_path: Path, assignment: str, file: str, source: str, mode: str) -> dict:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / file).write_text(source)
    spec = tmp_path / "assignment"
    shutil.copytree(ROOT / "assignments" / assignment, spec)
    tmp_path.chmod(0o755)
    give_to_ordinary_user(tmp_path)
    command = [sys.executable, "-m", "grader", "run", str(spec), str(folder), "--results", str(tmp_path / "r.json"),
               "--json"]
    if mode == "ordinary":
        command = as_ordinary_user(command, str(tmp_path), writable=[str(tmp_path)])
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("assignment, file, probe", [("scalar-graphs", "nodes.py", scalar_probe),
                                                     ("backprop-engine", "engine.py", engine_probe),
                                                     ("forward-mode", "forward.py", forward_probe)])
def test_student_code_finds_nothing_of_the_grader(tmp_path, mode, assignment, file, probe):
    if mode == "ordinary" and ordinary_user() is None:
        pytest.skip("no ordinary user account can be made here")
    data = grade(tmp_path, assignment, file, probe(), mode)
    lost = [f"{t['name']}: {t['output']}" for t in data["tests"] if t["score"] < t["max_score"]]
    assert not lost, "\n".join(lost[:3])
    assert any(t["tags"][0] == "graph" for t in data["tests"])  # graphs were walked too
    assert assignment != "forward-mode" or any(t["tags"][0] == "jacobian" for t in data["tests"])
