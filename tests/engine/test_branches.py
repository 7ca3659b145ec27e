"""Each op whose formula switches names its branches (``Op.branches``): a mask shaped like the
operands it lines up with, worded with the operands' names, and true exactly where the op's
own VJP takes that branch."""

from __future__ import annotations

import numpy as np
import pytest

from grader.engine import OPS

RNG = np.random.default_rng(0)
A, B = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
LABELS = np.array([0, 3, 1])
IMAGE = RNG.normal(size=(1, 2, 4, 4))
ROWS = np.array([[0, 2, 0], [4, 2, 1]])


def branches(op: str, *args, **params):
    return OPS[op].branches(["a", "b"][:len(args)], *args, **params)


def pullback(op: str, *args, **params):
    """The VJP of ``op`` at ``args`` for an upstream gradient of ones."""
    out = OPS[op].forward(*args, **{**OPS[op].params, **params})
    return OPS[op].vjp(np.ones(np.shape(out)), out, *args, **{**OPS[op].params, **params})


@pytest.mark.parametrize("op, words", [("relu", ("a > 0", "a <= 0")), ("leaky_relu", ("a > 0", "a <= 0")),
                                       ("abs", ("a > 0", "a <= 0"))])
def test_unary_ops_switch_where_their_operand_passes_zero(op, words):
    (branch,) = branches(op, A)
    assert branch.mask.dtype == bool and np.array_equal(branch.mask, A > 0)
    assert (branch.where, branch.otherwise) == tuple(f"where {w}" for w in words)
    slope = pullback(op, A)[0]
    assert len(np.unique(slope[branch.mask])) == 1 and len(np.unique(slope[~branch.mask])) == 1


@pytest.mark.parametrize("op, holds, fails", [("maximum", ">", "<="), ("minimum", "<", ">="), ("gt", ">", "<="),
                                              ("ge", ">=", "<"), ("lt", "<", ">="), ("le", "<=", ">")])
def test_binary_comparisons_name_both_operands(op, holds, fails):
    (branch,) = branches(op, A, B)
    assert branch.where == f"where a {holds} b" and branch.otherwise == f"where a {fails} b"
    assert branch.aligned == (0, 1) and branch.mask.shape == A.shape
    if op in ("maximum", "minimum"):
        assert np.array_equal(pullback(op, A, B)[0] == 1, branch.mask)


def test_clip_names_its_bounds():
    (branch,) = branches("clip", A, lo=-0.5, hi=0.5)
    assert branch.where == "where a >= -0.5 and a <= 0.5" and branch.otherwise == "where a < -0.5 or a > 0.5"
    assert np.array_equal(branch.mask, pullback("clip", A, lo=-0.5, hi=0.5)[0] == 1)
    assert branches("clip", A) == []


def test_the_hinge_loss_switches_at_the_label_column_and_at_each_margin():
    label, margins = branches("hinge", A, LABELS)
    hot = np.zeros(A.shape, dtype=bool)
    hot[np.arange(3), LABELS] = True
    assert np.array_equal(label.mask, hot) and label.where == "in the label's column, a[i, b[i]]"
    weights = pullback("hinge", A, LABELS)[0]
    assert np.array_equal(margins.mask, (weights > 0) & ~hot) and margins.otherwise is None
    assert np.array_equal(branches("softmax_cross_entropy", A, LABELS)[0].mask, hot)
    assert branches("hinge", A[0], LABELS[0]) == []           # no rows to name


def test_l1_switches_where_pred_passes_target():
    (branch,) = branches("l1", A, B)
    assert branch.where == "where a > b" and np.array_equal(branch.mask, pullback("l1", A, B)[0] > 0)


def test_maxima_of_axes_and_windows_break_ties():
    (axis,) = branches("max", A, axis=1)
    assert axis.ties and axis.where == "where a is the maximum along axis 1"
    assert np.array_equal(axis.mask, pullback("max", A, axis=1)[0] > 0)
    (window,) = branches("max_pool2d", IMAGE, size=2, stride=2)
    assert window.ties and window.mask.shape == IMAGE.shape
    assert np.array_equal(window.mask, pullback("max_pool2d", IMAGE, size=2, stride=2)[0] != 0)


def test_take_switches_at_rows_taken_more_than_once():
    (rows,) = branches("take", RNG.normal(size=(6, 2)), ROWS)
    assert np.array_equal(rows.mask, [True, False, True, False, False, False])
    assert rows.where == "in the rows that b selects more than once" and "np.add.at(da, b, ...)" in rows.hint


def test_smooth_ops_have_no_branches():
    for op in ("add", "mul", "exp", "sigmoid", "tanh", "matmul", "softmax", "mse", "sum", "mean"):
        assert OPS[op].branches is None, op
