"""Allow ``python -m grader`` as a synonym for the ``grade`` command."""

from grader.cli import entry

entry()
