"""Claims about where an array is wrong (grading.regions): made only from the reference's own
branches, worded with the spec's input names, and only when the wrong entries are exactly
one side of a branch with enough entries on each side; otherwise nothing about regions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assignment_helpers import assignment
from grader.grading.diagnose import compare
from grader.grading.regions import EVIDENCE, Branches
from grader.spec.expr import parse_expression
from grader.spec.reference import node_result

TOL = {"rtol": 1e-6, "atol": 1e-8}
SCALAR = assignment("scalar-graphs").nodes
VECTOR = assignment("vector-layers").nodes
LAYERS = assignment("layer-functions").nodes
RNN = assignment("rnn-functions").nodes
X = np.array([[1.0, -2.0, 0.5], [-0.5, 3.0, -1.5]])
Y = np.array([[0.0, 1.0, -1.0], [-2.0, -1.0, 0.5]])  # x <= y at (0, 1) and (1, 2) only; x <= 0 also at (1, 0)


def diagnosis(node, inputs, name, got, phase="backward", dout=None, attributes=None):
    """What ``compare`` says about ``got`` as input ``name``'s gradient (None: the output)."""
    attributes = node.attributes if attributes is None else attributes
    result = node_result(node, attributes, inputs, dout)
    want = result.output if name is None else result.grads[name]
    regions = Branches(node, attributes, inputs, None).of(name, phase)
    what = "the output" if name is None else f"d{name}"
    return compare(np.asarray(got, dtype=float), want, what=what, inputs=inputs, regions=regions, **TOL)


def test_max_wrong_on_one_side_of_its_branch_says_which_side_in_the_inputs_names():
    dout = np.ones_like(X)
    wrong_dx = np.where(X > Y, 1.0, -1.0)  # the loser gets -dout instead of 0
    assert diagnosis(SCALAR["Max"], {"x": X, "y": Y}, "x", wrong_dx, dout=dout) == (
        "dx is wrong only where x <= y (Max's branch), where it should be 0: check that side of Max.backward")
    wrong_dy = np.ones_like(X)              # y always gets the whole gradient
    assert diagnosis(SCALAR["Max"], {"x": X, "y": Y}, "y", wrong_dy, dout=dout) == (
        "dy is wrong only where x > y (Max's branch), where it should be 0: check that side of Max.backward")


def test_a_region_that_is_not_a_branch_of_the_reference_is_never_claimed():
    """Max's branch is x > y: a dx wrong exactly where x <= 0 (today's old guess) gets no region."""
    dout = np.ones_like(X)
    right = np.where(X > Y, 1.0, 0.0)
    got = np.where(X <= 0, right + 1.0, right)
    message = diagnosis(SCALAR["Max"], {"x": X, "y": Y}, "x", got, dout=dout)
    assert "only where" not in message and "only in" not in message, message
    inverse = SCALAR["Inverse"]                           # 1/x has a kink at 0, but no branch
    got = np.where(X < 0, 1 / X ** 2, -1 / X ** 2)
    assert "only where" not in diagnosis(inverse, {"x": X}, "x", got, dout=np.ones_like(X))


def test_no_claim_without_enough_entries_on_both_sides_or_when_wrong_everywhere():
    x, y = np.array([1.0, -1.0, 2.0]), np.array([0.0, 0.0, 0.0])  # x <= y at one entry only
    dout = np.ones(3)
    got = np.where(x > y, 1.0, -1.0)
    assert EVIDENCE == 2 and "only where" not in diagnosis(SCALAR["Max"], {"x": x, "y": y}, "x", got, dout=dout)
    everywhere = np.where(X > Y, 2.0, -1.0)
    assert "only where" not in diagnosis(SCALAR["Max"], {"x": X, "y": Y}, "x", everywhere, dout=np.ones_like(X))
    one_right = np.where(X > Y, 1.0, -1.0)
    one_right[0, 1] = 0.0                                 # one entry of the wrong side right after all
    assert "only where" not in diagnosis(SCALAR["Max"], {"x": X, "y": Y}, "x", one_right, dout=np.ones_like(X))


@pytest.mark.parametrize("nodes, node, call, zero", [(SCALAR, "ReLU", "ReLU.backward", True),
                                                     (LAYERS, "relu", "relu_backward", True),
                                                     (VECTOR, "LeakyReLU", "LeakyReLU.backward", False)])
def test_relu_like_backward_wrong_on_one_side(nodes, node, call, zero):
    dout = np.ones_like(X)
    right = node_result(nodes[node], nodes[node].attributes, {"x": X}, dout).grads["x"]
    got = np.where(X > 0, right, 0.3)
    should = ", where it should be 0" if zero else ""
    assert diagnosis(nodes[node], {"x": X}, "x", got, dout=dout) == (
        f"dx is wrong only where x <= 0 ({node}'s branch){should}: check that side of {call}")


def test_the_output_too_when_it_is_the_branching_op_itself():
    got = np.where(X > 0, X, X)                            # forward forgot to clip the negative side
    assert diagnosis(SCALAR["ReLU"], {"x": X}, None, got, phase="forward") == (
        "the output is wrong only where x <= 0 (ReLU's branch), where it should be 0: check that side of ReLU.forward")


