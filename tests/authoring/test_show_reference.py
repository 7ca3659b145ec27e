"""``show_reference: false``: the template keeps a node's reference from students for real
(not in the README, not in the public spec, not in the reference module), ``grade check``
still runs every check that needs no reference and says once what waits for the deadline,
and ``grade run`` with the instructor's spec grades everything as before."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from grader.authoring.template import make_template, render_template
from grader.errors import GraderError
from grader.grading.grade import grade_submission
from grader.grading.run import check
from grader.spec import load_assignment
from grader.spec.pyref import PythonReference

from assignment_helpers import ROOT, write_solution

LATER = "against the reference are checked after the deadline"


def hidden_copy(tmp_path: Path, name: str, top: bool = True, nodes: dict[str, bool] | None = None) -> Path:
    """A copy of a shipped assignment (and its solution) with ``show_reference: false`` at
    the top (``top``) and ``show_reference`` set on the named nodes."""
    spec = tmp_path / "assignments" / name
    shutil.copytree(ROOT / "assignments" / name, spec)
    shutil.copytree(ROOT / "solutions" / name, tmp_path / "solutions" / name)
    text = (spec / "assignment.yaml").read_text()
    if top:
        text = re.sub(r"^files:", "show_reference: false\nfiles:", text, count=1, flags=re.M)
    for node, shown in (nodes or {}).items():
        text = re.sub(rf"^  {node}:\n", f"  {node}:\n    show_reference: {str(shown).lower()}\n", text, count=1, flags=re.M)
    (spec / "assignment.yaml").write_text(text)
    return spec


def solved_template(tmp_path: Path, spec: Path, name: str, edit=None) -> Path:
    """The template of ``spec`` with the solution's files in it (``edit`` changes their text)."""
    folder = tmp_path / "student"
    make_template(spec, folder)
    for file in (tmp_path / "solutions" / name).iterdir():
        text = file.read_text()
        (folder / file.name).write_text(edit(text) if edit else text)
    return folder


def test_the_template_leaves_hidden_references_out(tmp_path):
    spec = hidden_copy(tmp_path, "scalar-graphs", nodes={"Add": True})
    full, _ = load_assignment(spec)
    files = render_template(spec)
    readme, public = files["README.md"], files["assignment.yaml"]
    assert "The grader's reference: `x + y`" in readme  # Add's own show_reference: true wins
    for node in full.nodes.values():
        assert f"### {node.name}" in readme and f"`{node.name}`" in readme  # named, with its inputs, in the table
        if node.name != "Add":
            assert node.reference.text not in readme and node.reference.text not in public
            assert node.description in readme  # what to implement stays
    assert readme.count("Its reference formula is not shown") == len(full.nodes) - 1
    assert readme.count("(checked after the deadline: it uses a node whose reference is not shown)") == len(full.graphs)
    assert "reference: x + y" in public and public.count("show_reference: false") == len(full.nodes) - 1

    folder = tmp_path / "template"
    make_template(spec, folder)
    shown, warnings = load_assignment(folder)  # valid, dry run and all
    assert not [w for w in warnings if "differs from its folder" not in w.message]
    assert [n for n in shown.nodes.values() if n.withheld] == [n for n in shown.nodes.values() if n.name != "Add"]
    assert all(n.reference is None for n in shown.nodes.values() if n.withheld)
    assert all(t.points["forward"] == t.points["backward"] == 0
               for t in shown.node_tests if t.node != "Add" and not t.examples)
    assert any(t.points["forward"] > 0 for t in shown.node_tests if t.node != "Add" and t.examples)  # those compare
    assert all(t.points["numeric"] > 0 for t in shown.node_tests)
    assert not shown.graphs, "every graph of scalar-graphs uses a node whose reference is hidden"
    assert shown.max_points() + shown.graded_later == full.max_points()


@pytest.mark.parametrize("name", ["scalar-graphs", "vector-layers", "layer-functions", "rnn-functions", "forward-mode"])
def test_grade_check_passes_the_solution_and_says_what_waits(tmp_path, name):
    """Every kind of node (classes, function pairs, losses, several outputs, state, random
    nodes, jvp nodes) with its reference hidden: the solution passes what grade check can
    run, which is told once."""
    spec = hidden_copy(tmp_path, name)
    full, _ = load_assignment(spec)
    folder = solved_template(tmp_path, spec, name)
    public = (folder / "assignment.yaml").read_text()
    for node in full.nodes.values():
        if isinstance(node.reference, PythonReference):
            assert f"python: {node.reference.name}" not in public
        else:
            assert f"reference: {node.reference.text}" not in public
    assert not (folder / "references.py").exists(), "every Python reference is hidden: nothing to ship"
    results = check(folder)
    assert results.all_passed, str(results)
    step = "jvp" if name == "forward-mode" else "backward"
    assert results.output.count(LATER) == 1 and f"forward and {step} {LATER}" in results.output
    later = full.max_points() - results.max_score
    assert f"All visible tests pass; {later:g} more points are graded after the deadline." in results.output
    assert {"numeric", "no_mutation", "independence"} <= {t.check for t in results.tests}
    public, _ = load_assignment(folder)
    with_values = {t.title for t in public.node_tests if any(e.output is not None or e.grads for e in t.examples)}
    assert all(f"{t.node}: {t.group}" in with_values  # only against values an example gives
               for t in results.tests if t.check in ("forward", "backward", "jvp"))


