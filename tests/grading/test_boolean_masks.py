"""Boolean mask inputs (``{bernoulli: q}``, dtype bool): drawn reproducibly with the right
frequency, given in examples as true/false, a 0/1 float to references with no gradient of
their own, sent to student code as bool arrays (in node tests, graphs and param dicts), and
named in diagnoses and in the students' README."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.authoring.studentdocs import student_readme
from grader.authoring.validate import validate
from grader.grading.grade import grade_submission
from grader.spec import load_assignment
from grader.spec.draw import draw_case, draw_values, example_case
from grader.spec.model import Draw
from grader.spec.reference import node_result

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "masks"


@pytest.fixture(scope="module")
def spec():
    return load_assignment(CORPUS)[0]


@pytest.mark.parametrize("q", [0.0, 0.3, 0.85, 1.0])
def test_a_bernoulli_draw_is_a_bool_array_true_with_probability_q(q):
    values = draw_values(Draw("bernoulli", q), (100, 100), {}, np.random.default_rng(7))
    assert values.dtype == bool and values.shape == (100, 100)
    assert abs(values.mean() - q) < 0.02  # 10,000 draws: 4 standard deviations at most
    again = draw_values(Draw("bernoulli", q), (100, 100), {}, np.random.default_rng(7))
    assert np.array_equal(values, again)


def test_the_spec_model_of_a_mask(spec):
    checked = validate(CORPUS)  # the dry run evaluates every reference on drawn masks and the examples
    assert checked.ok and not checked.problems, checked
    keep = spec.nodes["MaskedSum"].inputs[1]
    assert (keep.dtype, keep.draw.kind, keep.draw.a, keep.graded) == ("bool", "bernoulli", 0.6, False)
    flip = dict(spec.nodes["Flip"].inputs[1].param)["flip"]
    assert flip.dtype == "bool" and flip.shape == ()


def test_examples_give_masks_as_true_and_false_and_one_value_fills_the_shape(spec):
    test = spec.nodes["MaskedSum"].tests[1]
    rng = np.random.default_rng(0)
    given = example_case(test.inputs, test.settings, test.examples[0].inputs, rng)
    assert given["keep"].dtype == bool and given["keep"].tolist() == [[True, False], [False, False]]
    filled = example_case(test.inputs, test.settings, test.examples[1].inputs, rng)
    assert filled["keep"].dtype == bool and filled["keep"].shape == (1, 2) and filled["keep"].all()


def test_references_read_a_mask_as_zeros_and_ones_and_give_it_no_gradient(spec):
    rng = np.random.default_rng(3)
    for name in ("MaskedSum", "Leak"):
        node = spec.nodes[name]
        case = draw_case(node.inputs, node.tests[0].settings, rng)
        result = node_result(node, node.attributes, case)
        assert set(result.grads) == {"x"}, name
        keep, x = case["keep"], case["x"]
        want = x * np.where(keep, 1.0, 0.1) if name == "Leak" else np.sum(x[keep]) / x.shape[0]
        np.testing.assert_allclose(result.output, want)
    settings = {"flip": True}
    flipped = node_result(spec.nodes["Flip"], {}, {"x": np.ones((2, 2)), "settings": settings})
    assert np.array_equal(flipped.output, -np.ones((2, 2))) and settings == {"flip": True}


def test_student_code_gets_bool_arrays_and_a_correct_submission_gets_full_marks():
    # the correct nodes raise TypeError unless the mask arrives as a bool array (and flip as a bool),
    # in node tests and in the graph alike
    results = grade_submission(CORPUS, CORPUS / "correct", seed=5)
    assert results.score == results.max_score > 0, [f"{t.name}: {t.output}" for t in results.tests if not t.passed]
    assert any(t.check == "graph" for t in results.tests)


def test_a_backward_that_forgets_the_mask_is_told_where():
    results = grade_submission(CORPUS, CORPUS / "buggy", seed=5)
    want = yaml.safe_load((CORPUS / "buggy" / "expect.yaml").read_text())
    failing = [t for t in results.tests if t.node == want["node"] and t.score < t.max_score]
    assert failing and all(any(s in t.output for t in failing) for s in want["says"])
    assert all(t.passed for t in results.tests if t.node in ("Leak", "Flip"))


def test_the_students_readme_names_masks(spec):
    readme = student_readme(spec)
    assert "`keep` (boolean mask, shape (N, D))" in readme
    assert "A boolean mask (`keep`) is a numpy array of dtype bool" in readme
    assert "`flip` true or false" in readme
