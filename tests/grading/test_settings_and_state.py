"""Param dicts (cs231n's conv_param, bn_param): passed to forward as dicts, read by reference
expressions as conv_param['stride'], their state entries (batch norm's running statistics)
compared after forward with the reference's, in train and test mode, and their settings
held unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus_helpers import failing, graded, respecced
from grader.grading.grade import grade_submission
from grader.spec import load_assignment
from grader.spec.draw import draw_case
from grader.spec.reference import node_result

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "settings"
CORRECT = (CORPUS / "correct" / "layers.py").read_text()


def test_the_correct_layers_get_full_marks():
    results = grade_submission(CORPUS, CORPUS / "correct", seed=5)
    assert results.score == results.max_score > 0, failing(results)
    assert {t.check for t in results.tests if t.node == "batchnorm"} >= {"state", "forward", "numeric"}
    assert not any(t.check == "state" for t in results.tests if t.node == "conv"), "conv has no state to check"


def test_a_running_statistic_left_as_it_was_fails_only_the_state_check():
    results = grade_submission(CORPUS, CORPUS / "buggy", seed=5)
    wrong = failing(results)
    assert set(wrong) == {"batchnorm: train mode (state)", "batchnorm: first call (state)"}, wrong
    assert "forward left bn_param['running_var'] as it was; it must update it" in wrong["batchnorm: train mode (state)"]
    assert "bn_param['running_var'] after forward is wrong: expected [0.1, 0.4], got [0., 0.]" in wrong["batchnorm: first call (state)"]


@pytest.mark.parametrize("change, test, says", [
    (("running_mean = momentum * running_mean + (1 - momentum) * mean",
      "running_mean = (1 - momentum) * running_mean + momentum * mean"),
     "batchnorm: train mode (state)", "bn_param['running_mean'] after forward is wrong"),
    (('    bn_param["running_var"] = running_var\n', '    bn_param["running_var"] = list(running_var)\n'),
     "batchnorm: test mode (state)", "bn_param['running_var'] after forward is a list, not an array of numbers"),
    (('    bn_param["running_mean"] = running_mean\n', '    bn_param["running_mean"] = running_mean\n    bn_param["eps"] = 0.1\n'),
     "batchnorm: train mode (inputs left unmodified)", "forward changed bn_param['eps'] from 1e-05 to 0.1"),
    (('    bn_param["running_mean"] = running_mean\n', '    bn_param["running_mean"] = running_mean\n    del bn_param["mode"]\n'),
     "batchnorm: test mode (inputs left unmodified)", "forward removed bn_param['mode']"),
    (('    bn_param["running_mean"] = running_mean\n    bn_param["running_var"] = running_var\n', ''),
     "batchnorm: first call (state)", "forward did not store bn_param['running_mean']: update it in the dict"),
    (("        xhat = (x - running_mean) / np.sqrt(running_var + eps)", "        xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)"),
     "batchnorm: test mode (forward)", "the output is wrong"),
    (('stride, pad = conv_param["stride"], conv_param["pad"]\n    N, C', 'stride, pad = 1, conv_param["pad"]\n    N, C'),
     "conv: stride 2 (forward)", "the output has shape"),
])
def test_each_part_of_the_settings_is_checked(tmp_path, change, test, says):
    wrong = failing(graded(CORPUS, CORRECT, tmp_path, 5, change))
    assert test in wrong and says in wrong[test], wrong


def test_every_call_gets_its_own_copy_of_the_dict(tmp_path):
    """A forward that changes its dict's state must not leak into the next call's dict (the
    finite-difference forwards would then see another running mean each time)."""
    results = graded(CORPUS, CORRECT, tmp_path, 5, ('    bn_param["running_mean"] = running_mean\n',
                     '    bn_param["running_mean"] = running_mean\n    bn_param.setdefault("calls", []).append(1)\n'))
    assert results.score == results.max_score, failing(results)


def test_the_reference_updates_its_own_copy_and_reports_the_state():
    assignment, _ = load_assignment(CORPUS)
    node = assignment.nodes["batchnorm"]
    test = node.tests[0]
    case = draw_case(test.inputs, test.settings, np.random.default_rng(0))
    before = case["bn_param"]["running_mean"].copy()
    result = node_result(node, test.attributes, case)
    x, m = case["x"], case["bn_param"]["momentum"]
    assert isinstance(m, float) and case["bn_param"]["mode"] == "train"
    np.testing.assert_allclose(result.settings["bn_param"]["running_mean"], m * before + (1 - m) * x.mean(axis=0))
    np.testing.assert_array_equal(case["bn_param"]["running_mean"], before)  # the case's own dict is untouched


def test_a_lecture_example_matches_the_hand_computed_values():
    """x = [[1, 2], [3, 6]] in train mode: mean [2, 4], biased var [1, 4], so the normalized
    output is [[-1, -1], [1, 1]] (up to eps), and the running mean starts from 0:
    0.9 * 0 + 0.1 * [2, 4] = [0.2, 0.4]."""
    assignment, _ = load_assignment(CORPUS)
    node = assignment.nodes["batchnorm"]
    case = {"x": np.array([[1.0, 2.0], [3.0, 6.0]]), "gamma": np.ones(2), "beta": np.zeros(2),
            "bn_param": {"mode": "train", "momentum": 0.9}}
    result = node_result(node, {}, case)
    np.testing.assert_allclose(result.output, [[-1, -1], [1, 1]], atol=1e-4)
    np.testing.assert_allclose(result.settings["bn_param"]["running_mean"], [0.2, 0.4])
    np.testing.assert_allclose(result.settings["bn_param"]["running_var"], [0.1, 0.4])


PARAMETERS = '''
import numpy as np


class batchnorm:
    def forward(self, x, bn_param):
        eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
        D = x.shape[1]
        if bn_param["mode"] == "train":
            mean, var = x.mean(axis=0), x.var(axis=0)
            bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros(D)) + (1 - momentum) * mean
            bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros(D)) + (1 - momentum) * var
        else:
            mean, var = bn_param["running_mean"], bn_param["running_var"]
        self.train, self.var, self.eps = bn_param["mode"] == "train", var, eps
        self.xhat = (x - mean) / np.sqrt(var + eps)
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma, self.dbeta = (dout * self.xhat).sum(axis=0), dout.sum(axis=0)
        dxhat = dout * self.gamma / np.sqrt(self.var + self.eps)
        if not self.train:
            return dxhat
        return dxhat - dxhat.mean(axis=0) - self.xhat * (dxhat * self.xhat).mean(axis=0)
'''


def test_state_in_a_class_that_holds_its_parameters(tmp_path):
    def holding(data: dict) -> None:
        del data["nodes"]["conv"]
        data["nodes"]["batchnorm"]["convention"] = {"kind": "parameters", "parameters": {"gamma": None, "beta": None}}
    spec = respecced(CORPUS, tmp_path / "spec", holding)
    results = graded(spec, PARAMETERS, tmp_path / "right", 5)
    assert results.score == results.max_score > 0, failing(results)
    wrong = failing(graded(spec, PARAMETERS, tmp_path / "wrong", 5,
                           ('momentum * bn_param.get("running_var"', 'bn_param.get("running_var"')))
    assert "bn_param['running_var'] after forward is wrong" in wrong["batchnorm: train mode (state)"], wrong
