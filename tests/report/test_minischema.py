"""The results check run on every write (grader.report.minischema) agrees with jsonschema on
Gradescope's schema: on real results, on the failure file, and on many broken variants."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from grader.report import minischema
from grader.report.gradescope import failure_results, quick_errors, schema, to_gradescope, validation_errors
from grader.report.results import Results
from grader.report.results import TestResult as Item


def sample() -> dict:
    results = Results("demo", seed=3)
    results.tests = [Item("Exp: scalars (forward)", "1.1.1", 5, 5, "visible", node="Exp",
                                passed_cases=3, total_cases=3, tags=["Exp", "forward"]),
                     Item("graph g: a graph", "9.1", 2, 0.5, "after_due_date", output="case 1: wrong",
                                passed_cases=1, total_cases=4, tags=["graph", "g"])]
    results.execution_time = 0.25
    return to_gradescope(results)


def broken_variants(data: dict):
    """(description, object): one change each, some valid and most not."""
    def changed(edit):
        copied = copy.deepcopy(data)
        edit(copied)
        return copied
    yield "no score and no tests", changed(lambda d: (d.pop("score"), d.pop("tests")))
    yield "no score", changed(lambda d: d.pop("score"))
    yield "score as text", changed(lambda d: d.update(score="5"))
    yield "score true", changed(lambda d: d.update(score=True))
    yield "negative execution time", changed(lambda d: d.update(execution_time=-1))
    yield "unknown format", changed(lambda d: d.update(output_format="rtf"))
    yield "unknown top key", changed(lambda d: d.update(colour="red"))
    yield "tests not a list", changed(lambda d: d.update(tests={}))
    yield "a test not an object", changed(lambda d: d["tests"].append("test"))
    yield "bad visibility", changed(lambda d: d["tests"][0].update(visibility="secret"))
    yield "bad status", changed(lambda d: d["tests"][0].update(status="ok"))
    yield "negative max_score", changed(lambda d: d["tests"][1].update(max_score=-2))
    yield "number as int", changed(lambda d: d["tests"][0].update(number=1))
    yield "unknown test key", changed(lambda d: d["tests"][0].update(points=1))
    yield "tags not strings", changed(lambda d: d["tests"][0].update(tags=[1]))
    yield "extra_data a list", changed(lambda d: d.update(extra_data=[]))
    yield "leaderboard entry", changed(lambda d: d.update(leaderboard=[{"name": "t", "value": 1.5, "order": "asc"}]))
    yield "leaderboard bad order", changed(lambda d: d.update(leaderboard=[{"name": "t", "value": 1, "order": "up"}]))
    yield "leaderboard no value", changed(lambda d: d.update(leaderboard=[{"name": "t"}]))
    yield "no tests, a score", changed(lambda d: d.pop("tests"))


def test_real_results_and_the_failure_file_are_valid_to_both():
    for data in (sample(), failure_results("the spec is broken", "demo")):
        assert quick_errors(data) == [] and validation_errors(data) == []


@pytest.mark.parametrize("what,data", list(broken_variants(sample())), ids=lambda x: x if isinstance(x, str) else "")
def test_agrees_with_jsonschema(what, data):
    assert bool(quick_errors(data)) == bool(validation_errors(data)), what


def test_some_variants_are_invalid_and_some_valid():
    verdicts = {what: bool(quick_errors(data)) for what, data in broken_variants(sample())}
    assert verdicts["score as text"] and verdicts["bad visibility"] and verdicts["no score and no tests"]
    assert not verdicts["leaderboard entry"] and not verdicts["no tests, a score"]


def test_an_unknown_keyword_is_refused_not_ignored():
    with pytest.raises(ValueError, match="pattern"):
        minischema.errors("x", {"type": "string", "pattern": "^a"})


def test_the_schema_itself_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())
