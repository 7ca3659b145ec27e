"""One submission of a batch graded into its results.json, in whatever process runs it (a
pool process here, a dask worker elsewhere): a fault of the grader becomes an error row,
never a 0. The assignment is loaded once per batch (``PLANNED``, which pool processes forked
from the batch inherit), and each process forks its workers from one zygote, started once
(``sandbox.launcher``)."""

from __future__ import annotations

import time
from pathlib import Path

from grader.errors import GraderFault

PLANNED: dict[str, object] = {}  # assignment folder -> its loaded spec, for this batch


def plan(assignment: str, loaded) -> None:
    """Keep the loaded spec of ``assignment`` for every submission graded in this process
    (and in the pool processes it forks from now on)."""
    PLANNED.clear()
    PLANNED[str(assignment)] = loaded


def grade_one(assignment: str, folder: str, results_path: str) -> dict:
    """Grade one submission (in a pool process) and write its results.json. When the grader
    itself fails, the file says so and the row becomes an ``error``, never a 0."""
    from grader.grading.grade import grade_submission
    from grader.report.gradescope import write_grader_fault, write_results
    started = time.monotonic()
    try:
        results = grade_submission(assignment, folder, hide=[Path(results_path).parent],
                                   loaded=PLANNED.get(str(assignment)))
        data = write_results(results, results_path)
    except GraderFault as e:
        data = write_grader_fault(results_path, e.cause)
    except Exception as e:  # a bug of ours: one broken submission never stops the others
        data = write_grader_fault(results_path, f"internal error: {type(e).__name__}: {e}")
    return {"data": data, "seconds": time.monotonic() - started}
