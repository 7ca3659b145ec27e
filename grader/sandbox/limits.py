"""The limits of student code: their defaults, and how the launcher sets them on the worker's
process (hard resource limits, inherited by all it starts)."""

from __future__ import annotations

import resource
import sys

# Chosen to fit Gradescope's default container (768 MB, 0.5 vCPU, 10 minutes) with room for
# the grader itself, so the grader's limits fire first and a results.json is always written
# (``grader.course.autograder.container_fit`` holds the arithmetic; README, "Limits and Gradescope's
# container", the measurements).
DEFAULT_LIMITS = {"call_seconds": 10.0, "total_seconds": 540.0, "cpu_seconds": 540,
                  "memory_mb": 512, "processes": 64, "file_mb": 16, "disk_mb": 64, "open_files": 256,
                  "output_kb": 64}


LIMITS = {"cpu_seconds": resource.RLIMIT_CPU, "memory_mb": resource.RLIMIT_AS,
          "file_mb": resource.RLIMIT_FSIZE, "open_files": resource.RLIMIT_NOFILE,
          "processes": resource.RLIMIT_NPROC}


def apply_limits(limits: dict) -> list[str]:
    """Hard resource limits for this process and everything it starts."""
    done = []
    for key, which in LIMITS.items():
        value = limits.get(key)
        if value is None:
            continue
        amount = int(value * (1 << 20)) if key.endswith("_mb") else int(value)
        if key == "cpu_seconds":
            amount = max(1, amount)
        try:
            resource.setrlimit(which, (amount, amount))
            done.append(key)
        except (ValueError, OSError) as e:
            print(f"grader: could not set {key}: {e}", file=sys.stderr)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if first_to_end_when_memory_runs_out():
        done.append("oom_score_adj")
    return done


def first_to_end_when_memory_runs_out() -> bool:
    """Put this process and all it starts first in line for the kernel's OOM killer: when the
    machine or container runs out of memory (per-process limits do not bound the total where
    no cgroup can be made), student code is ended, never the grader, which then writes its
    results. Raising one's own score needs no privilege; lowering it again does."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
        return True
    except OSError:
        return False
