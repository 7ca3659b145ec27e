"""A whole course: grading a class in parallel (``batch``) and the Gradescope autograder zip
(``autograder``, with the scripts it runs and a ``wheel`` of exactly this grader). It sits
just below the CLI and may import every other part."""
