"""Workers are forked from one zygote per grader process (``sandbox.launcher``): the zygote
is reused across sandboxes, gives its workers nothing of its own (no socket, no other
worker's pipes), is not shared with a forked child process, ends with its grader, and where
there can be none the worker starts the slow way and grading is the same."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path


from grader.sandbox import launcher
from grader.sandbox.host import Sandbox
from grader.sandbox.processes import processes

ROOT = Path(__file__).resolve().parents[2]

PEEK = '''
import os


def open_descriptors():
    """What this process has open, as the kernel names it."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    return found


class Add:
    def forward(self, x, y):
        print("OPEN", sorted(open_descriptors()))
        return x + y

    def backward(self, g):
        return g, g
'''


def _forward(sandbox: Sandbox) -> dict:
    import numpy as np

    sandbox.load({"Add": "nodes.py"})
    steps = [{"do": "new", "as": 0, "cls": "Add", "arity": 2},
             {"do": "forward", "handle": 0, "inputs": [np.ones(2), np.ones(2)]}]
    return sandbox.request({"op": "run", "steps": steps})


def _zygotes() -> set[int]:
    found = set()
    for pid, _, _, _ in processes():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"grader.sandbox.zygote" in f.read():
                    found.add(pid)
        except OSError:
            pass
    return found


def test_the_worker_holds_no_socket_and_no_other_workers_pipes(tmp_path):
    (tmp_path / "nodes.py").write_text(PEEK)
    with Sandbox({"nodes.py": tmp_path / "nodes.py"}) as first, Sandbox({"nodes.py": tmp_path / "nodes.py"}) as second:
        assert _forward(first)["results"][1]["ok"]
        reply = _forward(second)
        assert reply["results"][1]["ok"]
    printed = second.output()  # all of it is read once the worker is gone
    line = next(line for line in printed.splitlines() if line.startswith("OPEN"))
    assert "socket:" not in line, line  # the zygote's socket is closed in every worker
    # its own two protocol pipes and its output (stdout and stderr): no pipe of the first worker
    assert len(set(re.findall(r"pipe:\[\d+\]", line))) == 3, line


def test_one_zygote_serves_every_sandbox_of_a_process(tmp_path):
    (tmp_path / "nodes.py").write_text(PEEK)
    launcher.prestart()
    zygote = launcher._zygote.proc.pid
    for _ in range(3):
        with Sandbox({"nodes.py": tmp_path / "nodes.py"}) as sandbox:
            assert _forward(sandbox)["results"][1]["ok"]
            assert sandbox.proc.popen is None  # forked, not spawned
    assert launcher._zygote.proc.pid == zygote


def test_a_forked_process_does_not_share_its_parents_zygote():
    launcher.prestart()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write, b"none" if launcher._zygote is None else b"shared")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"none"
    os.close(read)
    os.close(write)
    assert launcher._zygote is not None and launcher._zygote.alive()  # the parent's is untouched


def test_the_zygote_ends_with_its_grader(tmp_path):
    before = _zygotes()
    run = subprocess.run([sys.executable, "-m", "grader", "run", str(ROOT / "assignments" / "scalar-graphs"),
                          str(ROOT / "solutions" / "scalar-graphs"), "--results", str(tmp_path / "r.json"),
                          "--seed", "1"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    deadline = time.monotonic() + 5
    while _zygotes() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _zygotes() - before


def test_without_a_zygote_the_worker_starts_the_slow_way_and_grades_the_same(tmp_path, monkeypatch):
    from grader.grading.grade import grade_submission

    def forked():
        return grade_submission(ROOT / "assignments" / "scalar-graphs", ROOT / "solutions" / "scalar-graphs", seed=3)

    fast = forked()
    launcher.shutdown()
    monkeypatch.setattr(launcher, "become_subreaper", lambda: False)  # as where there are no subreapers
    slow = forked()
    assert launcher._zygote is None
    assert [(t.name, t.score) for t in slow.tests] == [(t.name, t.score) for t in fast.tests]
    assert slow.score == slow.max_score


def test_threads_starting_workers_at_once_each_get_their_own(tmp_path):
    """Sandboxes started from several threads share the zygote one request at a time: each
    gets the worker made for its own files, never another thread's."""
    from concurrent.futures import ThreadPoolExecutor

    def own(i: int) -> str:
        folder = tmp_path / f"s{i}"
        folder.mkdir()
        (folder / "nodes.py").write_text(f"print('I am {i}')\n\nclass Add:\n    pass\n")
        with Sandbox({"nodes.py": folder / "nodes.py"}) as sandbox:
            sandbox.load({"Add": "nodes.py"})
        return sandbox.output().strip()  # all of it is read once the worker is gone

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(own, range(12))) == [f"I am {i}" for i in range(12)]


def test_gradings_leave_no_exited_process_behind(tmp_path):
    """A worker's first process in its namespace is reparented to the grader when both are
    killed; the grader collects it, so a long-lived process (a batch slot, a notebook) does
    not pile them up against the worker user's process limit."""
    from grader.grading.grade import grade_submission
    from grader.sandbox.processes import zombie_children

    for seed in range(4):
        grade_submission(ROOT / "assignments" / "scalar-graphs", ROOT / "solutions" / "scalar-graphs", seed=seed)
    assert len(zombie_children()) <= 1  # the last one's, at most, until the next worker ends
