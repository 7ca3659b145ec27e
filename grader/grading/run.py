"""The library of ``grade run`` (grade one submission on every test and write Gradescope's
results.json, whatever happens: a results file that says so, with no score, when grading
cannot happen; optionally after a self-check of the grader) and of ``grade check`` (a
student's folder on its visible tests). Both spawn the worker's zygote first, so that it
loads while the grader imports numpy and reads the spec (see ``sandbox.launcher``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.sandbox.launcher import prestart, shutdown

if TYPE_CHECKING:
    from grader.report.results import Results


def run(assignment_dir: str | Path, submission_dir: str | Path, results_path: str | Path, *,
        seed: int | None = None, metadata: str | Path | None = None, self_check: bool = False,
        say=None, output_format: str = "md") -> Results:
    """``grade run``: grade every test and write Gradescope's results.json.

    A results file is written whatever happens. When grading cannot happen, the file says so
    (and gives no score) and the error is raised: SpecError for a broken spec, GraderFault
    when the grader itself fails (its worker cannot start, or ``self_check`` finds the
    grader broken here), OSError for a missing folder. ``say`` gets the self-check's line.
    ``output_format`` is results.json's: "md" (Gradescope renders it) or "text".
    """
    prestart()
    try:
        return _run(assignment_dir, submission_dir, results_path, seed, metadata, self_check, say, output_format)
    finally:
        shutdown()


def _run(assignment_dir, submission_dir, results_path, seed, metadata, self_check, say, output_format):
    from grader.errors import GraderFault, SpecError
    from grader.grading.grade import grade_submission
    from grader.report.gradescope import write_failure, write_grader_fault, write_results
    from grader.grading.submission import gradescope_seed

    if seed is None and metadata is not None:
        seed = gradescope_seed(metadata)
    try:
        if not Path(submission_dir).is_dir():
            raise FileNotFoundError(f"{submission_dir} is not a folder")
        hide = [Path(results_path).resolve().parent]
        if self_check:
            from grader.grading.selfcheck import self_check as check_grader
            line = check_grader(assignment_dir, hide=hide)
            if say:
                say(line)
        results = grade_submission(assignment_dir, submission_dir, seed=seed, hide=hide)
    except SpecError as e:
        write_failure("The autograder's assignment spec is broken; your instructor has been told:\n"
                      + "\n".join(str(p) for p in e.problems[:20]), results_path)
        raise
    except GraderFault as e:
        write_grader_fault(results_path, e.cause)
        raise
    except Exception as e:  # unreadable paths, or a bug of ours: still never a silent page
        write_failure(f"The autograder could not grade this submission ({e}).", results_path)
        raise
    write_results(results, results_path, output_format)
    return results


def check(folder: str | Path = ".", *, node: str | None = None, seed: int | None = None) -> Results:
    """``grade check``: a student's own folder (made from the template), visible tests only.

    Also the notebook entry point: ``print(grader.check("hw2"))``.
    """
    prestart()
    try:
        from grader.grading.grade import grade_submission
        from grader.spec import spec_path

        folder = Path(folder)
        return grade_submission(spec_path(folder), folder, visible_only=True, node=node, seed=seed)
    finally:
        shutdown()
