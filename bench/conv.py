"""Benchmark: grading a naive-loop convolution (cs231n's four nested loops) at the sizes its
handout checks gradients at, and larger: python bench/conv.py

For each size: the wall time of ``grade run`` on the conv node alone, the number of student
calls, the slowest single call against the per-call limit, and how the numeric check probes
each input (every element for small inputs, a few random directions for large ones, so its
cost does not grow with the input's size).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.grading import numeric  # noqa: E402
from grader.grading.grade import grade_submission  # noqa: E402

NAIVE = '''
import numpy as np


def conv_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, Ho, Wo = dout.shape
    _, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dxp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += w[f] * dout[n, f, i, j]
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))
'''

SIZES = [  # (label, dims): cs231n checks gradients at x (4, 3, 5, 5), w (2, 3, 3, 3)
    ("handout: x (4, 3, 5, 5), w (2, 3, 3, 3)", {"N": 4, "C": 3, "H": 5, "F": 2, "K": 3}),
    ("x (2, 3, 8, 8), w (4, 3, 3, 3)", {"N": 2, "C": 3, "H": 8, "F": 4, "K": 3}),
    ("x (4, 3, 16, 16), w (8, 3, 3, 3)", {"N": 4, "C": 3, "H": 16, "F": 8, "K": 3}),
]


def spec(dims: dict[str, int]) -> dict:
    return {"id": "conv-bench", "title": "Naive convolution", "files": ["layers.py"], "convention": "functions",
            "limits": {"call_seconds": 10, "total_seconds": 540},
            "defaults": {"dims": dims, "cases": 3},
            "nodes": {"conv": {
                "inputs": {"x": {"shape": ["N", "C", "H", "H"]}, "w": {"shape": ["F", "C", "K", "K"]},
                           "b": {"shape": ["F"]}, "conv_param": {"param": {"stride": 1, "pad": 1}}},
                "reference": "conv2d(x, w, stride=conv_param['stride'], pad=conv_param['pad']) + b[None, :, None, None]"}}}


def probes(dims: dict[str, int]) -> str:
    sizes = {"x": dims["N"] * dims["C"] * dims["H"] ** 2, "w": dims["F"] * dims["C"] * dims["K"] ** 2, "b": dims["F"]}
    return ", ".join(f"{k}: {'every element' if n <= numeric.PER_ELEMENT_MAX else f'{numeric.DIRECTIONS} directions'}"
                     for k, n in sizes.items())


def one_call(dims: dict[str, int]) -> float:
    """The slowest of a few forward + backward calls of the naive conv at these sizes, in this process."""
    import numpy as np

    scope: dict = {}
    exec(NAIVE, scope)  # noqa: S102 - the benchmark's own student code
    rng = np.random.default_rng(0)
    x = rng.normal(size=(dims["N"], dims["C"], dims["H"], dims["H"]))
    w, b = rng.normal(size=(dims["F"], dims["C"], dims["K"], dims["K"])), rng.normal(size=dims["F"])
    worst = 0.0
    for _ in range(3):
        start = time.perf_counter()
        out, cache = scope["conv_forward"](x, w, b, {"stride": 1, "pad": 1})
        scope["conv_backward"](np.ones_like(out), cache)
        worst = max(worst, time.perf_counter() - start)
    return worst


def main() -> None:
    rows = ["| size | wall (s) | student calls | their time (s) | one forward + backward (s) | numeric probes | score |",
            "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, dims) in enumerate(SIZES):
            folder = Path(tmp) / f"size{i}"
            (folder / "sub").mkdir(parents=True)
            (folder / "assignment.yaml").write_text(yaml.safe_dump(spec(dims), sort_keys=False))
            (folder / "sub" / "layers.py").write_text(NAIVE)
            start = time.perf_counter()
            results = grade_submission(folder, folder / "sub", seed=1)
            wall = time.perf_counter() - start
            timings = results.extra["timings"]
            rows.append(f"| {label} | {wall:.2f} | {timings['calls']} | {timings['student_calls']:.2f} | "
                        f"{one_call(dims):.4f} | {probes(dims)} | {results.score:g} / {results.max_score:g} |")
    print("\n".join(rows))
    print(f"\nPer-call limit of the spec: 10 s (call_seconds); grading limit: 540 s (total_seconds). "
          f"{numeric.DIRECTIONS} directions per input above {numeric.PER_ELEMENT_MAX} elements.")


if __name__ == "__main__":
    main()