def test_a_wrong_gradient_still_fails_on_finite_differences(tmp_path):
    spec = hidden_copy(tmp_path, "scalar-graphs")
    folder = solved_template(tmp_path, spec, "scalar-graphs",
                             lambda text: text.replace("return grad_output * self.out", "return 2 * grad_output * self.out"))
    results = check(folder, node="Exp")
    failed = [t for t in results.tests if not t.passed]
    assert failed and {t.check for t in failed} == {"numeric"}
    assert all("dx is 2 × the right value (compared with finite differences of your own forward)" in t.output
               for t in failed)
    assert results.output.count(LATER) == 1 and "Exp: its reference is not shown" in results.output


def test_a_wrong_forward_that_its_backward_agrees_with_waits_for_the_deadline(tmp_path):
    """What hiding the reference costs: nothing on the student's machine can tell e^x + 1
    from e^x (its backward agrees with it); the instructor's spec does."""
    spec = hidden_copy(tmp_path, "scalar-graphs")
    folder = solved_template(tmp_path, spec, "scalar-graphs", lambda text: text.replace(
        "        self.out = np.exp(x)\n        return self.out\n", "        self.out = np.exp(x)\n        return self.out + 1\n"))
    assert "return self.out + 1" in (folder / "nodes.py").read_text()
    assert check(folder, node="Exp").all_passed
    graded = grade_submission(spec, folder)
    wrong = {t.check for t in graded.tests if t.node == "Exp" and not t.passed}
    assert "forward" in wrong and "backward" not in wrong


def test_grade_run_with_the_instructors_spec_checks_everything(tmp_path):
    spec = hidden_copy(tmp_path, "scalar-graphs")
    results = grade_submission(spec, tmp_path / "solutions" / "scalar-graphs")
    assert results.all_passed and results.score == results.max_score == 117
    assert {"forward", "backward", "graph"} <= {t.check for t in results.tests}
    assert LATER not in results.output


def test_python_references_left_out_of_the_module(tmp_path):
    """Only the functions the shown references need stay in references.py students get."""
    spec = hidden_copy(tmp_path, "layer-functions", top=False,
                       nodes={"batchnorm": False, "spatial_batchnorm": False, "dropout": False})
    files = render_template(spec)
    module = files["references.py"]
    assert "def affine" in module and "def layernorm" in module and "def max_pool" in module
    for gone in ("def batchnorm", "def spatial_batchnorm", "def _normalize", "def dropout", "running_mean"):
        assert gone not in module
    folder = solved_template(tmp_path, spec, "layer-functions")
    assert (folder / "references.py").read_text() == module
    results = check(folder)
    assert results.all_passed, str(results)
    assert "batchnorm, dropout, spatial_batchnorm: their reference is not shown" in results.output


def test_a_helper_a_shown_reference_needs_cannot_be_hidden(tmp_path):
    """batchnorm and spatial_batchnorm share _normalize: hiding one alone would hide nothing."""
    spec = hidden_copy(tmp_path, "layer-functions", top=False, nodes={"batchnorm": False})
    with pytest.raises(GraderError, match="_normalize, which it uses, is also used by the reference of "
                                          "spatial_batchnorm, which is shown"):
        render_template(spec)


def test_a_node_without_a_reference_is_not_marked_hidden(tmp_path):
    """A node graded on its examples alone has no reference to hide: its public spec does
    not claim one waits for the deadline."""
    spec = write_solution(
        tmp_path, "class Neg:\n    def forward(self, x):\n        # BEGIN SOLUTION Neg.forward\n        return -x\n"
        "        # END SOLUTION\n\n    def backward(self, g):\n        # BEGIN SOLUTION Neg.backward\n        return -g\n"
        "        # END SOLUTION\n",
        "nodes:\n  Neg:\n    inputs: {x: {}}\n    show_reference: false\n"
        "    tests: [{examples: [{inputs: {x: 2.0}, output: -2.0, grads: {x: -1.0}}]}]\n", top="show_reference: false\n")
    folder = solved_template(tmp_path, spec, "tiny")
    assert "show_reference" not in (folder / "assignment.yaml").read_text()
    results = check(folder)
    assert results.all_passed and LATER not in results.output
