"""What instructors write and students get: checking a spec (``validate``), the student
template made from the solution (``template``, with its solution ``markers``), the students'
README (``studentdocs``), the public spec that holds only visible tests and the references
students may see (``publicspec``), and the reference module they get (``publicrefs``).
It may import ``spec``, ``engine`` and ``errors``."""
