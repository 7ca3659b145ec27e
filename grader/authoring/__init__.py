"""What instructors write and students get: checking a spec (``validate``), the student
template made from the solution (``template``, with its solution ``markers``), the students'
README (``studentdocs``) and the public spec that holds only visible tests (``publicspec``).
It may import ``spec``, ``engine`` and ``errors``."""
