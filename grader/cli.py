"""The ``grade`` command: argument parsing only; each command calls one library function.

Imports of the library happen inside the commands, so ``grade --help`` stays fast.
"""

from __future__ import annotations

import sys

import click


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
