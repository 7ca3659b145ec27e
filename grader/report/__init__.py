"""What grading produced, and how it is shown: the results model (``results``), the terminal
report (``terminal``), Gradescope's results.json (``gradescope``) with its schema and the
small validator that checks it (``minischema``), and the class summary after a batch
(``summary``). It imports only ``errors`` and itself."""
