"""The worker's own root: it holds what the worker needs (Python, numpy, the grader, its
folder) and nothing else of the host's, in both modes; and how the mounts are planned."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import grader
from accounts import as_ordinary_user, give_to_ordinary_user, ordinary_user
from grader.sandbox.rootfs import Mount, plan

ROOT = Path(__file__).resolve().parents[2]
MODES = ["root", "ordinary"] if os.geteuid() == 0 else ["ordinary"]
SOLUTION = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())

# a submission that looks around once, from inside Add.forward, and prints what it found
PROBE = '''
import json as _json, os as _os
_LOOKED = []
def _look(paths):
    seen = {}
    for path in paths:
        try:
            seen[path] = sorted(_os.listdir(path)) if _os.path.isdir(path) else open(path).read(40)
        except OSError as e:
            seen[path] = type(e).__name__
    for path in ("/usr/PWNED-probe", "/etc/PWNED-probe"):
        try:
            open(path, "w").close()
            seen[path] = "written"
        except OSError as e:
            seen[path] = type(e).__name__
    seen["pids"] = sorted(int(p) for p in _os.listdir("/proc") if p.isdigit())
    seen["host"] = _os.uname().nodename
    seen["ipc"] = _os.readlink("/proc/self/ns/ipc")
    print("PROBE" + _json.dumps(seen) + "EBORP")
'''


def probe_source(paths: list[str]) -> str:
    source = SOLUTION + PROBE
    return source.replace("class Add:", f"class Add:\n    _paths = {paths!r}", 1).replace(
        "        return x + y", "        if not _LOOKED:\n            _LOOKED.append(1)\n            _look(self._paths)\n"
        "        return x + y", 1)


def run_probe(tmp_path: Path, mode: str, extra: list[str] = ()) -> tuple[dict, dict, dict[str, str]]:
    """Grade the probe with ``grade run`` (results in the repository copy's root, next to
    the spec and the solutions); what it saw, the results, and the paths it looked for."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "assignments" / "scalar-graphs", repo / "assignments" / "scalar-graphs")
    shutil.copytree(ROOT / "solutions" / "scalar-graphs", repo / "solutions" / "scalar-graphs")
    submission = repo / "submissions" / "probe"
    submission.mkdir(parents=True)
    secret = {"spec": str(repo / "assignments" / "scalar-graphs" / "assignment.yaml"),
              "solution": str(repo / "solutions" / "scalar-graphs" / "nodes.py"),
              "submission": str(submission / "nodes.py"), "results": str(repo / "old-results.json"),
              "corpus": str(ROOT / "tests" / "corpus"), "checkout": str(ROOT / "pyproject.toml"),
              "checkout's solutions": str(ROOT / "solutions")}
    (repo / "old-results.json").write_text('{"score": 117}')
    (submission / "nodes.py").write_text(probe_source(["/", str(Path.home()), *secret.values(), *extra]))
    repo.chmod(0o755)
    give_to_ordinary_user(repo)
    command = [sys.executable, "-m", "grader", "run", str(repo / "assignments" / "scalar-graphs"), str(submission),
               "--results", str(repo / "results.json"), "--json"]
    if mode == "ordinary":
        command = as_ordinary_user(command, str(repo), writable=[str(repo)])
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=repo,
                          env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    printed = "".join(t["output"] for t in data["tests"])
    seen = json.loads(printed[printed.index("PROBE") + 5:printed.index("EBORP")])
    return seen, data, secret


