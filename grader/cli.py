"""The ``grade`` command: argument parsing only; each command calls one library function.

Imports of the library happen inside the commands, so ``grade --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import click

# One BLAS thread per process, set before numpy loads: the grader's arrays are small, and
# while the worker (or, in a batch, other gradings) keeps the other cores busy, BLAS threads
# that wait for each other make a matrix product ten times slower.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


EXIT_FAILED, EXIT_GRADER = 1, 2  # see the README's "Exit status"


def _fail(error: Exception) -> None:
    """Print a library error the way a user should see it (located problems, no traceback)
    and exit: 1 when the input is wrong (a spec, a path), 2 when the grader itself failed."""
    from grader.errors import GraderError, GraderFault, SpecError
    from grader.report.text import printable

    def say(text: str) -> None:  # paths and messages may hold what a submission named or printed
        click.echo(printable(text), err=True)

    if isinstance(error, GraderFault):
        say(f"grade: the grader could not grade: {error.cause}")
        say("(a problem of the grader or its installation, not of the code being graded)")
        details = error.details.strip().splitlines()
        if details and not (len(details) == 1 and details[0].strip() in error.cause):  # not said twice
            say("its worker printed:")
            for line in details[-30:]:
                say(f"  {line}")
        sys.exit(EXIT_GRADER)
    if isinstance(error, SpecError):
        for problem in error.problems:
            say(str(problem))
    elif isinstance(error, (GraderError, OSError)):
        say(str(error))
    else:  # a bug of ours: say so, without a traceback
        say(f"internal error ({type(error).__name__}: {error}); please report it")
        sys.exit(EXIT_GRADER)
    sys.exit(EXIT_FAILED)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backprop-grader", prog_name="grade")
def main() -> None:
    """Grade backpropagation homework: forward values and gradients of student nodes."""


def entry() -> None:
    """The ``grade`` command. When it is done, every file is closed and all output flushed,
    so it leaves at once: tearing the interpreter down (numpy and all) takes tens of ms."""
    try:
        main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@main.command()
@click.argument("assignment", type=click.Path(path_type=str))
def validate(assignment: str) -> None:
    """Check an assignment spec for errors.

    ASSIGNMENT is a folder holding assignment.yaml (or the file itself). Prints a one-line
    summary and exits 0 when the spec is valid; otherwise prints each problem as
    file:line:column: key: message and exits 1.
    """
    from grader.authoring.validate import validate as run

    try:
        result = run(assignment)
    except Exception as e:  # a bug of ours: still no traceback for the user
        click.echo(f"{assignment}: internal error while validating ({type(e).__name__}: {e}); "
                   "please report it", err=True)
        sys.exit(2)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    click.echo(result.summary, err=not result.ok)
    sys.exit(0 if result.ok else 1)


@main.command()
@click.argument("assignment", type=click.Path(path_type=str))
@click.option("-o", "--out", required=True, type=click.Path(path_type=str),
              help="The folder to write (created if missing).")
def template(assignment: str, out: str) -> None:
    """Write the student template of an assignment.

    The student files come from the solution (solutions/<id>/ by default) with every
    '# BEGIN SOLUTION' region replaced by a stub; the folder also gets the provided files,
    a README for students and the public spec (visible tests only).
    """
    from grader.errors import GraderError
    from grader.authoring.template import make_template

    try:
        result = make_template(assignment, out)
    except GraderError as e:
        _fail(e)
    click.echo(f"wrote {result.folder}: {', '.join(result.files)}")


def _show(results, as_json: bool) -> None:
    import json

    from grader.report.gradescope import to_gradescope
    from grader.report.terminal import render, use_color

    if as_json:
        click.echo(json.dumps(to_gradescope(results), indent=1, ensure_ascii=False))
    else:
        click.echo(render(results, color=use_color(sys.stdout)))


@main.command()
@click.argument("assignment", type=click.Path(path_type=str))
@click.argument("submission", type=click.Path(path_type=str))
@click.option("--results", "results_path", required=True, type=click.Path(path_type=str),
              help="Where to write Gradescope's results.json.")
@click.option("--seed", type=int, help="Seed of the hidden tests' random cases (to reproduce a grade).")
@click.option("--metadata", type=click.Path(path_type=str),
              help="Gradescope's submission_metadata.json (its id seeds the hidden cases).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a report.")
@click.option("--self-check", is_flag=True,
              help="First grade the assignment's solution (or, without one, load empty files) in the "
                   "same sandbox, and stop with exit status 2 if the grader does not work here.")
@click.option("--format", "output_format", type=click.Choice(["md", "text"]), default="md", show_default=True,
              help="How results.json's texts are written: Markdown (tables, fenced output) or plain text.")
def run(assignment: str, submission: str, results_path: str, seed: int | None, metadata: str | None,
        as_json: bool, self_check: bool, output_format: str) -> None:
    """Grade a submission on every test, hidden ones included.

    Writes results.json for Gradescope and prints a report. Exits 0 when grading completed,
    whatever the score; 1 when the input is wrong (a broken spec, a missing folder); 2 when
    the grader itself failed (no score is given). A results file is written in every case.
    """
    from grader.grading.run import run as grade_run

    try:
        results = grade_run(assignment, submission, results_path, seed=seed, metadata=metadata,
                            self_check=self_check, say=lambda line: click.echo(line, err=True),
                            output_format=output_format)
    except Exception as e:
        _fail(e)
    _show(results, as_json)


@main.command()
@click.argument("folder", default=".", type=click.Path(path_type=str))
@click.option("--node", help="Only this node (class or function pair), graph or jacobian of the assignment.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of a report.")
def check(folder: str, node: str | None, as_json: bool) -> None:
    """Check your work on the visible tests.

    Run it in your assignment folder (made from the student template): it grades your files
    against assignment.yaml there. Exits 0 when every test passes, 1 otherwise, and 2 when the
    grader itself could not run (a problem of the grader's installation, not of your code).
    """
    from grader.grading.run import check as grade_check

    try:
        results = grade_check(folder, node=node)
    except Exception as e:
        _fail(e)
    _show(results, as_json)
    sys.exit(0 if results.all_passed else 1)


@main.command()
@click.argument("assignment", type=click.Path(path_type=str))
@click.option("-o", "--out", default="autograder.zip", show_default=True, type=click.Path(path_type=str),
              help="The zip to write.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=1), metavar="MB",
              help="Memory of the Gradescope container the zip runs in (default: Gradescope's, 768).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="The autograder timeout set in Gradescope (default: Gradescope's, 600).")
def autograder(assignment: str, out: str, memory_mb: int | None, timeout: float | None) -> None:
    """Build the Gradescope autograder zip of an assignment.

    The zip holds setup.sh and run_autograder at its root, the full spec (hidden tests too),
    the grader as a wheel of exactly this installed version, and pinned requirements; nothing
    from solutions/. Upload it as the assignment's autograder. Warns (and still writes the
    zip) about each limit of the spec that does not fit the container: past the container's
    limits Gradescope ends everything and students see no results.
    """
    from grader.course.autograder import build_autograder

    try:
        container = {k: v for k, v in (("memory_mb", memory_mb), ("timeout", timeout)) if v is not None}
        result = build_autograder(assignment, out, **container)
    except Exception as e:
        _fail(e)
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    click.echo(f"wrote {result.path}: {', '.join(result.files)}")


@main.command()
@click.argument("assignment", type=click.Path(path_type=str))
@click.argument("submissions", type=click.Path(path_type=str))
@click.option("--out", required=True, type=click.Path(path_type=str), help="The folder for results.")
@click.option("--jobs", type=int, help="Submissions graded at once (default: the number of cores).")
@click.option("--force", is_flag=True, help="Regrade submissions that already have results.")
@click.option("--only", help="Regrade only this submission.")
@click.option("--gradebook", "gradebooks", multiple=True, type=click.Choice(["canvas", "moodle"]),
              help="Also write OUT/gradebook-<LMS>.csv, the grades as Canvas or Moodle imports them (repeatable).")
@click.option("--scheduler", metavar="ADDRESS",
              help='Grade on this dask.distributed cluster (tcp://host:8786) instead of here; pip install ".[cluster]".')
def batch(assignment: str, submissions: str, out: str, jobs: int | None, force: bool, only: str | None,
          gradebooks: tuple[str, ...], scheduler: str | None) -> None:
    """Grade a whole class in parallel.

    SUBMISSIONS is a folder with one sub-folder per submission, or a Gradescope export
    (folder or zip). First grades the assignment's solution as a self-check (exit 2, nobody
    graded, if the grader does not work here). Writes OUT/<submission>/results.json,
    OUT/grades.csv and OUT/summary.md, and prints the class summary. Exits 2 when the grader
    failed on any submission (an "error" row in grades.csv).
    """
    from grader.course.batch import run_batch, terminal_progress

    try:
        result = run_batch(assignment, submissions, out, jobs=jobs, force=force, only=only, scheduler=scheduler,
                           gradebooks=gradebooks,
                           progress=terminal_progress(), say=lambda line: click.echo(line, err=True))
    except Exception as e:
        _fail(e)
    click.echo(result.summary)
    click.echo(f"graded {result.graded}, kept {result.reused} earlier results, in {result.seconds:.1f} s; "
               f"wrote {result.out / 'grades.csv'} and {result.out / 'summary.md'}")
    if result.errors:
        click.echo(f"grade: the grader failed on {len(result.errors)} submission"
                   f"{'s' if len(result.errors) > 1 else ''} (status 'error' in grades.csv): "
                   f"{', '.join(result.errors[:10])}", err=True)
        sys.exit(EXIT_GRADER)
