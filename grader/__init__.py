"""Auto-grading for backpropagation homework.

The package is split by part (see the README's "Architecture"): ``engine`` (the reference
autodiff engine), ``spec`` (assignment files, their schema and meaning), ``sandbox``
(student code's cell and the worker), ``report`` (results and their formats), ``grading``
(grading a submission), ``authoring`` (validating specs, student templates), ``course``
(a class, the Gradescope zip) and ``cli`` (the thin command-line layer).

For notebooks: ``grader.check("path/to/my/folder")`` displays as a table per node (and
``print`` of it gives the terminal report).
"""

__version__ = "0.1.0"


def check(folder=".", *, node=None, seed=None):
    """Grade the student folder ``folder`` on its visible tests and return the Results
    (print them for the report)."""
    from grader.grading.run import check as _check

    return _check(folder, node=node, seed=seed)
