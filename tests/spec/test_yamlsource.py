"""The YAML reader: positions of keys and values, YAML 1.2 scalars, merges, and its bounds."""

from __future__ import annotations

import pytest

from grader.errors import SpecError
from grader.spec.yamlsource import dotted, parse_yaml


def test_positions_of_values_and_keys():
    doc = parse_yaml("id: x\nnodes:\n  Add:\n    inputs: {x: {}}\n", "f.yaml")
    assert doc.where(("nodes", "Add", "inputs", "x")) == (4, 17)
    assert doc.where(("nodes", "Add"), key=True) == (3, 3)
    assert doc.where(("nodes", "Add", "missing", 3)) == doc.where(("nodes", "Add"))
    problem = doc.problem(("nodes", "Add", "inputs"), "bad")
    assert (problem.file, problem.line, problem.column, problem.key) == ("f.yaml", 4, 13, "nodes.Add.inputs")
    assert str(problem) == "f.yaml:4:13: nodes.Add.inputs: bad"


def test_dotted_paths():
    assert dotted(("nodes", "Pow", "tests", 0, "name")) == "nodes.Pow.tests[0].name"
    assert dotted(()) == ""


def test_yaml_1_2_core_scalars():
    doc = parse_yaml("a: 1e3\nb: no\nc: [1, -2.5, .inf, ~, true, '3']\nd: 0x10\ne: 2024-01-01\n", "f")
    assert doc.data == {"a": 1000.0, "b": "no", "c": [1, -2.5, float("inf"), None, True, "3"],
                        "d": "0x10", "e": "2024-01-01"}


def test_anchors_and_merge_keys():
    doc = parse_yaml("base: &b {x: 1, y: 2}\nmore: {<<: *b, y: 3}\nsame: *b\n", "f")
    assert doc.data["more"] == {"x": 1, "y": 3}
    assert doc.data["same"] == {"x": 1, "y": 2}


@pytest.mark.parametrize("text, message, line", [
    ("a: 1\nb: 2\na: 3\n", "duplicate key 'a' (first given on line 1)", 3),
    ("a: !!python/object:os.system x\n", "tag", 1),
    ("a: " + "[" * 100 + "]" * 100, "nested more than", 1),
    ("a: [1,\n", "is not valid YAML", 2),
], ids=["duplicate", "tag", "deep", "syntax"])
def test_refusals_are_located(text, message, line):
    with pytest.raises(SpecError) as info:
        parse_yaml(text, "f.yaml")
    problem = info.value.problems[0]
    assert message in problem.message
    assert problem.line == line


def test_deeply_nested_flow_does_not_crash_the_interpreter():
    with pytest.raises(SpecError):
        parse_yaml("[" * 200_000, "f.yaml")
    with pytest.raises(SpecError):
        parse_yaml("- " * 100_000 + "x", "f.yaml")
