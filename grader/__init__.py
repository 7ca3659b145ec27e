"""Auto-grading for backpropagation homework.

The package is split by concept: ``spec`` (assignment files and their schema), ``engine``
(the reference autodiff engine), ``grade`` (grading a submission), ``checks`` and
``graphcheck`` (the checks), ``worker`` and ``sandbox`` (running student code apart),
``diagnose`` (messages), ``results``, ``gradescope`` and ``report`` (outputs), ``template``
(student templates) and ``cli`` (the thin command-line layer).

For notebooks: ``print(grader.check("path/to/my/folder"))``.
"""

__version__ = "0.1.0"


def check(folder=".", *, node=None, seed=None):
    """Grade the student folder ``folder`` on its visible tests and return the Results
    (print them for the report)."""
    from grader.grading.grade import check as _check

    return _check(folder, node=node, seed=seed)
