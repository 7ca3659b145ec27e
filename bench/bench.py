"""Benchmark of the grader: python bench/bench.py [--quick] [--out bench/RESULTS.md]

Measures, on this machine: the floor (a Python process importing numpy); `grade run` on each
shipped solution, split into start-up, worker start-up, student calls and the grader's own
work, and its ratio to the floor; one worker round trip; `grade batch` throughput at 1 and 2
jobs; how many student calls each check makes; and, if torch is installed
(`pip install torch==2.13.0`), our checks against torch.autograd.gradcheck on Linear at
several sizes, in time and in which buggy variants each one catches. Writes a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as the `grade` command sets them (see grader/cli.py)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["scalar-graphs", "vector-layers", "backprop-engine"]
FILES = {"scalar-graphs": "nodes.py", "vector-layers": "layers.py", "backprop-engine": "engine.py"}


def median_time(command: list[str], runs: int, **kw) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, **kw)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor(runs: int) -> float:
    return median_time([sys.executable, "-c", "import numpy"], runs)


def grade_runs(runs: int, tmp: Path) -> tuple[float, dict[str, dict]]:
    """`grade run` on each solution, runs times, with the floor measured between them (this
    machine's speed drifts: interleaving keeps the ratio honest)."""
    floors, walls, parts = [], {a: [] for a in ASSIGNMENTS}, {a: [] for a in ASSIGNMENTS}
    for i in range(runs):
        for a in ASSIGNMENTS:
            floors.append(floor(1))
            out = tmp / f"{a}-{i}.json"
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grader", "run", str(ROOT / "assignments" / a),
                            str(ROOT / "solutions" / a), "--results", str(out), "--seed", "1"],
                           check=True, capture_output=True)
            walls[a].append(time.perf_counter() - start)
            data = json.loads(out.read_text())
            assert data["score"] == sum(t["max_score"] for t in data["tests"]), f"{a}: not full marks"
            parts[a].append(data["extra_data"]["timings"])
    table = {}
    for a in ASSIGNMENTS:
        part = {k: statistics.median(p[k] for p in parts[a]) for k in parts[a][0]}
        part["wall"] = statistics.median(walls[a])
        part["startup"] = part["wall"] - part["total"]
        part["tests"] = len(json.loads((tmp / f"{a}-0.json").read_text())["tests"])
        table[a] = part
    return statistics.median(floors), table


def round_trip(count: int) -> float:
    from grader.sandbox.host import Sandbox
    with Sandbox({"nodes.py": ROOT / "solutions" / "scalar-graphs" / "nodes.py"}) as sandbox:
        sandbox.load({"Add": "nodes.py"})
        start = time.perf_counter()
        for _ in range(count):
            sandbox.request({"op": "run", "steps": [{"do": "new", "as": 0, "cls": "Add", "arity": 2}]})
        return (time.perf_counter() - start) / count


def batch_throughput(count: int, tmp: Path) -> dict[int, float]:
    source = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
    folder = tmp / "class"
    for i in range(count):
        (folder / f"s{i:03d}").mkdir(parents=True)
        (folder / f"s{i:03d}" / "nodes.py").write_text(source.replace("import numpy as np", f"import numpy as np  # {i}"))
    rates = {}
    for jobs in (1, 2):
        out = tmp / f"out-{jobs}"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader", "batch", str(ROOT / "assignments" / "scalar-graphs"),
                        str(folder), "--out", str(out), "--jobs", str(jobs)], check=True, capture_output=True)
        rates[jobs] = count / (time.perf_counter() - start)
    return rates


def calls_per_check() -> list[tuple[str, str]]:
    from grader.grading.numeric import DIRECTIONS, PER_ELEMENT_MAX
    return [("forward", "1 forward"), ("backward", "1 backward (after its own forward)"),
            ("numeric", f"2 forwards per element of each graded input up to {PER_ELEMENT_MAX} elements; "
                        f"{2 * DIRECTIONS} per larger input, whatever its size; 2 more at the case's own inputs"),
            ("no_mutation", "none (reads the inputs the forward and backward calls were given)"),
            ("independence", "2 forwards and 2 backwards on two more instances"),
            ("graph", "1 forward and 1 backward per node")]


# -- against torch.autograd.gradcheck -----------------------------------------------------------

