"""Each calling convention grades as its students write: one spec per convention in
``tests/corpus/conventions/<kind>/``, a correct submission that gets full marks and a buggy
one that loses points on its node with a message in the convention's own names; and code
that does not fit the convention is told how it is called."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader.grading.grade import grade_submission

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "conventions"
KINDS = sorted(p.name for p in CORPUS.iterdir() if (p / "assignment.yaml").exists())


def test_every_convention_has_a_spec():
    assert KINDS == ["functions", "jvp", "loss", "parameters", "static"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_correct_submission_gets_full_marks(kind):
    results = grade_submission(CORPUS / kind, CORPUS / kind / "correct", seed=5)
    lost = [f"{t.name}: {t.output}" for t in results.tests if t.score < t.max_score]
    assert results.max_score > 0 and not lost, lost


@pytest.mark.parametrize("kind", KINDS)
def test_a_buggy_submission_loses_points_with_the_conventions_names(kind):
    expect = yaml.safe_load((CORPUS / kind / "buggy" / "expect.yaml").read_text())
    results = grade_submission(CORPUS / kind, CORPUS / kind / "buggy", seed=5)
    node = [t for t in results.tests if t.node == expect["node"]]
    assert sum(t.score for t in node) < sum(t.max_score for t in node)
    said = "\n".join(t.output for t in results.tests)
    for text in expect["says"]:
        assert text in said, said


MISFITS = {
    "functions": ("def affine_forward(x, w, b):\n    return x @ w + b\n\n"
                  "def affine_backward(dout, cache):\n    return dout, dout, dout\n\n"
                  "def relu_forward(x):\n    return x, x\n\nclass relu_backward:\n    pass\n",
                  ["affine_forward returned ndarray; it must return (out, cache)",
                   "relu_backward in layers.py must be a function, not a class"]),
    "static": ("class Linear:\n    def forward(self, x, W, b):\n        return x, None\n\n"
               "    def backward(self, dout, cache):\n        return dout\n",
               ["Linear.forward and Linear.backward must be static methods"]),
    "loss": ("def softmax_loss(x):\n    return 0.0, x\n",
             ["softmax_loss takes (x), but it is called as softmax_loss(x, y)"]),
    "jvp": ("class Linear:\n    def forward(self, x, W, b):\n        return x @ W.T + b\n\n"
            "    def jvp(self, x_dot):\n        return x_dot\n\nclass Tanh:\n    def forward(self, x):\n"
            "        return x\n\n    def backward(self, grad_output):\n        return grad_output\n",
            ["Linear.jvp takes (self, x_dot), but it is called as jvp(x_dot, W_dot, b_dot)",
             "Tanh has no jvp method"]),
    "parameters": ("class Linear:\n    def __init__(self, in_features, out_features):\n        pass\n\n"
                   "    def forward(self, x, W, b):\n        return x\n\n    def backward(self, dout):\n        return dout\n",
                   ["Linear.forward takes (self, x, W, b), but it is called as forward(x)"]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_code_that_does_not_fit_the_convention_is_told_how_it_is_called(kind, tmp_path):
    source, messages = MISFITS[kind]
    (tmp_path / "layers.py").write_text(source)
    results = grade_submission(CORPUS / kind, tmp_path, seed=5)
    said = "\n".join(t.output for t in results.tests)
    for text in messages:
        assert text in said, said
