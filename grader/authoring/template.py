"""``grade template``: the folder students get, generated from the spec and the solution.

It holds the student files with every solution region replaced by a stub, the files the
assignment provides (``graph.py``), a README for students, the public spec (visible tests
only, without the references not to be shown) and the module of Python references it needs,
so that ``grade check`` run there grades the visible tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError


@dataclass
class Template:
    """What ``make_template`` wrote."""

    folder: Path
    files: list[str]


def render_template(assignment_dir: str | Path) -> dict[str, str]:
    """The template's files (name -> text), without writing anything."""
    from grader.authoring.markers import count_regions, strip_solution
    from grader.authoring.publicrefs import public_references
    from grader.authoring.publicspec import dump, public_data
    from grader.spec import load_assignment
    from grader.spec.yamlsource import load_yaml
    from grader.authoring.studentdocs import student_readme

    assignment, _ = load_assignment(assignment_dir)
    files: dict[str, str] = {}
    for name in assignment.files:
        source = _read(assignment.solution / name, "the solution file")
        files[name] = strip_solution(source, str(assignment.solution / name))
        if count_regions(source) == 0:
            raise GraderError(f"{assignment.solution / name}: no '# BEGIN SOLUTION' region, so the "
                              "template would hand out the solution")
    for name in assignment.provided:
        files[name] = _read(assignment.root / name, "a provided file")
    module = None
    if assignment.references is not None:
        module = public_references(assignment, _read(assignment.root / assignment.references, "the reference module"))
        if module is not None:
            files[assignment.references] = module
    files["README.md"] = student_readme(assignment)
    data = load_yaml(assignment.spec_file).data
    files["assignment.yaml"] = dump(public_data(assignment, data, module), assignment.id)
    return files


def make_template(assignment_dir: str | Path, out: str | Path) -> Template:
    """Write the student template of the assignment at ``assignment_dir`` into ``out``."""
    files = render_template(assignment_dir)
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    except OSError as e:
        raise GraderError(f"{folder}: cannot write the template ({e.strerror or e})") from None
    return Template(folder, sorted(files))


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraderError(f"{path}: {what} is missing") from None
    except (OSError, UnicodeDecodeError) as e:
        raise GraderError(f"{path}: {what} cannot be read ({e})") from None