LINEAR = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "vector-layers" / "layers.py").read_text())
BUGS = {
    "correct": LINEAR,
    "transposed dW": LINEAR.replace("dW = grad_output.T @ self.x", "dW = (grad_output.T @ self.x).T if grad_output.shape[1] == self.x.shape[1] else grad_output.T @ self.x"),
    "missing batch sum (db)": LINEAR.replace("db = grad_output.sum(axis=0)", "db = grad_output[0]"),
    "ignores upstream": LINEAR.replace("dx = grad_output @ self.W", "dx = np.ones_like(grad_output) @ self.W"),
    "factor 2": LINEAR.replace("dW = grad_output.T @ self.x", "dW = 2 * grad_output.T @ self.x"),
}
SPEC = """id: bench-linear
title: Linear at one size
files: [layers.py]
limits: {{call_seconds: 60, total_seconds: 600}}
nodes:
  Linear:
    inputs:
      x: {{shape: [N, D]}}
      W: {{shape: [D, D]}}
      b: {{shape: [D]}}
    reference: x @ transpose(W) + b
    tests:
      - {{name: one size, cases: 1, dims: {{N: 8, D: {d}}},
         points: {{forward: 1, backward: 1, numeric: 1, no_mutation: 0, independence: 0}}}}
"""


def ours(d: int, source: str, tmp: Path) -> tuple[float, bool]:
    from grader.grading.grade import grade_submission
    spec = tmp / f"spec-{d}"
    spec.mkdir(exist_ok=True)
    (spec / "assignment.yaml").write_text(SPEC.format(d=d))
    sub = tmp / f"sub-{d}-{abs(hash(source))}"
    sub.mkdir(exist_ok=True)
    (sub / "layers.py").write_text(source)
    results = grade_submission(spec / "assignment.yaml", sub, seed=1)
    checking = results.extra["timings"]["student_calls"] + results.extra["timings"]["grader"]
    return checking, results.score < results.max_score


GRADCHECK = r'''
import sys, time, importlib.util, numpy as np, torch
spec = importlib.util.spec_from_file_location("layers", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
d, fast = int(sys.argv[2]), sys.argv[3] == "fast"
class F(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b):
        node = m.Linear(); ctx.node = node
        return torch.from_numpy(np.asarray(node.forward(x.numpy(), W.numpy(), b.numpy())))
    @staticmethod
    def backward(ctx, g):
        return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in ctx.node.backward(g.numpy()))
rng = np.random.default_rng(0)
args = [torch.tensor(rng.normal(size=s), dtype=torch.float64, requires_grad=True) for s in [(8, d), (d, d), (d,)]]
start = time.perf_counter()
try:
    ok = torch.autograd.gradcheck(F.apply, args, fast_mode=fast, raise_exception=False)
except Exception:
    ok = False
print(time.perf_counter() - start, int(not ok))
'''


