"""Known mistakes found by replaying the reference with one thing changed (grading.replays):
batch statistics held constant, a setting swapped with 1 − itself or replaced by 1 / itself;
each named only where it matches the student's answer and the right answer differs."""

from __future__ import annotations

import numpy as np

from assignment_helpers import assignment, cases
from grader.grading.replays import Replays
from grader.spec.model import Tolerance
from grader.spec.reference import node_result

NODES = assignment("layer-functions").nodes
TOL = Tolerance(1e-6, 1e-8)


def case_of(node: str, test: int = 0):
    node = NODES[node]
    values = next(iter(cases(node.tests[test], node, count=1)))
    return node, values


def test_batch_norm_without_the_paths_through_its_statistics():
    node, values = case_of("batchnorm")
    x, gamma = values["x"], values["gamma"]
    dout = np.random.default_rng(0).normal(size=x.shape)
    right = node_result(node, {}, values, dout).grads["x"]
    replays = Replays(node, {}, values, dout, None, TOL)
    none = dout * gamma / np.sqrt(x.var(axis=0) + 1e-5)
    assert replays.gradient("wrong", "x", none, right) == (
        "dx is wrong: it treats the mean and the variance as constants, but they depend on the inputs too: "
        "add the gradient that flows through them")
    assert replays.gradient("wrong", "x", np.zeros_like(right), right) == "wrong", "zeros say nothing particular"
    assert replays.gradient("wrong", "x", right + 1, right) == "wrong"


def test_layer_norm_without_the_variance_path_only():
    node, values = case_of("layernorm")
    x, gamma = values["x"], values["gamma"]
    dout = np.random.default_rng(1).normal(size=x.shape)
    right = node_result(node, {}, values, dout).grads["x"]
    g = dout * gamma
    no_var = (g - g.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    message = Replays(node, {}, values, dout, None, TOL).gradient("wrong", "x", no_var, right)
    assert "it treats the variance as a constant, but it depends on the inputs too" in message


def test_momentum_swapped_in_the_running_statistics():
    node, values = case_of("batchnorm")
    bn = values["bn_param"]
    m, x = bn["momentum"], values["x"]
    want = node_result(node, {}, values).settings["bn_param"]["running_mean"]
    got = (1 - m) * bn["running_mean"] + m * x.mean(axis=0)
    replays = Replays(node, {}, values, None, None, TOL)
    assert replays.state("bn_param", "running_mean", got, want) == \
        "it matches the right formula with momentum and 1 − momentum swapped"
    assert replays.state("bn_param", "running_mean", got + 1, want) is None


def test_dropout_multiplied_by_p_where_it_divides():
    node, values = case_of("dropout")
    x, p = values["x"], values["dropout_param"]["p"]
    mask = (np.random.default_rng(2).random(x.shape) < p).astype(float)
    right = node_result(node, {}, values, mask=mask).output
    message = Replays(node, {}, values, None, mask, TOL).output("wrong", x * mask * p, right)
    assert message.startswith("the output is wrong: it matches the right formula with p replaced by 1/p")


def test_nothing_to_replay_where_the_reference_has_no_statistics_or_settings():
    node, values = case_of("affine")
    replays = Replays(node, {}, values, None, None, TOL)
    assert replays.held() == [] and replays.settings() == []


def test_a_replay_that_cannot_run_gives_no_hint():
    node, values = case_of("batchnorm")
    values = {**values, "bn_param": {k: v for k, v in values["bn_param"].items() if k != "mode"}}  # a KeyError
    replays = Replays(node, {}, values, None, None, TOL)
    assert replays.held() == [] and replays.settings() == []
