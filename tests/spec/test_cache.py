"""Specs that passed the schema are remembered by content, so grading skips jsonschema; any
change to the spec (or to the schema) means validating again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import grader.spec.schema
from grader.errors import SpecError
from grader.spec import cache, load_assignment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "scalar-graphs"
    shutil.copytree(ROOT / "assignments" / "scalar-graphs", folder)
    return folder / "assignment.yaml"


def test_a_valid_spec_is_remembered_and_then_not_validated_again(spec, monkeypatch):
    assert not cache.known_valid(spec.read_bytes())
    load_assignment(spec, dry_run=False)
    assert cache.known_valid(spec.read_bytes())

    def no_validation(doc):
        raise AssertionError("validated again")
    monkeypatch.setattr(grader.spec.schema, "schema_problems", no_validation)
    assignment, _ = load_assignment(spec, dry_run=False)
    assert assignment.id == "scalar-graphs"


def test_a_changed_spec_is_validated_again(spec):
    load_assignment(spec, dry_run=False)
    spec.write_text(spec.read_text().replace("title:", "titel:", 1))
    with pytest.raises(SpecError, match="titel"):
        load_assignment(spec, dry_run=False)
    assert not cache.known_valid(spec.read_bytes())


def test_a_broken_spec_is_never_remembered(spec):
    spec.write_text(spec.read_text() + "\nsurprise: 1\n")
    for _ in range(2):
        with pytest.raises(SpecError, match="surprise"):
            load_assignment(spec, dry_run=False)


def test_an_unwritable_cache_only_costs_time(spec, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder would be
    load_assignment(spec, dry_run=False)
    assert not cache.known_valid(spec.read_bytes())
