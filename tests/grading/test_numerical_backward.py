"""A backward that differentiates its own forward numerically passes the checks (its
gradients are right to about 1e-9), and is reported to the instructor as such: a note in the
results (``extra_data.notes``, the report and the class summary), the grade unchanged. An
analytic backward never gets the note."""

from __future__ import annotations

import re
from pathlib import Path

from grader.report.gradescope import to_gradescope
from grader.grading.grade import grade_submission
from grader.report.summary import summarize

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "assignments" / "scalar-graphs"
SOLUTION = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", (SPEC.parents[1] / "solutions" / "scalar-graphs" / "nodes.py").read_text())

NUMERICAL = '''

def numerical_backward(forward, inputs, grad_output, h=1e-6):
    """d(sum(grad_output * forward(inputs)))/d(input), by central differences."""
    grads = []
    for k, x in enumerate(inputs):
        x = np.asarray(x, dtype=float)
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            for sign in (1, -1):
                moved = [np.array(v, dtype=float) for v in inputs]
                moved[k][i] += sign * h
                g[i] += sign * np.sum(grad_output * forward(*moved)) / (2 * h)
        grads.append(g)
    return grads


class Exp:
    def forward(self, x):
        self.x = x
        return np.exp(x)

    def backward(self, grad_output):
        return numerical_backward(np.exp, [self.x], grad_output)[0]


class Inverse:'''


def test_a_numerical_backward_is_noted_for_the_instructor(tmp_path):
    source = SOLUTION[:SOLUTION.index("class Exp:")] + NUMERICAL.lstrip() + SOLUTION[SOLUTION.index("class Inverse:") + len("class Inverse:"):]
    (tmp_path / "nodes.py").write_text(source)
    results = grade_submission(SPEC, tmp_path, seed=1)
    exp = [t for t in results.tests if t.node == "Exp" and t.check == "backward"]
    assert exp and all(t.passed for t in exp)  # the grade stands
    assert len(results.notes) == 1 and results.notes[0].startswith("Exp.backward passes, but agrees")
    data = to_gradescope(results)
    assert data["extra_data"]["notes"] == results.notes
    assert "Exp.backward passes" in str(results)
    rows = [{"submission": "ada", "status": "graded", "score": data["score"], "max_score": 117}]
    assert "| Exp | 1 |" in summarize("scalar-graphs", rows, {"ada": data})


def test_an_analytic_backward_gets_no_note(tmp_path):
    (tmp_path / "nodes.py").write_text(SOLUTION)
    results = grade_submission(SPEC, tmp_path, seed=1)
    assert results.notes == [] and "notes" not in to_gradescope(results)["extra_data"]
