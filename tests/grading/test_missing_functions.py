"""A submission that holds only part of the work: what is there is graded, and the report says
plainly, once at the top, which functions (or classes) are missing. A function pair whose
backward is missing still earns its forward's points (output, state); the checks that need
the backward say it is not written yet."""

from __future__ import annotations

import re
from pathlib import Path

from grader.grading.grade import grade_submission
from grader.report.terminal import render

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ROOT / "assignments" / "layer-functions"
KEPT = ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss", "batchnorm_forward")


def only(source: str, kept: tuple[str, ...]) -> str:
    """``source`` with every top-level function not in ``kept`` removed entirely."""
    parts = re.split(r"\n(?=def |class )", source)
    return "\n".join(p for p in parts if not re.match(r"(def|class) ", p) or re.match(rf"(def|class) ({'|'.join(kept)})\b", p))


def test_a_partial_layers_file_is_graded_where_it_can_be_and_says_what_is_missing(tmp_path):
    source = only((ROOT / "solutions" / "layer-functions" / "layers.py").read_text(), KEPT)
    assert "def svm_loss" not in source and "def batchnorm_forward" in source
    (tmp_path / "layers.py").write_text(source)
    results = grade_submission(LAYERS, tmp_path, visible_only=True, seed=3)

    missing = ["svm_loss", "batchnorm_backward", "layernorm_forward", "layernorm_backward", "dropout_forward",
               "dropout_backward", "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
               "max_pool_backward_naive", "spatial_batchnorm_forward", "spatial_batchnorm_backward"]
    summary = (f"layers.py does not yet define 12 of the 18 functions this assignment grades: {', '.join(missing)}. "
               "Their tests score 0; everything else was graded, and batchnorm_forward earned the points that "
               "need no backward.")
    assert results.output.splitlines()[0] == summary  # then what grade check did not check
    assert render(results, color=False).splitlines()[2] == summary, "said at the top of the report"

    by_node: dict[str, list] = {}
    for t in results.tests:
        by_node.setdefault(t.node, []).append(t)
    for node in ("affine", "relu", "softmax_loss"):
        assert all(t.score == t.max_score > 0 for t in by_node[node]), node
    for node, function in (("svm_loss", "svm_loss"), ("layernorm", "layernorm_forward"),
                           ("conv", "conv_forward_naive"), ("spatial_batchnorm", "spatial_batchnorm_forward")):
        assert all(t.score == 0 for t in by_node[node]), node
        assert {t.output for t in by_node[node]} == {f"Not graded yet: layers.py has no function {function}."}

    batchnorm = {t.name: t for t in by_node["batchnorm"]}
    for name, t in batchnorm.items():
        if name.endswith(("(forward)", "(state)")):
            assert t.score == t.max_score > 0, name
        else:
            assert t.score == 0 and "there is no function batchnorm_backward yet" in t.output, name
    assert 0 < results.score < results.max_score


def test_the_complete_solution_has_no_such_message():
    results = grade_submission(LAYERS, ROOT / "solutions" / "layer-functions", visible_only=True, seed=3,
                               node="relu")
    assert "does not yet define" not in results.output


def test_a_missing_class_is_named_the_same_way(tmp_path):
    """The summary is the grader's, not this assignment's: a nodes.py without class Max."""
    source = only((ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text(),
                  ("Add", "Mul", "Pow", "Exp", "Inverse", "Sigmoid", "ReLU"))
    (tmp_path / "nodes.py").write_text(source)
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", tmp_path, visible_only=True, seed=3,
                               node="Max")
    assert results.output == ("nodes.py does not yet define 1 of the 8 classes this assignment grades: Max. "
                              "Its tests score 0; everything else was graded.")
    assert {t.output for t in results.tests} == {"Not graded yet: nodes.py has no class Max."}
