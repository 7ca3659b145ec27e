"""The student templates: generated from the solutions, committed byte for byte, every stub
raising NotImplementedError, and a public spec that holds visible tests only."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.errors import GraderError
from grader.authoring.markers import MarkerError, strip_solution
from grader.spec import load_assignment
from grader.authoring.template import make_template, render_template

from assignment_helpers import NAMES, ROOT, assignment, cases, load_module, write_solution


@pytest.mark.parametrize("name", NAMES)
def test_committed_template_is_what_grade_template_writes(name, tmp_path):
    result = CliRunner().invoke(main, ["template", str(ROOT / "assignments" / name), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    committed = ROOT / "student_template" / name
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in committed.iterdir()), "the file lists differ"
    for file in written:
        assert (tmp_path / file).read_bytes() == (committed / file).read_bytes(), (
            f"student_template/{name}/{file} drifted: run "
            f"`grade template assignments/{name} -o student_template/{name}`")


@pytest.mark.parametrize("name", ["scalar-graphs", "vector-layers", "forward-mode"])
def test_every_class_stub_raises_not_implemented(name):
    """forward, and backward (jvp in forward mode), raise, naming the node; so does jacobian."""
    a = assignment(name)
    module = load_module(ROOT / "student_template" / name / a.files[0])
    for node in a.nodes.values():
        test = node.tests[0]
        values = list(next(iter(cases(test, node, count=1))).values())
        obj = getattr(module, node.name)(**test.attributes)
        with pytest.raises(NotImplementedError, match=node.name):
            obj.forward(*values)
        if node.convention.forward_mode:
            with pytest.raises(NotImplementedError, match=f"{node.name}.jvp"):
                obj.jvp(*values)
        else:
            with pytest.raises(NotImplementedError, match=node.name):
                obj.backward(np.ones(1))
    if a.jacobian is not None:
        with pytest.raises(NotImplementedError, match="jacobian"):
            getattr(module, a.jacobian.function)(lambda x, x_dot: (x, x_dot), np.zeros(2))


@pytest.mark.parametrize("name", ["layer-functions", "rnn-functions"])
def test_every_function_stub_raises_not_implemented(name):
    """Each function students write (both of a pair, or the loss) raises, naming itself."""
    a = assignment(name)
    module = load_module(ROOT / "student_template" / name / a.files[0])
    for node in a.nodes.values():
        case = next(iter(cases(node.tests[0], node, count=1)))
        for function in node.convention.symbols():
            upstream = [np.ones(1)] * (len(node.outputs) or 1)
            args = list(case.values()) if function == node.convention.forward else [*upstream, None]
            with pytest.raises(NotImplementedError, match=function):
                getattr(module, function)(*args)


def test_engine_stubs_raise_not_implemented():
    folder = ROOT / "student_template" / "backprop-engine"
    engine = load_module(folder / "engine.py", extra_path=folder)
    graph = load_module(folder / "graph.py")
    leaf = graph.Var(np.array(1.0))
    for function in (engine.topological_sort, engine.backward):
        with pytest.raises(NotImplementedError, match=function.__name__):
            function(leaf)


@pytest.mark.parametrize("name", NAMES)
def test_public_spec_keeps_exactly_the_visible_tests(name):
    full = assignment(name)
    public, _ = load_assignment(ROOT / "student_template" / name / "assignment.yaml")
    visible = sorted(t.title for t in full.node_tests if t.settings.visibility == "visible")
    assert sorted(t.title for t in public.node_tests) == visible
    assert all(t.settings.visibility == "visible" for t in public.node_tests)
    assert sorted(public.graphs) == sorted(g for g, v in full.graphs.items() if v.settings.visibility == "visible")
    assert len(visible) < len(full.node_tests) or not full.node_tests, "no test is kept back"
    if full.jacobian is not None:
        shown = [t.name for t in full.jacobian.tests if t.settings.visibility == "visible"]
        assert [t.name for t in public.jacobian.tests] == shown and len(shown) < len(full.jacobian.tests)


def test_templates_carry_no_solution_code():
    for name in NAMES:
        a = assignment(name)
        for file in a.files:
            text = (ROOT / "student_template" / name / file).read_text()
            assert "BEGIN SOLUTION" not in text
        readme = (ROOT / "student_template" / name / "README.md").read_text()
        assert "grade check" in readme and a.title in readme


def test_template_of_a_small_assignment(tmp_path):
    spec = write_solution(tmp_path, "class Neg:\n    def forward(self, x):\n"
                                    "        # BEGIN SOLUTION Neg.forward: return -x\n"
                                    "        return -x\n        # END SOLUTION\n")
    out = make_template(spec, tmp_path / "out")
    assert out.files == ["README.md", "assignment.yaml", "nodes.py"]
    stub = (tmp_path / "out" / "nodes.py").read_text()
    assert "raise NotImplementedError('Neg.forward: return -x')" in stub and "return -x\n" not in stub
    public = (tmp_path / "out" / "assignment.yaml").read_text()
    assert "seen" in public and "secret" not in public


@pytest.mark.parametrize("source, message", [
    ("x = 1\n", "no '# BEGIN SOLUTION' region"),
    ("# BEGIN SOLUTION a\n# BEGIN SOLUTION b\n# END SOLUTION\n", "inside the region opened on line 1"),
    ("# END SOLUTION\n", "without a BEGIN"),
    ("# BEGIN SOLUTION a\nx = 1\n", "never closed"),
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n", "not valid Python"),
])
def test_bad_markers_are_located_errors(tmp_path, source, message):
    spec = write_solution(tmp_path, source)
    with pytest.raises(GraderError, match=message):
        render_template(spec)
    result = CliRunner().invoke(main, ["template", str(spec), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and message.split("'")[0] in result.output
    assert "Traceback" not in result.output


def test_marker_without_hint_removes_the_region():
    source = "import os\n# BEGIN SOLUTION\nSECRET = 1\n# END SOLUTION\nx = 2\n"
    assert strip_solution(source, "f.py") == "import os\nx = 2\n"
    with pytest.raises(MarkerError):
        strip_solution("def f():\n    # BEGIN SOLUTION\n    pass\n    # END SOLUTION\n", "f.py")


@pytest.mark.parametrize("name", NAMES)
def test_the_student_readme_says_how_to_install_grade_then_how_to_check(name):
    import grader

    readme = (ROOT / "student_template" / name / "README.md").read_text("utf-8")
    install = readme.find(f'pip install "backprop-grader=={grader.__version__}"')
    assert install > 0, "the README does not say how to install the grader"
    assert readme.find("grade check", install) > install, "installing comes before checking"


def test_a_spec_says_what_students_install_when_the_grader_comes_from_elsewhere():
    from dataclasses import replace

    from grader.authoring.studentdocs import student_readme

    course = replace(assignment("scalar-graphs"), install="git+https://example.invalid/cs101/backprop-grader@v1")
    readme = student_readme(course)
    assert 'pip install "git+https://example.invalid/cs101/backprop-grader@v1"' in readme
    assert "backprop-grader==" not in readme
