"""The engine's conventions where a derivative does not exist, as the README's "Conventions at
kinks" states them for spec authors: each one here, and against torch where torch has it."""

from __future__ import annotations

import numpy as np
import pytest

from grader.engine import apply, jvp, vjp


def _grad(name, *args, seed=None, **params):
    value, pullback = vjp(lambda *xs: apply(name, *xs, **params), *args)
    return pullback(np.ones(np.shape(value)) if seed is None else seed)


def test_max_pool_gives_a_tie_to_the_first_maximum_row_by_row():
    x = np.array([[[[1.0, 3.0, 3.0],
                    [3.0, 0.0, 2.0],
                    [3.0, 3.0, 3.0]]]])
    (gx,) = _grad("max_pool2d", x, size=2, stride=1)
    # windows at (0,0) and (1,0) pick x[0,1] and x[1,0]; (0,1) picks x[0,1]; (1,1) picks x[2,1]
    np.testing.assert_array_equal(gx[0, 0], [[0, 2, 0], [1, 0, 0], [0, 1, 0]])
    _, tangent = jvp(lambda a: apply("max_pool2d", a, size=2, stride=1), [x], [np.arange(9.0).reshape(x.shape)])
    np.testing.assert_array_equal(tangent[0, 0], [[1, 1], [3, 7]])


def test_max_pool_ties_agree_with_torch():
    torch = pytest.importorskip("torch")
    x = np.round(np.random.default_rng(3).normal(size=(2, 2, 6, 5)))  # many ties among small integers
    for size, stride in [(2, None), (3, 1), ((2, 3), (2, 1))]:
        t = torch.tensor(x, requires_grad=True)
        out = torch.nn.functional.max_pool2d(t, size, stride=stride)
        g = np.random.default_rng(4).normal(size=tuple(out.shape))
        (expected,) = torch.autograd.grad(out, t, torch.tensor(g))
        np.testing.assert_allclose(_grad("max_pool2d", x, seed=g, size=size, stride=stride)[0],
                                   expected.numpy(), rtol=1e-13, atol=1e-15,
                                   err_msg=f"size {size}, stride {stride}")  # overlaps: order of sums


def test_clip_passes_the_gradient_at_its_bounds_and_stops_it_outside():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(_grad("clip", x, lo=-1.0, hi=1.0)[0], [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(_grad("clip", x, lo=1.0, hi=-1.0)[0], [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(_grad("clip", x, hi=0.0)[0], [1, 1, 1, 0, 0])


def test_clip_at_its_bounds_agrees_with_torch():
    torch = pytest.importorskip("torch")
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    t = torch.tensor(x, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.clamp(t, -1.0, 1.0).sum(), t)
    np.testing.assert_array_equal(_grad("clip", x, lo=-1.0, hi=1.0)[0], expected.numpy())


def test_hinge_at_a_margin_of_exactly_0_sends_no_gradient():
    scores = np.array([[1.0, 2.0, 0.0]])  # label 1: margins 1 - 2 + 1 = 0 and 0 - 2 + 1 = -1
    (gs, _) = _grad("hinge", scores, np.array([1]))
    np.testing.assert_array_equal(gs, [[0.0, 0.0, 0.0]])
    scores[0, 0] = 1.5  # margin 0.5: active
    np.testing.assert_array_equal(_grad("hinge", scores, np.array([1]))[0], [[1.0, -1.0, 0.0]])


def test_std_of_equal_entries_has_gradient_0():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    (gx,) = _grad("std", x, axis=1)
    np.testing.assert_array_equal(gx[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(gx[1], np.array([-1.0, 0.0, 1.0]) / (3 * np.std([1.0, 2.0, 3.0])))


def test_std_of_equal_entries_agrees_with_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    t = torch.tensor(x, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.std(t, dim=1, correction=0).sum(), t)
    np.testing.assert_allclose(_grad("std", x, axis=1)[0], expected.numpy(), rtol=1e-15)


@pytest.mark.parametrize("name, x, expected", [
    ("relu", 0.0, 0.0), ("abs", 0.0, 0.0), ("leaky_relu", 0.0, 0.01), ("sqrt", 0.0, np.inf),
])
def test_elementwise_kinks(name, x, expected):
    with np.errstate(divide="ignore"):
        assert _grad(name, np.array(x))[0] == expected


def test_l1_where_prediction_equals_target_sends_no_gradient():
    gp, gt = _grad("l1", np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    np.testing.assert_array_equal(gp, [0.0, 0.5])
    np.testing.assert_array_equal(gt, [0.0, -0.5])


def test_where_the_branch_not_taken_still_poisons_the_gradient():
    """Both branches are computed everywhere; a zero cotangent times an infinite local
    derivative is NaN, in torch and autograd too. A where inside the branch keeps its
    argument in the domain: where(x > 0, sqrt(where(x > 0, x, 1)), 0)."""
    x = np.array([-1.0, 0.0, 4.0])

    def naive(a):
        return apply("where", apply("gt", a, 0.0), apply("sqrt", a), 0.0)

    def guarded(a):
        safe = apply("where", apply("gt", a, 0.0), a, 1.0)
        return apply("where", apply("gt", a, 0.0), apply("sqrt", safe), 0.0)

    with np.errstate(all="ignore"):
        value, pullback = vjp(naive, x)
        np.testing.assert_array_equal(value, [0.0, 0.0, 2.0])
        assert np.isnan(pullback(np.ones(3))[0][:2]).all()
        value, pullback = vjp(guarded, x)
    np.testing.assert_array_equal(value, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(pullback(np.ones(3))[0], [0.0, 0.0, 0.25])


def test_the_other_kink_conventions_are_torchs_too():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    zero, ties = np.zeros(1), np.array([[1.0, 3.0, 3.0]])
    cases = [  # (engine op, its args, params, torch function of tensors)
        ("relu", [zero], {}, torch.relu),
        ("abs", [zero], {}, torch.abs),
        ("leaky_relu", [zero], {"alpha": 0.2}, lambda a: F.leaky_relu(a, 0.2)),
        ("l1", [zero, zero], {}, F.l1_loss),
        ("maximum", [ties, ties[:, ::-1].copy()], {}, torch.maximum),
        ("minimum", [ties, ties[:, ::-1].copy()], {}, torch.minimum),
        ("max", [ties], {"axis": 1}, lambda a: torch.amax(a, dim=1)),
        ("min", [-ties], {"axis": -1}, lambda a: torch.amin(a, dim=-1)),
        ("pow", [np.array([0.0, 1.0]), np.array(0.0)], {}, torch.pow),
    ]
    for name, args, params, twin in cases:
        tensors = [torch.tensor(a, requires_grad=True) for a in args]
        expected = torch.autograd.grad(twin(*tensors).sum(), tensors)
        for mine, theirs in zip(_grad(name, *args, **params), expected):
            np.testing.assert_array_equal(mine, theirs.numpy(), err_msg=name)
    scores = torch.tensor([[1.0, 2.0, 0.0], [1.5, 2.0, 0.0]], dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(F.multi_margin_loss(scores, torch.tensor([1, 1])), scores)
    mine = _grad("hinge", scores.detach().numpy(), np.array([1, 1]))[0]
    np.testing.assert_allclose(mine, 3 * expected.numpy(), rtol=1e-15)  # torch divides by C too
