"""What `grade run` needs of Gradescope's container: python bench/limits.py [--cpus 0.5]

Run as root, with cgroup v1. For each shipped solution it runs `grade run` in a fresh memory cgroup (so the
peak of everything together is the kernel's own count) and, with ``--cpus``, a CPU quota
like the container's (Gradescope's default is 0.5 vCPU), and polls /proc every few
milliseconds. It reports: the grader's peak RSS; the worker processes' largest address
space (what ``memory_mb`` bounds per process, RLIMIT_AS) and largest RSS; the peak memory of
the whole run and of the worker's own cgroup; the wall time; and how long closing the
sandbox (ending the worker, sweeping, removing its folder) and writing results.json took.
These numbers are what ``DEFAULT_LIMITS`` in grader/sandbox.py is chosen from.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.sandbox import cgroup

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["scalar-graphs", "vector-layers", "backprop-engine"]
CGROUP = Path("/sys/fs/cgroup")

# Run in the measured process: time Sandbox.close and write_results, then run the real CLI.
CHILD = """
import json, sys, time
import grader.report.gradescope, grader.sandbox.host
spans, SPANS = {}, sys.argv[1]
def timed(owner, name, key):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.time()
        try:
            return original(*args, **kwargs)
        finally:
            spans[key] = (start, time.time())
            with open(SPANS, "w") as f:
                json.dump(spans, f)
    setattr(owner, name, wrapper)
timed(grader.sandbox.host.Sandbox, "close", "close")
timed(grader.report.gradescope, "write_results", "write")
sys.argv = ["grade", *sys.argv[2:]]
from grader.cli import entry
entry()
"""


def own_cgroup(controller: str) -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return CGROUP / controller / path.lstrip("/")
    raise SystemExit(f"no cgroup v1 {controller} controller here")


def status(pid: int) -> dict[str, int] | None:
    """VmPeak, VmHWM, VmRSS (kB), Threads and uid of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmPeak", "VmHWM", "VmRSS", "Threads"):
            fields[key] = int(value.split()[0])
        elif key == "Uid":
            fields["uid"] = int(value.split()[0])
    return fields


def pids_in(group: Path) -> list[int]:
    found = []
    for procs in group.rglob("cgroup.procs"):
        try:
            found += [int(p) for p in procs.read_text().split()]
        except OSError:
            pass
    return found


def measure(assignment: str, cpus: float | None, tmp: Path) -> dict:
    name = f"bpgrader-measure-{os.getpid()}"
    memory = own_cgroup("memory") / name
    memory.mkdir()
    cpu = None
    if cpus:
        cpu = own_cgroup("cpu") / name
        cpu.mkdir()
        (cpu / "cpu.cfs_period_us").write_text("100000")
        (cpu / "cpu.cfs_quota_us").write_text(str(int(cpus * 100000)))
    spans_file, results = tmp / f"{assignment}.spans.json", tmp / f"{assignment}.json"

    def enter() -> None:
        for group in (memory, cpu):
            if group is not None:
                (group / "cgroup.procs").write_text(str(os.getpid()))

    try:
        return _run(assignment, memory, spans_file, results, enter)
    finally:
        cgroup.remove_tree(memory)
        if cpu is not None:
            cgroup.remove_tree(cpu)


def _run(assignment: str, memory: Path, spans_file: Path, results: Path, enter) -> dict:
    workers = {e.pw_uid for e in pwd.getpwall() if e.pw_name.startswith("bpgrader")}
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(spans_file), "run", str(ROOT / "assignments" / assignment),
                             str(ROOT / "solutions" / assignment), "--results", str(results), "--seed", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=enter)
    grader = {"VmPeak": 0, "VmHWM": 0}
    worker = {"VmPeak": 0, "VmHWM": 0, "rss_sum": 0, "processes": 0, "tasks": 0}
    seen: set[int] = set()
    worker_group = 0
    while proc.poll() is None:
        rss_sum = tasks = 0
        for pid in pids_in(memory):
            info = status(pid)
            if info is None:
                continue
            if pid == proc.pid:
                for key in ("VmPeak", "VmHWM"):
                    grader[key] = max(grader[key], info.get(key, 0))
            elif info.get("uid") in workers:
                seen.add(pid)
                for key in ("VmPeak", "VmHWM"):
                    worker[key] = max(worker[key], info.get(key, 0))
                rss_sum += info.get("VmRSS", 0)
                tasks += info.get("Threads", 1)
        worker["rss_sum"] = max(worker["rss_sum"], rss_sum)
        worker["tasks"] = max(worker["tasks"], tasks)
        for sub in memory.iterdir():
            if sub.is_dir():
                worker_group = max(worker_group, int((sub / "memory.max_usage_in_bytes").read_text()))
        time.sleep(0.002)
    ended = time.time()
    worker["processes"] = len(seen)
    error = proc.stderr.read().decode()
    total_peak = int((memory / "memory.max_usage_in_bytes").read_text())
    for sub in memory.iterdir():
        if sub.is_dir():
            worker_group = max(worker_group, int((sub / "memory.max_usage_in_bytes").read_text()))
    if not spans_file.exists():
        raise SystemExit(f"{assignment}: grade run failed ({proc.returncode}): {error[-2000:]}")
    data = json.loads(results.read_text())
    spans = json.loads(spans_file.read_text())
    mb = lambda kb: round(kb / 1024, 1)
    return {
        "assignment": assignment, "full_marks": data["score"] == sum(t["max_score"] for t in data["tests"]),
        "exit": proc.returncode, "stderr": error[-500:],
        "grader_peak_rss_mb": mb(grader["VmHWM"]), "grader_peak_vm_mb": mb(grader["VmPeak"]),
        "worker_peak_address_space_mb": mb(worker["VmPeak"]), "worker_peak_rss_mb": mb(worker["VmHWM"]),
        "worker_rss_sum_mb": mb(worker["rss_sum"]), "worker_processes": worker["processes"],
        "worker_tasks_at_once": worker["tasks"],
        "run_peak_mb": round(total_peak / 2**20, 1), "worker_cgroup_peak_mb": round(worker_group / 2**20, 1),
        "wall_s": round(ended - started, 2),
        "close_s": round(spans["close"][1] - spans["close"][0], 3),
        "write_s": round(spans["write"][1] - spans["write"][0], 3),
        "after_write_s": round(ended - spans["write"][1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpus", type=float, default=0.5, help="CPU quota in cores (0: none)")
    parser.add_argument("--runs", type=int, default=3, help="runs per assignment (the worst is kept)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: it makes cgroups, and the worker drops to its own user only as root")
    os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        for assignment in ASSIGNMENTS:
            runs = [measure(assignment, args.cpus, Path(tmp)) for _ in range(args.runs)]
            worst = {k: max(r[k] for r in runs) if isinstance(runs[0][k], (int, float)) and not isinstance(runs[0][k], bool)
                     else runs[0][k] for k in runs[0]}
            worst["full_marks"] = all(r["full_marks"] for r in runs)
            print(json.dumps(worst))


if __name__ == "__main__":
    main()
