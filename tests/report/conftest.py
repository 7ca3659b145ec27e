"""Shared by the report tests: a small real class, graded once by ``grade batch``."""

from __future__ import annotations

from pathlib import Path

import pytest

from assignment_helpers import ROOT


@pytest.fixture(scope="session")
def small_batch(tmp_path_factory) -> Path:
    """The output folder of a two-submission batch of scalar-graphs (the batch of
    tests/course/test_batch.py is slow): ``right`` is the solution, ``wrong`` computes
    Add as x - y. Its submissions are in the folder's sibling ``class``."""
    from grader.course.batch import run_batch

    folder = tmp_path_factory.mktemp("small-batch")
    solution = (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text()
    for name, source in (("right", solution), ("wrong", solution.replace("return x + y", "return x - y"))):
        (folder / "class" / name).mkdir(parents=True)
        (folder / "class" / name / "nodes.py").write_text(source)
    run_batch(ROOT / "assignments" / "scalar-graphs", folder / "class", folder / "out", jobs=2)
    return folder / "out"
