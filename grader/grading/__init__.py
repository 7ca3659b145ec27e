"""Grading one submission: planning its tests and drawing their cases, the reference values,
the checks of node tests, range tests and graph tests, the diagnosis of a wrong answer, and
the run that ties them to a worker (``grade``), with the self-check and a result's
fingerprint. It may import ``spec``, ``engine``, ``sandbox`` (the grader's side), ``report``
(the results model) and ``errors``; nothing of ``authoring``, ``course`` or the CLI."""
