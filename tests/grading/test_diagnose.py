"""Diagnoses: each common mistake gets its own short message, and right answers get none."""

from __future__ import annotations

import numpy as np
import pytest

from grader.grading.diagnose import compare, fmt

W = np.arange(1.0, 7.0).reshape(2, 3)
TOL = {"rtol": 1e-6, "atol": 1e-8}


def check(got, want=W, **kw):
    return compare(np.asarray(got, dtype=float), np.asarray(want, dtype=float), what="dW", **TOL, **kw)


def test_right_answers_and_round_off_pass():
    assert check(W) is None
    assert check(W * (1 + 1e-9)) is None


@pytest.mark.parametrize("got, kw, text", [
    (W * 2, {}, "2 × the right value"),
    (W / 2, {}, "½ × the right value"),
    (-W, {}, "wrong sign"),
    (W * 5, {"factors": {"N": 5}}, "N = 5 times the right value"),
    (W / 5, {"factors": {"N": 5}}, "1/N of the right value"),
    (W * 2, {"factors": {"N": 2}}, "2 × the right value"),
    (W * 1.7, {}, "constant factor of 1.7"),
    (np.ones((5, 2, 3)), {}, "sum over axis 0 (the gradient"),
    (np.ones((1, 2, 3)), {}, "sum over axis 0, without keepdims=True"),
    (W.T, {}, "looks transposed"),
    (np.array([1.0, 2, 3, 4, 5, 6]), {}, "right number of entries in the wrong shape"),
    (np.where(W > 3, W, np.nan), {}, "contains NaN"),
    (np.where(W > 3, W, np.inf), {}, "contains inf"),
], ids=["2x", "half", "sign", "N", "1/N", "N=2 is 2x", "factor", "axis", "axis-kept", "transposed-shape", "reshape", "nan", "inf"])
def test_named_mistakes(got, kw, text):
    message = check(got, **kw)
    assert message and text in message, message


def test_square_transpose():
    s = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert "transpose of the right value" in check(s.T, s)


def test_keepdims_hint():
    assert "keepdims=True" in check(np.ones((2, 3)), np.ones((1, 3)))


def test_zero_d_expected():
    assert "0-d" in check(np.array([3.0]), np.array(3.0))


def test_without_the_references_branches_nothing_is_said_about_where():
    """An input's sign is no region unless the reference branches there (see test_regions)."""
    x = np.array([-1.0, 2.0, -3.0, 4.0])
    message = compare(np.ones(4), np.where(x > 0, 1.0, 0.0), what="dx", inputs={"x": x}, **TOL)
    assert "only" not in message and "x <= 0" not in message, message


def test_alternatives_name_the_mistake():
    want, ones = np.array([0.5, -1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    message = compare(ones, want, what="dx", alternatives={"it ignores grad_output": ones}, **TOL)
    assert "ignores grad_output" in message


def test_small_arrays_are_shown_and_large_ones_summarised():
    assert "expected [1., 2.], got [1., 5.]" in compare(np.array([1.0, 5.0]), np.array([1.0, 2.0]), what="dx", **TOL)
    rng = np.random.default_rng(0)
    big = rng.normal(size=(20, 20))
    wrong = big.copy()
    wrong[3, 7] += 5
    wrong[1, 1] += 1
    message = compare(wrong, big, what="dW", **TOL)
    assert "2 of 400 entries" in message and "index (3, 7)" in message


def test_fmt_is_short():
    assert fmt(np.array(2.5)) == "2.5"
    assert "shape (10, 10)" in fmt(np.zeros((10, 10)))


def test_the_fast_allclose_agrees_with_numpy_on_finite_infinite_and_nan_values():
    from grader.grading.diagnose import allclose
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(2000):
        a = np.array(rng.normal(size=rng.integers(1, 5, size=rng.integers(0, 3))))
        b = np.array(a + rng.normal(size=a.shape) * rng.choice([0, 1e-9, 1e-5, 1e-3, 1]))
        for array in (a, b):
            for value in (np.inf, -np.inf, np.nan):
                if rng.random() < 0.1:
                    array[...] = np.where(rng.random(array.shape) < 0.3, value, array)
        for rtol, atol in [(1e-5, 1e-8), (1e-3, 1e-6), (0.0, 0.0)]:
            assert allclose(a, b, rtol, atol) == bool(np.allclose(a, b, rtol=rtol, atol=atol)), (a, b, rtol, atol)
            checked += 1
    assert checked == 6000


def test_right_only_at_the_last_step_of_an_axis():
    want = np.random.default_rng(3).normal(size=(2, 4, 3))
    got = want.copy()
    got[:, :-1] += 0.1                               # every step but the last is wrong
    assert "right only at the last index of axis 1" in compare(got, want, what="dx", **TOL)
    got[:, 1] = want[:, 1]                           # one earlier step right: another mistake
    assert "last index" not in compare(got, want, what="dx", **TOL)


@pytest.mark.parametrize("divide_by, text", [
    ("count", "is N/3 × the right value, with 3 the number of True entries of mask: divide by N (5)"),
    ("N", None),
])
def test_a_masked_mean_over_the_mask_count_instead_of_a_dim(divide_by, text):
    mask = np.array([True, False, True, False, True])
    want = np.arange(1.0, 6.0) * mask / 5
    got = want * 5 / 3 if divide_by == "count" else want
    message = compare(got, want, what="dx", factors={"N": 5}, inputs={"mask": mask}, **TOL)
    assert (message is None) if text is None else (text in message), message


def test_reshape_hint_names_the_shape():
    message = compare(np.ones((2, 12)), np.ones((2, 2, 2, 3)), what="dx", **TOL)
    assert "reshape it to (2, 2, 2, 3)" in message


def test_a_padded_gradient_is_told_to_strip_the_padding():
    message = compare(np.ones((1, 2, 6, 5)), np.ones((1, 2, 4, 3)), what="dx", **TOL)
    assert "it looks padded, 1 too many on each side of axis (2, 3); strip the padding" in message
    assert "padded" not in compare(np.ones((1, 2, 6, 4)), np.ones((1, 2, 4, 3)), what="dx", **TOL)


def test_gradient_sent_to_entries_that_should_get_none():
    rng = np.random.default_rng(1)
    want = np.where(rng.random((6, 6)) < 0.3, rng.normal(size=(6, 6)), 0.0)
    got = np.where(want == 0, 1.5, want)
    assert "is not 0 at" in compare(got, want, what="dx", **TOL)


def test_another_mask_in_backward():
    rng = np.random.default_rng(2)
    dout = rng.normal(size=(10, 10))
    mask, other = rng.random((10, 10)) < 0.5, rng.random((10, 10)) < 0.5
    message = compare(dout * other, dout * mask, what="dx", **TOL)
    assert "backward keeps other entries than forward did; use the forward's mask" in message


def test_a_factor_that_is_an_attribute_is_named():
    """Pow's backward without its factor p: named as the attribute, at every p, not as ½ at p = 2
    and nothing at p = 3."""
    x = np.array([0.5, -1.5, 2.0])
    for p in (2, 3, 0.5):
        right = p * x ** 2
        message = compare(right / p, right, what="dx", attributes={"p": p}, **TOL)
        assert f"dx is 1/p of the right value (p = {p:g}): is the factor p missing?" in message
        assert "factor p there twice" in compare(right * p, right, what="dx", attributes={"p": p}, **TOL)
    plain = compare(right / 2, right, what="dx", attributes={"p": 1}, **TOL)  # p = 1 explains no factor
    assert "½ × the right value" in plain and "factor p" not in plain