@pytest.mark.parametrize("mode", MODES)
def test_the_worker_sees_only_what_it_needs(tmp_path, mode):
    if mode == "ordinary" and ordinary_user() is None:
        pytest.skip("no ordinary user account can be made here")
    seen, data, secret = run_probe(tmp_path, mode)
    for what, path in secret.items():
        assert seen[path] in ("FileNotFoundError", "PermissionError"), f"the worker could read the {what}: {seen[path]}"
    home = Path.home()
    on_the_way = {Path(p).relative_to(home).parts[0] for p in (sys.prefix, sys.base_prefix) if Path(p).is_relative_to(home)}
    assert seen[str(home)] in ("FileNotFoundError", "PermissionError") or set(seen[str(home)]) <= on_the_way
    # the system's folders, and the first folder on the way to Python and the grader (CI checks out anywhere)
    needed = {sys.prefix, sys.base_prefix, sys.executable, grader.__file__}
    needed |= {str(Path(p).resolve()) for p in needed}
    on_the_way_from_root = {Path(p).parts[1] for p in needed}
    assert set(seen["/"]) <= {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "tmp",
                              "var"} | on_the_way_from_root, seen["/"]
    assert seen["/usr/PWNED-probe"] != "written" and seen["/etc/PWNED-probe"] != "written"
    assert seen["host"] == "grader"
    assert seen["ipc"] != os.readlink("/proc/self/ns/ipc")
    assert max(seen["pids"]) < 100, "the worker sees processes outside its own namespace"
    assert data["score"] == sum(t["max_score"] for t in data["tests"]), "the probe is the solution, looking around"
    protections = " ".join(data["extra_data"]["protections"])
    assert "own root file system" in protections and "IPC" in protections


@pytest.mark.skipif(os.geteuid() != 0, reason="root only: an ordinary user's own packages are theirs anyway")
def test_forbidden_packages_are_masked_in_site_packages(tmp_path):
    import autograd

    folder = str(Path(autograd.__file__).resolve().parent)
    seen, _, _ = run_probe(tmp_path, "root", [folder])
    assert seen[folder] in ([], "PermissionError"), seen[folder]


def tree(tmp_path: Path, *paths: str) -> list[str]:
    for path in paths:
        (tmp_path / path).mkdir(parents=True, exist_ok=True)
    return [str(tmp_path / p) for p in paths]


def kinds(steps: list[Mount], tmp_path: Path) -> list[tuple[str, str]]:
    prefix = str(tmp_path)
    return [(m.kind, m.target.replace(prefix, "T")) for m in steps if m.target.startswith(prefix)]


def test_a_hidden_folder_that_holds_a_needed_one_is_not_masked(tmp_path):
    repo, venv, work = tree(tmp_path, "repo", "repo/.venv", "work")
    steps = plan([venv], [repo], work)
    assert kinds(steps, tmp_path) == [("folder", "T/work"), ("bind", "T/repo/.venv")]


def test_a_hidden_folder_inside_a_bound_tree_is_masked_and_needed_paths_bound_back(tmp_path):
    prefix, hidden, venv, work = tree(tmp_path, "usr", "usr/course", "usr/course/.venv", "work")
    steps = plan([prefix, venv], [hidden], work)
    assert kinds(steps, tmp_path) == [("folder", "T/work"), ("bind", "T/usr"), ("mask", "T/usr/course"),
                                      ("bind", "T/usr/course/.venv")]


def test_a_needed_path_inside_a_bound_tree_is_not_bound_twice(tmp_path):
    prefix, packages, work = tree(tmp_path, "py", "py/lib/site-packages", "work")
    assert kinds(plan([prefix, packages], [], work), tmp_path) == [("folder", "T/work"), ("bind", "T/py")]


def test_links_on_the_way_to_a_needed_path_are_made_again(tmp_path):
    real, work = tree(tmp_path, "real/venv", "work")
    (tmp_path / "link").symlink_to("real")
    steps = plan([str(tmp_path / "link" / "venv")], [], work)
    assert ("link", "T/link") in kinds(steps, tmp_path) and ("bind", "T/real/venv") in kinds(steps, tmp_path)
    assert next(m.source for m in steps if m.kind == "link" and m.target.endswith("/link")) == "real"


def test_the_worker_folder_and_scratch_folders_come_after_their_parents():
    steps = plan([], [], "/tmp")
    order = [m.target for m in steps]
    assert order.index("/tmp") < order.index("/dev/shm") and order.index("/dev") < order.index("/dev/shm")
    assert [m.kind for m in steps if m.target == "/tmp"] == ["tmpfs", "folder"]


def test_a_loop_of_links_does_not_hang_the_plan(tmp_path):
    (work,) = tree(tmp_path, "work")
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    steps = plan([str(tmp_path / "a")], [], work)
    assert ("link", "T/a") in kinds(steps, tmp_path)
