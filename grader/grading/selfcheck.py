"""A self-check before grading anyone: the assignment's own solution must get full marks (or,
where no solution is at hand, as in Gradescope's container, a probe of empty student files
must load) in the same sandbox. When it does not, the grader itself is broken here, and
grading a class would only hand out zeros that mean nothing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from grader.errors import GraderFault


def self_check(assignment_dir: str | Path, *, hide: list[Path] = ()) -> str:
    """Grade the solution (or load the probe); a one-line account when all is well,
    GraderFault naming what went wrong otherwise."""
    try:
        return _check(assignment_dir, list(hide))
    except GraderFault as e:
        if e.cause.startswith("self-check failed"):
            raise
        raise GraderFault(f"self-check failed: {e.cause}", e.details) from None


def _check(assignment_dir: str | Path, hide: list[Path]) -> str:
    from grader.grading.grade import grade_submission
    from grader.spec import load_assignment
    from grader.grading.submission import find_files

    assignment, _ = load_assignment(assignment_dir, dry_run=False)
    solution = assignment.solution
    if solution.is_dir() and not find_files(solution, assignment.files).missing:
        results = grade_submission(assignment_dir, solution, hide=hide)
        if results.max_score == 0 or results.score < results.max_score:
            failing = next((t for t in results.tests if not t.passed), None)
            first = failing.output.splitlines()[0] if failing and failing.output else results.output
            what = f" (first failing test: {failing.name}: {first})" if failing else f" ({first})" if first else ""
            raise GraderFault(f"self-check failed: the solution in {solution} gets "
                              f"{results.score:g} / {results.max_score:g}{what}")
        return f"self-check: the solution in {solution} gets full marks ({results.score:g} / {results.max_score:g})"
    return _probe(assignment, hide)


def _probe(assignment, hide: list[Path]) -> str:
    """Start a worker in the sandbox on empty student files and import them."""
    from grader.grading.outcome import error_text
    from grader.sandbox.imports import DEFAULT_FORBIDDEN
    from grader.sandbox.channel import WorkerFailure
    from grader.sandbox.host import Sandbox

    with tempfile.TemporaryDirectory(prefix="grader-probe-") as folder:
        files = {}
        for name in assignment.files:
            (Path(folder) / name).write_text("")
            files[name] = Path(folder) / name
        forbidden = sorted(set(DEFAULT_FORBIDDEN) | set(assignment.forbidden_imports))
        with Sandbox(files, limits=assignment.limits, hide=[assignment.root, Path(folder), *hide],
                     forbidden=forbidden) as sandbox:
            try:
                loaded = sandbox.load({})
                started = sandbox.generation
                for _ in range(2):  # a fresh fork per node type, the second ending the first
                    sandbox.isolate()
                    sandbox.settle()
                if sandbox.generation != started:
                    raise WorkerFailure("protocol", "it could not fork a fresh copy of itself per node type")
            except WorkerFailure as e:
                raise GraderFault(f"self-check failed: the worker broke on empty student files: {e.message or e.kind}") from None
        broken = {name: error for name, error in loaded["files"].items() if error}
    if broken:
        name, error = next(iter(broken.items()))
        raise GraderFault(f"self-check failed: an empty {name} could not be imported in the sandbox: "
                          f"{error_text(error)}")
    return f"self-check: no solution at {assignment.solution}; empty student files load in the sandbox"
