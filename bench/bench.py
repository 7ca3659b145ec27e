"""Benchmark of the grader: python bench/bench.py [--quick] [--out bench/RESULTS.md]

Measures, on this machine: the floor (a Python process importing numpy); `grade run` on each
shipped solution, split into start-up, worker start-up, student calls and the grader's own
work, and its ratio to the floor; one worker round trip; `grade batch` throughput at 1 and 2
jobs with the memory of each pool slot, and against class size up to 500; grading time
against the number of tests; a convolution at 64x64 with 16 channels; how many student
calls each check makes; and, if torch is installed (`pip install torch==2.13.0`), our checks
against torch.autograd.gradcheck on Linear at several sizes, in time and in which buggy
variants each one catches. Every timed grading must get full marks. Writes a Markdown table,
with the goals of issue 17 and whether each is met.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as the `grade` command sets them (see grader/cli.py)

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["scalar-graphs", "vector-layers", "backprop-engine", "layer-functions", "rnn-functions", "forward-mode"]
# `grade run` within this many times the floor: 3x, and 4x for the layer assignments, whose
# solutions' own numpy calls (convolutions, recurrences through time) take a floor's worth
GOAL = {"scalar-graphs": 3, "vector-layers": 4, "backprop-engine": 3, "layer-functions": 4, "rnn-functions": 4,
        "forward-mode": 3}


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


def make_class(count: int, tmp: Path) -> Path:
    """``count`` copies of the scalar-graphs solution, each a little different (so no result is reused)."""
    source = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text())
    folder = tmp / f"class-{count}"
    for i in range(count):
        (folder / f"s{i:03d}").mkdir(parents=True, exist_ok=True)
        (folder / f"s{i:03d}" / "nodes.py").write_text(source.replace("import numpy as np", f"import numpy as np  # {i}"))
    return folder


def batch(count: int, jobs: int, tmp: Path) -> dict:
    """`grade batch` of ``count`` submissions at ``jobs``: submissions per second (the whole
    command, its self-check and reports included), and the most memory (PSS, so pages the
    workers share with their zygote count once) that one pool process held with its zygote
    and workers at any moment."""
    folder = make_class(count, tmp)
    out = tmp / f"out-{count}-{jobs}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "grader", "batch", str(ROOT / "assignments" / "scalar-graphs"),
                             str(folder), "--out", str(out), "--jobs", str(jobs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slot_mb = 0.0
    while proc.poll() is None:
        slot_mb = max(slot_mb, max(slot_memory(proc.pid).values(), default=0.0))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and all it waited for: pool, zygotes, workers
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert proc.returncode == 0, f"grade batch failed ({proc.returncode})"
    with open(out / "grades.csv") as f:
        scores = [line.split(",")[2] for line in f.readlines()[1:]]
    assert len(scores) == count and all(score == "117" for score in scores), "not full marks"
    return {"rate": count / seconds, "seconds": seconds, "slot_mb": slot_mb, "cpu": cpu / count, "cores": cpu / seconds}


def slot_memory(batch_pid: int) -> dict[int, float]:
    """MB (PSS) held by each pool process of a batch, with everything under it."""
    from grader.sandbox.processes import processes

    children: dict[int, list[int]] = {}
    for pid, parent, _, _ in processes():
        children.setdefault(parent, []).append(pid)
    slots = {}
    for pool in children.get(batch_pid, []):
        if b"grader.sandbox.zygote" in _read(f"/proc/{pool}/cmdline"):
            continue  # the batch process's own zygote (its self-check), not a slot
        total, stack = 0.0, [pool]
        while stack:
            pid = stack.pop()
            stack += children.get(pid, [])
            for line in _read(f"/proc/{pid}/smaps_rollup").splitlines():
                if line.startswith(b"Pss:"):
                    total += int(line.split()[1]) / 1024
        slots[pool] = total
    return slots


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def tests_curve(counts: list[int], tmp: Path) -> dict[int, float]:
    """Seconds to grade the scalar-graphs solution on a spec holding its tests ``k`` times
    over (renamed copies), for each ``k`` in ``counts``: how time grows with the test count."""
    import yaml
    from grader.grading.grade import grade_submission

    base = yaml.safe_load((ROOT / "assignments" / "scalar-graphs" / "assignment.yaml").read_text())
    seconds = {}
    for k in counts:
        doc = json.loads(json.dumps(base))
        for node in doc["nodes"].values():
            node["tests"] = [{**t, "name": f"{t['name']} #{i}"} for i in range(k) for t in node.get("tests", [])]
        doc.pop("graphs", None)
        folder = tmp / f"tests-{k}"
        folder.mkdir(exist_ok=True)
        (folder / "assignment.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            results = grade_submission(folder, ROOT / "solutions" / "scalar-graphs", seed=1)
            runs.append(time.perf_counter() - start)
            assert results.score == results.max_score, "not full marks"
        seconds[k] = (statistics.median(runs), len(results.tests))
    return seconds


CONV = """
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_forward_naive(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::s, ::s]
    out = np.einsum("nchwij,fcij->nfhw", windows, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::s, ::s]
    dw = np.einsum("nchwij,nfhw->fcij", windows, dout, optimize=True)
    dxp = np.zeros_like(xp)
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            dxp[:, :, i:i + s * dout.shape[2]:s, j:j + s * dout.shape[3]:s] += np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))
"""


def conv_check(tmp: Path) -> dict:
    """One case of the layer-functions convolution at x (1, 16, 64, 64), w (16, 16, 3, 3),
    stride 1, pad 1, with a vectorized student conv: forward, backward against the reference
    and against finite differences. Seconds of checking (the grader's work and the student
    calls, worker start aside) and of the whole grading."""
    import yaml
    from grader.grading.grade import grade_submission

    doc = yaml.safe_load((ROOT / "assignments" / "layer-functions" / "assignment.yaml").read_text())
    node = doc["nodes"]["conv"]
    node["dims"] = {"N": 1, "C": 16, "H": 64, "W": 64, "F": 16, "HH": 3, "WW": 3}
    node["tests"] = [{"name": "64x64, 16 channels", "cases": 1,
                      "points": {"forward": 1, "backward": 1, "numeric": 1, "no_mutation": 0, "independence": 0}}]
    doc["nodes"] = {"conv": node}
    for key in ("graphs", "jacobian"):
        doc.pop(key, None)
    folder = tmp / "conv"
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "assignment.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    (folder / "sub" / "layers.py").write_text(CONV)
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        results = grade_submission(folder, folder / "sub", seed=1)
        wall = time.perf_counter() - start
        assert results.score == results.max_score, "the vectorized conv did not get full marks"
        t = results.extra["timings"]
        runs.append((t["student_calls"] + t["grader"], wall, t["calls"]))
    check, wall, calls = sorted(runs)[1]
    return {"check": check, "wall": wall, "calls": calls}


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


def ours(d: int, source: str, tmp: Path) -> tuple[float, bool, dict[str, float]]:
    """One check of Linear at D = ``d``: its seconds, whether it flagged ``source``, and
    those seconds' parts (waiting for the worker, the grader's own work)."""
    from grader.grading.grade import grade_submission
    spec = tmp / f"spec-{d}"
    spec.mkdir(exist_ok=True)
    (spec / "assignment.yaml").write_text(SPEC.format(d=d))
    sub = tmp / f"sub-{d}-{abs(hash(source))}"
    sub.mkdir(exist_ok=True)
    (sub / "layers.py").write_text(source)
    results = grade_submission(spec / "assignment.yaml", sub, seed=1)
    parts = {"worker": results.extra["timings"]["student_calls"], "grader": results.extra["timings"]["grader"]}
    return parts["worker"] + parts["grader"], results.score < results.max_score, parts


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
        scaling = {jobs: batch(count, jobs, tmp) for jobs in (1, 2)}
        big = 100 if args.quick else 500
        sizes_class = [25, 50, big] if args.quick else [25, 100, big]
        curve_class = {n: batch(n, 2, tmp) if n != count else scaling[2] for n in sizes_class}
        lines += ["", "## `grade batch` (scalar-graphs, the solution with a comment changed per copy)", "",
                  f"On {count} submissions; the rate counts the whole command (its self-check and reports "
                  "included). Memory: the most one pool process held with its zygote and workers at any moment "
                  "(PSS: pages shared with the zygote count once).", "",
                  "| jobs | submissions / s | memory per slot (MB) | CPU seconds per submission | cores busy |",
                  "|---|---|---|---|---|"]
        lines += [f"| {j} | {r['rate']:.2f} | {r['slot_mb']:.0f} | {r['cpu']:.3f} | {r['cores']:.2f} |" for j, r in scaling.items()]
        ratio = scaling[2]["rate"] / scaling[1]["rate"]
        lines += ["", f"Scaling from 1 to 2 jobs: **{ratio:.2f}×**", "",
                  "Time against class size (2 jobs):", "", "| submissions | seconds | submissions / s |", "|---|---|---|"]
        lines += [f"| {n} | {r['seconds']:.1f} | {r['rate']:.2f} |" for n, r in curve_class.items()]
        counts = [1, 2, 4] if args.quick else [1, 4, 16]
        curve_tests = tests_curve(counts, tmp)
        lines += ["", "## Time against the number of tests", "",
                  "The scalar-graphs node tests repeated k times over (graphs left out), graded in this process "
                  "(median of 5, worker start included):", "", "| k | tests | seconds | seconds per added test |", "|---|---|---|---|"]
        points = list(curve_tests.values())
        marginal = [(t2 - t1) / (n2 - n1) for (t1, n1), (t2, n2) in zip(points, points[1:])]
        lines += [f"| {k} | {n} | {t:.3f} | {'–' if i == 0 else f'{marginal[i - 1] * 1e3:.2f} ms'} |"
                  for i, (k, (t, n)) in enumerate(curve_tests.items())]
        linear = max(marginal) / min(marginal)
        lines += ["", "Seconds per test: what each added test costs, between one row and the one above (the "
                  "start of the grading is paid once, whatever the number of tests). From the first step to "
                  f"the last it varies by **{linear:.2f}×** (1 is exactly linear).", ""]
        conv = conv_check(tmp)
        lines += ["## A convolution at 64×64 with 16 channels", "",
                  "layer-functions' `conv` at x (1, 16, 64, 64), w (16, 16, 3, 3), stride 1, pad 1, one case: "
                  "forward, backward against the reference and against finite differences, on a vectorized "
                  f"student conv ({conv['calls']} student calls).", "",
                  f"Checking: **{conv['check']:.2f} s**; the whole grading, worker start included: {conv['wall']:.2f} s.", ""]
        sizes = [16, 64, 128] if args.quick else [16, 64, 128, 256, 512]
        lines += ["## Linear: our checks against torch.autograd.gradcheck", ""]
        have_torch = torch_available()
        if not have_torch:
            lines += ["torch is not installed (`pip install torch==2.13.0`): gradcheck columns skipped.", ""]
        lines += ["Seconds per check of one case (x of shape (8, D), W (D, D), b (D,)): ours is forward, "
                  "backward against the reference and backward against finite differences.", "",
                  "| D | ours | gradcheck fast_mode | gradcheck default |", "|---|---|---|---|"]
        ours(8, LINEAR, tmp)  # warm up: imports and schema compilation happen once per process
        cost, parts, faster = {}, {}, True
        for d in sizes:
            timed = sorted((ours(d, LINEAR, tmp) for _ in range(3)), key=lambda t: t[0])
            cost[d], _, parts[d] = timed[1]  # the median
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
                _, caught, _ = ours(d, source, tmp)
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
        lines += ["## Goals", "", "Where a goal is not met: by how much, why (from the measurements above), and the next step.", "",
                  "| goal | measured | met | why not, and the next step |", "|---|---|---|---|"]
        lines += [f"| `grade run` {a} ≤ {GOAL[a]}× the floor | {r:.1f}× | {_yes(r <= GOAL[a])} | "
                  f"{'' if r <= GOAL[a] else run_why(table[a], base, GOAL[a])} |" for a, r in ratios.items()]
        one, two = scaling[1], scaling[2]
        lines += [f"| check cost at D = {sizes[-1]} < 2× D = {sizes[0]} | {growth:.2f}× | {_yes(growth < 2)} | "
                  f"{'' if growth < 2 else linear_why(cost, parts, sizes[0], sizes[-1])} |",
                  f"| conv 64×64×16 checks in < 1 s | {conv['check']:.2f} s | {_yes(conv['check'] < 1)} | |",
                  f"| time linear in the number of tests (cost per added test within 1.5×) | {linear:.2f}× | {_yes(linear <= 1.5)} | |",
                  f"| at least as sensitive as gradcheck | see the tables above | {_yes(sensitive)} | |",
                  f"| faster than gradcheck's default at every size | see the table above | "
                  f"{_yes(faster) if have_torch else 'no torch'} | |",
                  f"| batch: 2 jobs ≥ 1.8× 1 job | {ratio:.2f}× | {_yes(ratio >= 1.8)} | "
                  f"{'' if ratio >= 1.8 else scaling_why(one, two, ratio)} |",
                  f"| batch of {big} at ≥ 8 submissions / s (2 jobs) | {curve_class[big]['rate']:.2f} | "
                  f"{_yes(curve_class[big]['rate'] >= 8)} | "
                  f"{'' if curve_class[big]['rate'] >= 8 else rate_why(curve_class[big], 8)} |",
                  f"| memory per slot reported (and bounded: one grader, one zygote, one worker) | "
                  f"{max(r['slot_mb'] for r in scaling.values()):.0f} MB | yes | |"]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


def run_why(part: dict, base: float, goal: float) -> str:
    """Why `grade run` is over its goal: what would have to go, and which part is largest."""
    over = part["wall"] - goal * base
    start = part["startup"] / base
    text = (f"{over:.2f} s too slow. Start-up alone (interpreter, numpy, the grader's modules, writing the "
            f"results) is {start:.1f}× the floor, leaving {goal - start:.1f}× for grading, which takes "
            f"{(part['wall'] - part['startup']) / base:.1f}×: ")
    if part["student_calls"] >= part["grader"]:
        return text + (f"mostly waiting for the worker ({part['student_calls']:.2f} s for {part['calls']:.0f} student "
                       "calls and a fork per node type; the grader's own work, {:.2f} s, overlaps it). Next: fewer "
                       "student calls for the same evidence (numeric checks that reuse the forward of the backward "
                       "check) and less of the worker's own work per call (every input copied, a timer set and "
                       "cleared).").format(part["grader"])
    return text + (f"mostly the grader's own work ({part['grader']:.2f} s: the spec, drawing cases, the reference, "
                   "judging). Next: the spec and the visible tests' plans kept after the first run (their cases "
                   "depend only on the spec), so a run draws and computes only the hidden tests.")


def linear_why(cost: dict, parts: dict, small: int, large: int) -> str:
    """Why the check at the largest D costs more than twice the smallest: which side grew."""
    grew_worker = parts[large]["worker"] - parts[small]["worker"]
    grew_grader = parts[large]["grader"] - parts[small]["grader"]
    from grader.grading.numeric import DIRECTIONS, PER_ELEMENT_MAX
    return (f"{cost[large] - 2 * cost[small]:.3f} s over. From D = {small} to {large} the wait for the worker grows by "
            f"{grew_worker:.3f} s and the grader's own work by {grew_grader:.3f} s: at D = {large} the numeric check makes "
            f"{2 * DIRECTIONS} forwards per input of more than {PER_ELEMENT_MAX} entries, each on fresh copies of all "
            f"inputs (W alone is "
            f"{large * large * 8 / 2**20:.0f} MB), and both sides draw {DIRECTIONS} random directions per input, "
            f"{DIRECTIONS} × {large}×{large} numbers for W. Next: copy "
            "only the input a forward perturbs, and cheaper directions that stay continuous (a ±1 direction would "
            "miss a swapped pair of entries half the time).")


def scaling_why(one: dict, two: dict, ratio: float) -> str:
    """Why 2 jobs are not 1.8x one job: one job already keeps more than one core busy."""
    cores = os.cpu_count() or 1
    bound = cores / one["cores"]
    why = (f"One job already keeps {one['cores']:.2f} cores busy (the grader judges one test while its worker runs "
           f"the next), so {cores} cores allow at most {bound:.2f}×")
    if bound >= 1.8:
        why += f", but 2 jobs keep only {two['cores']:.2f} busy"
    return f"{1.8 - ratio:.2f}× short. {why}. Next: less CPU per submission (below), which raises both."


def rate_why(run: dict, goal: float) -> str:
    """Why a batch is slower than the goal: the CPU each submission costs."""
    cores = os.cpu_count() or 1
    return (f"{goal - run['rate']:.2f} submissions / s short. Each submission costs {run['cpu']:.3f} CPU seconds "
            f"(grader, zygote fork, worker), so {cores} busy cores would allow {cores / run['cpu']:.1f} / s, but the "
            f"jobs keep {run['cores']:.2f} busy; {goal} / s "
            f"needs at most {run['cores'] / goal:.3f} CPU seconds at that. Next: the visible tests' plans and reference values "
            "computed once per batch (they are the same for every submission) and numeric checks that reuse "
            "forwards.")


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _mark(flagged: bool, variant: str) -> str:
    if variant == "correct":
        return "passes" if not flagged else "FLAGS A CORRECT NODE"
    return "caught" if flagged else "missed"


if __name__ == "__main__":
    main()
