"""Auto-grading for backpropagation homework.

The package is split by concept: ``spec`` (assignment files and their schema), ``engine``
(the reference autodiff engine), ``validate`` (the ``grade validate`` command as a library
call) and ``cli`` (the thin command-line layer).
"""

__version__ = "0.1.0"
