"""A memory and process budget for the worker and everything it starts, where the kernel
lets the grader make one (root, and a cgroup hierarchy it can write to).

Resource limits are per process: a submission that forks up to its process limit, each
child near its memory limit, could use far more than the machine has. A cgroup bounds them
all together; when it is full, the kernel ends a process inside it (a student's), never the
grader. cgroup v1 (memory and pids controllers) and v2 are both tried; when neither can be
used, the grader says so and relies on the per-process limits.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def prepare(name: str, memory_mb: int, processes: int) -> list[str]:
    """Make (or reuse: one per worker user, so at most one per concurrent grading) the cgroup
    ``name`` inside the grader's own, with these budgets; the ``cgroup.procs`` files a process
    writes its pid to, to join it (empty when unavailable)."""
    if os.geteuid() != 0:
        return []
    try:
        if (ROOT / "cgroup.controllers").exists():
            return _v2(name, memory_mb, processes)
        return _v1(name, memory_mb, processes)
    except OSError:
        return []


def join(procs_files: list[str]) -> bool:
    """Move this process (and so all it will start) into the prepared cgroup."""
    try:
        for path in procs_files:
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        return bool(procs_files)
    except OSError:
        return False


def _own(controller: str) -> str | None:
    """This process's cgroup path for a v1 controller, or ("" as controller) in v2."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controller in controllers.split(",") or (controller == "" and controllers == ""):
                return path
    return None


def _v1(name: str, memory_mb: int, processes: int) -> list[str]:
    found = []
    memory, pids = _own("memory"), _own("pids")
    if memory is None or not (ROOT / "memory").is_dir():
        return []
    group = ROOT / "memory" / memory.lstrip("/") / name
    group.mkdir(exist_ok=True)
    try:
        _write(group / "memory.limit_in_bytes", memory_mb << 20)
    except OSError:
        # a group reused with a larger budget than last time: memory+swap may not be below
        # memory alone, so it is raised first
        _write(group / "memory.memsw.limit_in_bytes", memory_mb << 20)
        _write(group / "memory.limit_in_bytes", memory_mb << 20)
    try:
        _write(group / "memory.memsw.limit_in_bytes", memory_mb << 20)  # no swapping past it
    except OSError:
        pass
    found.append(str(group / "cgroup.procs"))
    if pids is not None and (ROOT / "pids").is_dir():
        group = ROOT / "pids" / pids.lstrip("/") / name
        group.mkdir(exist_ok=True)
        _write(group / "pids.max", processes)
        found.append(str(group / "cgroup.procs"))
    return found


def _v2(name: str, memory_mb: int, processes: int) -> list[str]:
    own = _own("")
    if own is None:
        return []
    parent = ROOT / own.lstrip("/")
    if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
        # v2 allows this only where the grader's cgroup holds no process (or is the root): in
        # most set-ups it fails, and the grader falls back on per-process limits
        _write(parent / "cgroup.subtree_control", "+memory +pids")
    group = parent / name
    group.mkdir(exist_ok=True)
    _write(group / "memory.max", memory_mb << 20)
    for name, value in (("memory.swap.max", 0), ("pids.max", processes)):
        try:
            _write(group / name, value)
        except OSError:
            pass  # no swap accounting, or no pids controller: the rest still holds
    return [str(group / "cgroup.procs")]


def _write(path: Path, value) -> None:
    with open(path, "w") as f:
        f.write(str(value))


def oom_kills(procs_files: list[str]) -> int:
    """How many processes the kernel has ended in these cgroups for want of memory (v1's
    ``memory.oom_control``, v2's ``memory.events``): a worker that dies while this count grows
    ran out of memory rather than crashed."""
    total = 0
    for procs in procs_files:
        group = Path(procs).parent
        for name in ("memory.oom_control", "memory.events"):
            try:
                text = (group / name).read_text()
            except OSError:
                continue
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit():
                    total += int(value)
    return total


def remove_tree(group: Path) -> None:
    """Remove a cgroup and the groups made inside it (a worker's), once their last processes
    are gone (the kernel refuses before): for tools and tests that make groups of their own."""
    for _ in range(50):
        try:
            for sub in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                sub.rmdir()
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)
