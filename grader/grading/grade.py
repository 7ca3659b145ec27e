"""Grading one submission: the library behind ``grade run`` and ``grade check``.

The spec is loaded and every expected value computed here, in the grader's process; student
code runs only in the worker (``sandbox``). A ``Session`` holds the worker and the results;
the node tests (``nodetests``) and graph tests (``graphtests``) run through it. Whatever
student code does, every test gets a result and grading goes on: a missing file, a crash or
a hang fails the tests it touches, not the run.
"""

from __future__ import annotations

import time
from pathlib import Path

from grader.grading.agreement import precision_note
from grader.grading.fingerprint import fingerprint
from grader.grading.graphtests import GraphTests
from grader.grading.jacobiantests import JacobianTests
from grader.grading.loading import forbidden_imports
from grader.grading.nodetests import NodeTests
from grader.grading.session import Session
from grader.grading.submission import find_files
from grader.report.results import Results
from grader.sandbox.host import Sandbox
from grader.sandbox.imports import DEFAULT_FORBIDDEN
from grader.spec import load_assignment
from grader.spec.model import Assignment, NodeType
from grader.spec.withheld import differenced


def grade_submission(assignment_dir: str | Path, submission_dir: str | Path, *, visible_only: bool = False,
                     seed: int | None = None, node: str | None = None, timeout: float | None = None,
                     hide: list[Path] = (), loaded: Assignment | None = None) -> Results:
    """Grade the submission in ``submission_dir`` against the assignment at ``assignment_dir``.

    ``timeout`` overrides the spec's per-call time limit; ``hide`` adds folders the worker
    must not see (the results folder); ``loaded`` is that spec already loaded (a batch loads
    it once). Raises SpecError for a bad spec; everything a student's code does
    becomes results.
    """
    started = time.monotonic()
    assignment = loaded
    if assignment is None:
        assignment, _ = load_assignment(assignment_dir, dry_run=False)
    submission = find_files(submission_dir, assignment.files)
    base = seed if seed is not None else submission.seed()
    results = Results(assignment.id, seed=base)
    function = assignment.jacobian.function if assignment.jacobian else None
    if node is not None and node not in assignment.nodes and node not in assignment.graphs and node != function:
        graphs = f"; graphs: {', '.join(assignment.graphs)}" if assignment.graphs else ""
        results.output = f"there is no node {node!r} in {assignment.id} (nodes: {', '.join(assignment.nodes)}{graphs})"
        return results
    files = dict(submission.found)
    files.update({name: assignment.root / name for name in assignment.provided})
    forbidden = set(DEFAULT_FORBIDDEN) | set(assignment.forbidden_imports)
    hidden = [assignment.root, Path(submission_dir), *hide]
    with Sandbox(files, limits=assignment.limits, hide=hidden, forbidden=sorted(forbidden),
                 timeout=timeout) as sandbox:
        grading = Session(assignment, submission, sandbox, base, visible_only)
        grading.messages += forbidden_imports(submission, forbidden)
        node_tests, graph_tests = NodeTests(grading), GraphTests(grading)
        grading.load(meanwhile=node_tests.plan_all)
        for number, node_type in enumerate(n for n in assignment.nodes.values() if not n.provided):
            if node in (None, node_type.name):
                node_tests.node(node_type, number + 1)
        node_tests.judge_deferred()
        for number, (gid, graph) in enumerate(assignment.graphs.items()):
            if node in (None, gid):
                graph_tests.run(graph, number + 1)
        if node in (None, function):
            JacobianTests(grading).run(len(assignment.nodes) + 2)
    for test in grading.tests:  # the worker is gone: all it printed has been read
        test.printed = sandbox.printed.of(test.requests).strip()
    results.tests = grading.tests
    results.student_output = sandbox.output()
    withheld = [n for n in assignment.nodes.values() if n.withheld and node in (None, n.name)]
    if withheld:
        grading.messages.append(withheld_message(withheld))
    later = assignment.points_later() if visible_only and node is None else 0
    if later:
        grading.messages.append(later_message(later, all(t.passed for t in grading.tests), bool(withheld)))
    results.output = "\n".join(grading.messages)
    results.notes = [note for name, values in grading.agreement.items()
                     if (note := precision_note(name, values))]
    results.execution_time = time.monotonic() - started
    total = time.monotonic() - started
    timings = dict(grading.timings, total=total)
    timings["grader"] = total - timings["worker_start"] - timings["student_calls"]
    results.extra = {"timings": {k: round(v, 4) for k, v in timings.items()},
                     "files": {k: str(v.relative_to(submission.folder)) for k, v in submission.found.items()},
                     "missing": submission.missing, "fingerprint": fingerprint(assignment, submission),
                     "protections": sandbox.protections.on,
                     "not_available": sandbox.protections.off}
    return results


def later_message(points: float, passed: bool, withheld: bool = False) -> str:
    """What ``grade check`` did not check: a local pass is not the final score. (Where
    references were left out, some of those points are on these very cases.)"""
    more = f"{points:g} more point{'s' if points != 1 else ''} are graded after the deadline"
    more += "" if withheld else ", on other cases"
    return f"All visible tests pass; {more}." if passed else f"These are the visible tests; {more}."


def withheld_message(nodes: list[NodeType]) -> str:
    """Said once: what ``grade check`` cannot check of nodes whose reference the template
    left out (``show_reference: false``), and what it checks instead."""
    one = len(nodes) == 1
    step = "jvp" if all(n.convention.forward_mode for n in nodes) else "backward"
    here = f"; here {step} is checked against finite differences of your own forward" \
        if all(differenced(n) for n in nodes) else ""
    return (f"{', '.join(n.name for n in nodes)}: {'its' if one else 'their'} reference is not shown, so forward "
            f"and {step} against the reference are checked after the deadline, as is any graph that uses "
            f"{'it' if one else 'them'}{here}.")