def gradcheck(d: int, source: str, fast: bool, tmp: Path, limit: float) -> tuple[float | None, bool | None]:
    file = tmp / f"gc-{abs(hash(source))}.py"
    file.write_text(source)
    script = tmp / "gradcheck.py"
    script.write_text(GRADCHECK)
    try:
        proc = subprocess.run([sys.executable, str(script), str(file), str(d), "fast" if fast else "slow"],
                              capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None, None
    seconds, caught = proc.stdout.split()
    return float(seconds), caught == "1"


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--gradcheck-limit", type=float, default=120.0, help="seconds per gradcheck run")
    args = parser.parse_args()
    runs = 2 if args.quick else 5
    # as `pip install` leaves it: the grader's bytecode compiled (an editable checkout under
    # PYTHONDONTWRITEBYTECODE would otherwise compile every module on every run)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "grader")], check=True, capture_output=True)
    lines = ["# Benchmark results", "", f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
             f"{time.strftime('%Y-%m-%d')}; as {'root (sandbox with privilege drop)' if os.geteuid() == 0 else 'an ordinary user'}.", ""]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        base, table = grade_runs(runs, tmp)
        lines += [f"Floor (a Python process importing numpy, measured between the runs): **{base:.3f} s**", "",
                  "## `grade run` on each shipped solution", "",
                  "Medians of {runs} runs, in seconds. Start-up: the interpreter, imports, writing results and "
                  "exit; worker: waiting for the worker to start and import the files; student calls: waiting "
                  "for the worker's replies; grader: the spec, the reference, the checks (while the worker "
                  "runs one test the grader judges the one before, so these overlap).".format(runs=runs), "",
                  "| assignment | tests | student calls | wall | start-up | worker | student calls | grader | round trips | × floor |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for a, p in table.items():
            lines.append(f"| {a} | {p['tests']} | {p['calls']:.0f} | {p['wall']:.3f} | {p['startup']:.3f} | "
                         f"{p['worker_start']:.3f} | {p['student_calls']:.3f} | {p['grader']:.3f} | "
                         f"{p['worker_calls']:.0f} | **{p['wall'] / base:.1f}** |")
        ratios = {a: p["wall"] / base for a, p in table.items()}
        rt = round_trip(200)
        lines += ["", f"One worker round trip (a request with one call): **{rt * 1e3:.2f} ms**", "",
                  "Student calls per check and case:", "", "| check | calls |", "|---|---|"]
        lines += [f"| {c} | {n} |" for c, n in calls_per_check()]
        count = 20 if args.quick else 100
        rates = batch_throughput(count, tmp)
        lines += ["", f"## `grade batch` on {count} submissions (scalar-graphs)", "",
                  "| jobs | submissions / s |", "|---|---|",
                  f"| 1 | {rates[1]:.2f} |", f"| 2 | {rates[2]:.2f} |", "",
                  f"Scaling from 1 to 2 jobs: **{rates[2] / rates[1]:.2f}×**", ""]
        sizes = [16, 64, 128] if args.quick else [16, 64, 128, 256, 512]
        lines += ["## Linear: our checks against torch.autograd.gradcheck", ""]
        have_torch = torch_available()
        if not have_torch:
            lines += ["torch is not installed (`pip install torch==2.13.0`): gradcheck columns skipped.", ""]
        lines += ["Seconds per check of one case (x of shape (8, D), W (D, D), b (D,)): ours is forward, "
                  "backward against the reference and backward against finite differences.", "",
                  "| D | ours | gradcheck fast_mode | gradcheck default |", "|---|---|---|---|"]
        ours(8, LINEAR, tmp)  # warm up: imports and schema compilation happen once per process
        cost, faster = {}, True
        for d in sizes:
            cost[d] = statistics.median(ours(d, LINEAR, tmp)[0] for _ in range(3))
            row = [f"{d}", f"{cost[d]:.3f}"]
            for fast in (True, False):
                if have_torch:
                    seconds, _ = gradcheck(d, LINEAR, fast, tmp, args.gradcheck_limit)
                    row.append(f"{seconds:.3f}" if seconds is not None else f"> {args.gradcheck_limit:g}")
                    if not fast:
                        faster &= seconds is None or cost[d] < seconds
                else:
                    row.append("–")
            lines.append("| " + " | ".join(row) + " |")
        growth = cost[sizes[-1]] / cost[sizes[0]]
        lines += ["", f"Our check at D = {sizes[-1]} costs **{growth:.2f}×** what it costs at D = {sizes[0]}.", ""]
        sensitive = True
        for d in (sizes[0], sizes[1]):
            lines += [f"Which buggy variants each catches (D = {d}):", "",
                      "| variant | ours | gradcheck fast_mode | gradcheck default |", "|---|---|---|---|"]
            for name, source in BUGS.items():
                _, caught = ours(d, source, tmp)
                row = [name, _mark(caught, name)]
                for fast in (True, False):
                    if have_torch:
                        _, gc = gradcheck(d, source, fast, tmp, args.gradcheck_limit)
                        row.append("timeout" if gc is None else _mark(gc, name))
                        sensitive &= gc is None or caught or not gc
                    else:
                        row.append("–")
                sensitive &= caught == (name != "correct")
                lines.append("| " + " | ".join(row) + " |")
            lines.append("")
        lines += ["## Goals", "", "| goal | measured | met |", "|---|---|---|",
                  f"| `grade run` ≤ 5× the floor | {', '.join(f'{r:.1f}×' for r in ratios.values())} | "
                  f"{_yes(all(r <= 5 for r in ratios.values()))} |",
                  f"| check cost at D = {sizes[-1]} < 2× D = {sizes[0]} | {growth:.2f}× | {_yes(growth < 2)} |",
                  f"| at least as sensitive as gradcheck | see the tables above | {_yes(sensitive)} |",
                  f"| faster than gradcheck's default at every size | see the table above | "
                  f"{_yes(faster) if have_torch else 'no torch'} |",
                  f"| batch: 2 jobs ≥ 1.6× 1 job | {rates[2] / rates[1]:.2f}× | {_yes(rates[2] / rates[1] >= 1.6)} |"]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _mark(flagged: bool, variant: str) -> str:
    if variant == "correct":
        return "passes" if not flagged else "FLAGS A CORRECT NODE"
    return "caught" if flagged else "missed"


if __name__ == "__main__":
    main()
