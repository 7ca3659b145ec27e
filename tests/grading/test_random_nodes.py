"""Random nodes (dropout): the mask read off the student's output, the output and backward
checked given it, the kept fraction held to an exact binomial bound (a correct forward fails
with probability below 1e-9 per test), the same seed giving the same mask, test mode the
identity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from corpus_helpers import failing, graded, respecced
from grader.grading import randomcheck
from grader.grading.grade import grade_submission
from grader.spec.model import RandomMask

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "dropout"
CORRECT = (CORPUS / "correct" / "layers.py").read_text()


def test_the_correct_dropout_gets_full_marks():
    results = grade_submission(CORPUS, CORPUS / "correct", seed=6)
    assert results.score == results.max_score > 0, failing(results)
    checks = {t.check for t in results.tests if t.group == "train mode"}
    assert checks >= {"forward", "backward", "numeric", "random"}, checks
    assert not any(t.check == "random" for t in results.tests if t.group == "test mode")


def test_keeping_with_the_wrong_probability_and_no_scaling_is_caught():
    wrong = failing(grade_submission(CORPUS, CORPUS / "buggy", seed=6))
    assert "is dropout_param['p'] the probability of keeping?" in wrong["dropout: train mode (random)"]
    assert "off by a constant factor of 0.7" in wrong["dropout: train mode (forward)"]
    assert "dropout: test mode (forward)" not in wrong


@pytest.mark.parametrize("change, test, says", [
    (('        np.random.seed(dropout_param["seed"])\n', "        pass\n"),
     "dropout: train mode (random)", "two calls with the same dropout_param['seed'] gave different masks"),
    (('np.random.seed(dropout_param["seed"])', "np.random.seed(0)"),
     "dropout: keep most (random)", "a different dropout_param['seed'] gave the same mask"),
    (("        return dout * mask\n", "        return dout\n"), "dropout: train mode (backward)", "dx is wrong"),
    (("        return dout * mask\n",
      '        return dout * (np.random.rand(*dout.shape) < dropout_param["p"]) / dropout_param["p"]\n'),
     "dropout: keep most (backward)", "backward keeps other entries than forward did; use the forward's mask"),
    (('    if mode == "train":', "    if True:"), "dropout: test mode (forward)", "the output is wrong"),
    (("mask = (np.random.rand(*x.shape) < p) / p", "mask = (np.random.rand(*x.shape) < p) * 1.0"),
     "dropout: train mode (forward)", "off by a constant factor of 0.7"),
    (("        out = x * mask\n", "        out = x / p\n"),
     "dropout: train mode (random)", "forward kept"),
])
def test_each_mistake_is_named(tmp_path, change, test, says):
    wrong = failing(graded(CORPUS, CORRECT, tmp_path, 6, change))
    assert test in wrong and says in wrong[test], wrong


def test_a_forward_that_ignores_the_seed_is_not_excused_elsewhere(tmp_path):
    wrong = failing(graded(CORPUS, CORRECT, tmp_path, 6, ('        np.random.seed(dropout_param["seed"])\n', "        pass\n")))
    assert "forward drew another mask for the same seed" in wrong["dropout: train mode (backward vs. finite differences)"]


@pytest.mark.parametrize("n, p", [(40, 0.75), (100, 0.5), (300, 0.9), (1000, 0.2), (25, 0.99)])
def test_the_binomial_bound_fails_a_correct_forward_with_probability_below_alpha(n, p):
    """Summed exactly over every count the test refuses, the binomial probability stays below
    alpha: the bound is a guarantee, not a hope."""
    alpha = 1e-9
    refused = [k for k in range(n + 1) if min(randomcheck.tails(k, n, p)) < alpha / 2]
    mass = sum(math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in refused)
    assert mass <= alpha
    assert refused, "the bound must refuse something"
    assert round(n * p) not in refused


def test_the_tails_agree_with_the_binomial_distribution():
    n, p = 30, 0.3
    pmf = [math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)]
    for k in (0, 5, 9, 20, 30):
        lower, upper = randomcheck.tails(k, n, p)
        assert lower == pytest.approx(sum(pmf[:k + 1]), rel=1e-9)
        assert upper == pytest.approx(sum(pmf[k:]), rel=1e-9)


def test_many_correct_masks_pass_and_swapped_probabilities_fail():
    random = RandomMask("x", "dropout_param", "p", None, None)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 20))
    settings = {"p": 0.8}
    for _ in range(2000):
        mask = (rng.random(x.shape) < 0.8).astype(float)
        assert randomcheck.judge(random, settings, mask, x, x * mask / 0.8, None, None, 1e-9) is None
    swapped = (rng.random(x.shape) < 0.2).astype(float)
    assert "probability of keeping" in randomcheck.judge(random, settings, swapped, x, x, None, None, 1e-9)


def test_the_mask_is_read_off_the_output():
    x = np.array([[1.0, -2.0], [0.0, 3.0]])
    out = np.array([[2.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(randomcheck.infer_mask(out, x), [[1, 0], [1, 0]])  # x = 0 counts as kept
    assert randomcheck.infer_mask(np.zeros(3), x) is None


CLASS = '''
import numpy as np


class dropout:
    def forward(self, x, dropout_param):
        p, mode = dropout_param["p"], dropout_param["mode"]
        np.random.seed(dropout_param["seed"])
        self.mask = (np.random.rand(*x.shape) < p) / p if mode == "train" else np.ones(x.shape)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask  # the dict gets no gradient: the bare dx is enough
'''

STATIC = '''
import numpy as np


class dropout:
    @staticmethod
    def forward(x, dropout_param):
        p, mode = dropout_param["p"], dropout_param["mode"]
        np.random.seed(dropout_param["seed"])
        mask = (np.random.rand(*x.shape) < p) / p if mode == "train" else np.ones(x.shape)
        return x * mask, mask

    @staticmethod
    def backward(dout, cache):
        return dout * cache
'''


@pytest.mark.parametrize("convention, source", [("class", CLASS), ("static", STATIC)])
def test_dropout_in_other_conventions(tmp_path, convention, source):
    spec = respecced(CORPUS, tmp_path / "spec", lambda data: data.update(convention=convention))
    results = graded(spec, source, tmp_path / "right", 6)
    assert results.score == results.max_score > 0, failing(results)
    wrong = failing(graded(spec, source, tmp_path / "wrong", 6, ("< p) / p", "< 1 - p) / p")))
    assert "the probability of keeping?" in wrong["dropout: train mode (random)"], wrong
