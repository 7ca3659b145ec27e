"""The ``grade`` command: argument parsing only; each command calls one library function.

Imports of the library happen inside the commands, so ``grade --help`` stays fast.
"""

from __future__ import annotations

import sys

import click


def _fail(error: Exception) -> None:
    """Print a library error the way a user should see it (located problems, no traceback)."""
    from grader.errors import SpecError

    if isinstance(error, SpecError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    else:
        click.echo(str(error), err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backprop-grader", prog_name="grade")
def main() -> None:
    """Grade backpropagation homework: forward values and gradients of student nodes."""


@main.command()
@click.argument("assignment", type=click.Path(path_type=str))
def validate(assignment: str) -> None:
    """Check an assignment spec for errors.

    ASSIGNMENT is a folder holding assignment.yaml (or the file itself). Prints a one-line
    summary and exits 0 when the spec is valid; otherwise prints each problem as
    file:line:column: key: message and exits 1.
    """
    from grader.validate import validate as run

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
    from grader.template import make_template

    try:
        result = make_template(assignment, out)
    except GraderError as e:
        _fail(e)
    click.echo(f"wrote {result.folder}: {', '.join(result.files)}")