def test_a_hinge_loss_missing_the_label_column_is_told_so_not_scores_greater_than_0():
    scores = np.array([[2.0, 1.5, 0.2], [0.1, 0.4, 0.3], [1.0, 3.0, 2.5], [0.5, 0.6, 0.0]])
    labels = np.array([0, 2, 1, 2])
    node = VECTOR["HingeLoss"]
    right = node_result(node, {}, {"scores": scores, "labels": labels}, np.array(1.0)).grads["scores"]
    got = right.copy()
    got[np.arange(4), labels] = 0.0                       # every row has a positive margin: all 4 wrong
    message = diagnosis(node, {"scores": scores, "labels": labels}, "scores", got, dout=np.array(1.0))
    assert message == ("dscores is wrong only in the label's column, scores[i, labels[i]] (HingeLoss's branch): "
                       "check that side of HingeLoss.backward")


def test_a_mask_input_over_leading_axes_and_only_with_both_sides_seen():
    node = RNN["temporal_softmax_loss"]
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2, 3, 4)), np.array([[0, 1, 2], [3, 0, 1]])
    mask = np.array([[True, False, True], [False, True, True]])
    inputs = {"x": x, "y": y, "mask": mask}
    right = node_result(node, {}, inputs, np.array(1.0)).grads["x"]
    got = right + (~mask)[..., None] * 0.5               # the masked-out steps got a gradient
    assert diagnosis(node, inputs, "x", got, dout=np.array(1.0)).startswith(
        "dx is wrong only where mask is False (a mask of temporal_softmax_loss)")
    none_kept = {**inputs, "mask": np.zeros((2, 3), dtype=bool)}
    assert "only where" not in diagnosis(node, none_kept, "x", np.ones((2, 3, 4)), dout=np.array(1.0))


def test_the_rows_an_index_selects_more_than_once():
    node = RNN["word_embedding"]
    x = np.array([[0, 2, 0], [2, 2, 1], [3, 4, 4]])       # rows 0, 2 and 4 repeated; 1, 3 and 5 not
    w = np.random.default_rng(2).normal(size=(6, 2))
    dout = np.random.default_rng(3).normal(size=(3, 3, 2))
    got = np.zeros((6, 2))
    got[x] += dout                                        # keeps one contribution per row
    message = diagnosis(node, {"x": x, "W": w}, "W", got, dout=dout)
    assert message.startswith("dW is wrong only in the rows that x selects more than once") and "np.add.at" in message
    right = node_result(node, {}, {"x": x, "W": w}, dout).grads["W"]
    other = right.copy()
    other[1] += 1.0                                       # row 1 is used once: not this mistake
    assert "more than once" not in diagnosis(node, {"x": x, "W": w}, "W", other, dout=dout)


def test_ties_are_said_only_where_a_branch_of_the_reference_breaks_them():
    x = np.array([[1.0, 1.0], [0.5, 2.0]])
    got = np.array([[1.0, 1.0], [0.0, 1.0]])
    want = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert "ties" not in compare(got, want, what="dx", inputs={"x": x}, **TOL)  # no reference, no branch
    pool = LAYERS["max_pool"]
    image = np.array([[[[1.0, 1.0, 0.0, 3.0], [0.5, -1.0, 3.0, 1.0]]]])  # two tied maxima per window
    inputs = {"x": image, "pool_param": {"pool_height": 2, "pool_width": 2, "stride": 2}}
    dout = np.ones((1, 1, 1, 2))
    everyone = np.array([[[[1.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]]]])  # both tied maxima get it
    assert "x has ties" in diagnosis(pool, inputs, "x", everyone, dout=dout, attributes={})


def test_comparisons_in_an_expression_are_branches_and_unnamed_operands_are_not():
    mul = SCALAR["Mul"]
    leaky = dataclasses.replace(mul, reference=parse_expression("where(x > y, x, 0.1 * x)", ["x", "y"]))
    dout = np.ones_like(X)
    right = np.where(X > Y, 1.0, 0.1)
    assert diagnosis(leaky, {"x": X, "y": Y}, "x", np.where(X > Y, 1.0, 0.0), dout=dout).startswith(
        "dx is wrong only where x <= y (Mul's branch)")
    assert diagnosis(leaky, {"x": X, "y": Y}, "x", right, dout=dout) is None
    square = np.array([[1.0, -2.0], [0.5, 1.0]])
    hidden = dataclasses.replace(mul, reference=parse_expression("relu(x @ y)", ["x", "y"]))  # x @ y: no names
    inputs = {"x": square, "y": np.eye(2)}
    got = node_result(hidden, {}, inputs, np.ones((2, 2))).grads["x"] + (square @ np.eye(2) <= 0)
    assert "only where" not in diagnosis(hidden, inputs, "x", got, dout=np.ones((2, 2)), attributes={})
    product = dataclasses.replace(mul, reference=parse_expression("relu(x * y)", ["x", "y"]))
    y = np.array([[1.0, -1.0, -1.0], [-2.0, 1.0, 1.0]])   # x * y <= 0 at (0, 2) and (1, 2)
    got = np.where(X * y > 0, y, 1.0)
    assert diagnosis(product, {"x": X, "y": y}, "x", got, dout=dout, attributes={}).startswith(
        "dx is wrong only where x * y <= 0 (Mul's branch)")


def test_branches_are_found_only_for_a_wrong_answer():
    """Finding the reference's branches evaluates it again: a right answer must not pay for it."""
    import numpy as np

    from grader.grading.diagnose import compare

    def never():
        raise AssertionError("regions were looked for although the answer is right")

    assert compare(np.ones(3), np.ones(3), what="dx", rtol=1e-6, atol=1e-8, regions=never) is None
    asked = []
    compare(np.zeros(3), np.ones(3), what="dx", rtol=1e-6, atol=1e-8, regions=lambda: asked.append(1))
    assert asked == [1]
