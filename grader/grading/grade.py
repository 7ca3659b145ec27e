"""Grading one submission: the library behind ``grade run`` and ``grade check``.

The spec is loaded and every expected value computed here, in the grader's process; student
code runs only in the worker (``sandbox``). Each node test is two worker round trips, each
graph case one. Whatever student code does, every test gets a result and grading goes on:
a missing file, a crash or a hang fails the tests it touches, not the run.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.grading.checks import Case, NodeTestRun, Outcome, error_text, make_cases, precision_note
from grader.grading.fingerprint import fingerprint
from grader.grading.graphcheck import judge_grader_driver, judge_student_driver
from grader.grading.graphrun import GraphCase, driver_step
from grader.sandbox.imports import DEFAULT_FORBIDDEN
from grader.sandbox.imports import scan as scan_imports
from grader.sandbox.protocol import calls_in
from grader.report.results import Results, TestResult, score_for
from grader.sandbox.channel import Outgoing, WorkerFailure
from grader.sandbox.host import Sandbox
from grader.spec import load_assignment
from grader.spec.model import Assignment, GraphTest, NodeTest, NodeType
from grader.grading.submission import Submission, find_files


CHECK_NAMES = {"forward": "forward", "backward": "backward", "numeric": "backward vs. finite differences",
               "no_mutation": "inputs left unmodified", "independence": "two instances at once",
               "range": "right at large inputs"}


def case_seed(base: int, title: str, visibility: str) -> int:
    """Visible tests draw the same cases for everyone (what students see locally is what
    Gradescope runs); the others draw new cases for every submission."""
    key = title if visibility == "visible" else f"{base}:{title}"
    return zlib.crc32(key.encode())


def grade_submission(assignment_dir: str | Path, submission_dir: str | Path, *, visible_only: bool = False,
                     seed: int | None = None, node: str | None = None, timeout: float | None = None,
                     hide: list[Path] = ()) -> Results:
    """Grade the submission in ``submission_dir`` against the assignment at ``assignment_dir``.

    ``timeout`` overrides the spec's per-call time limit; ``hide`` adds folders the worker
    must not see (the results folder). Raises SpecError for a bad spec; everything a
    student's code does becomes results.
    """
    started = time.monotonic()
    assignment, _ = load_assignment(assignment_dir, dry_run=False)
    submission = find_files(submission_dir, assignment.files)
    base = seed if seed is not None else submission.seed()
    results = Results(assignment.id, seed=base)
    if node is not None and node not in assignment.nodes:
        results.output = f"there is no node {node!r} in {assignment.id} (nodes: {', '.join(assignment.nodes)})"
        return results
    files = dict(submission.found)
    files.update({name: assignment.root / name for name in assignment.provided})
    forbidden = set(DEFAULT_FORBIDDEN) | set(assignment.forbidden_imports)
    hidden = [assignment.root, Path(submission_dir), *hide]
    with Sandbox(files, limits=assignment.limits, hide=hidden, forbidden=sorted(forbidden),
                 timeout=timeout) as sandbox:
        grading = _Grading(assignment, submission, sandbox, base, visible_only)
        grading.scan(forbidden)
        grading.load(meanwhile=grading.plan_all)
        for number, node_type in enumerate(n for n in assignment.nodes.values() if not n.provided):
            if node in (None, node_type.name):
                grading.node(node_type, number + 1)
        if node is None:
            for number, graph in enumerate(assignment.graphs.values()):
                grading.graph(graph, number + 1)
        grading.judge_deferred()
    for test in grading.tests:  # the worker is gone: all it printed has been read
        test.printed = sandbox.printed.of(test.requests).strip()
    results.tests = grading.tests
    results.student_output = sandbox.output()
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


class _Grading:
    """The state of one grading run: the worker, what loaded, and the results so far."""

    def __init__(self, assignment: Assignment, submission: Submission, sandbox: Sandbox, seed: int,
                 visible_only: bool):
        self.assignment, self.submission, self.sandbox = assignment, submission, sandbox
        self.seed, self.visible_only = seed, visible_only
        self.tests: list[TestResult] = []
        self.messages: list[str] = list(submission.notes)
        self.blocked: dict[str, str] = {}  # symbol -> why it cannot be called
        self.timings = {"worker_start": 0.0, "student_calls": 0.0, "worker_calls": 0, "calls": 0}
        self.graphs_isolated = False
        self.graph_blocked: str | None = None
        self.plans: dict[tuple[str, int], NodeTestRun] = {}
        self.deferred: _Sent | None = None  # replies read, not yet judged (see _defer)
        self.agreement: dict[str, list[float]] = {}  # per node: how closely passing gradients matched

    def scan(self, forbidden: set[str]) -> None:
        """Report forbidden imports before running anything (they are also blocked at run time)."""
        for name, path in self.submission.found.items():
            try:
                source = path.read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for line, module in scan_imports(source, forbidden):
                what = module if module.startswith("sys.") else f"importing {module}"
                self.messages.append(f"{name}, line {line}: {what} is not allowed in this assignment "
                                     "(use numpy and the standard library).")

    def load(self, meanwhile=None) -> None:
        """Start the worker and import the student files; ``meanwhile`` is the grader's own
        work, done while the worker starts."""
        for name in self.submission.missing:
            self.messages.append(f"{name} was not found in your submission.")
        symbols = {n.name: n.file for n in self.assignment.nodes.values() if not n.provided}
        if self.assignment.driver_file:
            symbols.update({"topological_sort": self.assignment.driver_file, "backward": self.assignment.driver_file})
        self.symbols = symbols
        try:
            pending = self.sandbox.begin_load(symbols)
            if meanwhile:
                meanwhile()
            started = time.monotonic()
            try:
                loaded = self.sandbox.finish_load(pending)
            finally:
                self.timings["worker_start"] = time.monotonic() - started
        except WorkerFailure as e:
            why = _failure_text(e, "importing your files")
            loaded = {"files": {f: {"kind": "failure", "message": why} for f in self.submission.found},
                      "symbols": {}}
        self.failed_files = {file for file, error in loaded["files"].items() if error}
        for file, error in loaded["files"].items():
            if error and file in self.assignment.files:
                self.messages.append(f"{file} could not be imported: {error_text(error)}")
        for symbol, file in symbols.items():
            why = self._unusable(symbol, file, loaded)
            if why:
                self.blocked[symbol] = why

    def _unusable(self, symbol: str, file: str, loaded: dict) -> str | None:
        if file in self.submission.missing:
            return f"{file} was not found in your submission"
        error = loaded["files"].get(file)
        if error:
            return f"{file} could not be imported: {error_text(error)}"
        info = loaded["symbols"].get(symbol, {"found": False})
        if not info.get("found"):
            return f"{file} has no {'class' if symbol[0].isupper() else 'function'} {symbol}"
        node = self.assignment.nodes.get(symbol)
        if node is None:
            return None
        if info.get("kind") != "class":
            return f"{symbol} in {file} must be a class"
        forward = info.get("forward")
        n = len(node.inputs)
        names = ", ".join(i.name for i in node.inputs)
        if forward is None:
            return f"{symbol} has no forward method"
        if forward["required"] > n or (len(forward["positional"]) < n and not forward["varargs"]):
            return (f"{symbol}.forward takes ({', '.join(['self'] + forward['positional'])}), "
                    f"but it is called as forward({names})")
        backward = info.get("backward")
        if backward is None:
            return f"{symbol} has no backward method"
        if backward["required"] > 1 or (not backward["positional"] and not backward["varargs"]):
            return f"{symbol}.backward must take exactly one argument, grad_output"
        init = info.get("__init__")
        missing = [a for a in node.attributes if init and a not in init["keywords"] and not init["varkw"]]
        if missing:
            return f"{symbol}.__init__ must accept the attribute{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        return None

    # -- node tests ---------------------------------------------------------------------------------

    def fresh_worker(self) -> None:
        """A fresh copy of the worker for the next node type: whatever the last one's code
        did to its process (patched numpy, forged replies, stray threads) stays with it."""
        try:
            self.sandbox.isolate()
        except WorkerFailure:
            pass  # the next request restarts the worker

    def node(self, node: NodeType, number: int) -> None:
        """Every test of one node type. While the worker runs one test, the grader judges the
        one before (a pipeline of two: replies come back in order)."""
        if node.name not in self.blocked:
            self.fresh_worker()
        in_flight: _Sent | None = None
        for index, test in enumerate(node.tests):
            if self.visible_only and test.settings.visibility != "visible":
                continue
            label = f"{number}.{index + 1}"
            run = self._plan(node, test, index)
            if node.name in self.blocked or run.probe_program():
                self._finish(in_flight)
                in_flight = None
                self.tests.extend(self._node_test(run, label))
                continue
            steps = run.main_program()
            out = self._outgoing(steps, run.requests)
            if not out.small:  # a large request goes out only once every reply has been read
                self._finish(in_flight)
                in_flight = None
                if node.name in self.blocked:
                    self.tests.extend(self._node_test(run, label))
                    continue
            sent = self._send(run, label, steps, out)
            self._finish(in_flight)  # judged while the worker runs the test just sent
            in_flight = sent
        self._defer(in_flight)

    def _plan(self, node: NodeType, test: NodeTest, index: int) -> NodeTestRun:
        """The cases of a test and, where the reference needs no reply of the worker, what it
        expects: made while the worker is starting, or busy with the test before."""
        planned = self.plans.pop((node.name, index), None)
        if planned is not None:
            return planned
        rng = np.random.default_rng(case_seed(self.seed, test.title, test.settings.visibility))
        run = NodeTestRun(node, test, make_cases(node, test, rng), rng)
        if not run.probe_program():
            run.prepare([])
        return run

    def plan_all(self) -> None:
        for node in self.assignment.nodes.values():
            if not node.provided:
                for index, test in enumerate(node.tests):
                    if not (self.visible_only and test.settings.visibility != "visible"):
                        self.plans[(node.name, index)] = self._plan(node, test, index)

    def _send(self, work: Any, label: str, steps: list[dict], out: Outgoing) -> "_Sent":
        try:
            return _Sent(work, label, steps, self.sandbox.send(out), None)
        except WorkerFailure as e:
            return _Sent(work, label, steps, None, e)

    def _finish(self, sent: "_Sent | None") -> None:
        """Read and judge a test sent to the worker (or settle one sent in vain: its node was
        blocked by the test before it)."""
        self.judge_deferred()
        if sent is None:
            return
        run = sent.work
        name = run.node.name
        # a test whose own request failed (ran past the total time, or the worker died under
        # it) is judged by that failure below, not as a test that was left unread
        if sent.replies is None and sent.error is None and (name in self.blocked or self._gone(sent)):
            self._drain(sent)
            why = self.blocked.get(name, "not run: the worker was restarted")
            self.tests.extend(self._results(run, self._all_failed(_checks_of(run), run.cases, why), sent.label))
            return
        def replies() -> list[dict]:
            if sent.error is not None:
                raise sent.error
            return sent.replies if sent.replies is not None else self._collect(sent.pending, sent.steps)
        self.tests.extend(self._results(run, self._judged(run, replies), sent.label))

    def _defer(self, sent: "_Sent | None") -> None:
        """The last test of a node type: read its replies now (the channel must be quiet before
        the next node type's fork) but judge it once the next node's first test is running."""
        if sent is None or sent.error is not None or sent.work.node.name in self.blocked or self._gone(sent):
            self._finish(sent)
            return
        try:
            sent.replies = self._collect(sent.pending, sent.steps)
        except WorkerFailure as e:
            sent.error = e
            self._finish(sent)
            return
        self.deferred = sent

    def judge_deferred(self) -> None:
        """Judge the test ``_defer`` kept back, if any (before any later result is added)."""
        deferred, self.deferred = self.deferred, None
        if deferred is not None:
            self._finish(deferred)

    def _node_test(self, run: NodeTestRun, label: str) -> list[TestResult]:
        """One test, not pipelined: its node is blocked, or it needs a probe of the student's
        own forward first (no reference)."""
        self.judge_deferred()
        blocked = self.blocked.get(run.node.name)
        if blocked:
            return self._results(run, self._all_failed(_checks_of(run), run.cases, blocked), label)

        def replies() -> list[dict]:
            probe = run.probe_program()
            if probe:
                run.prepare(self._run(probe, run.requests))
            return self._run(run.main_program(), run.requests)
        return self._results(run, self._judged(run, replies), label)

    def _judged(self, run: NodeTestRun, replies) -> dict[str, Outcome]:
        """The outcomes of a test whose replies ``replies()`` gets: any way the worker fails
        (dies, hangs, garbles its reply) fails the test's cases and blocks its node."""
        try:
            run.take_main(replies())
            outcomes = run.judge()
        except WorkerFailure as e:
            return self._failed_by(e, run)
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
            return self._malformed(e, run)
        self._block_after_timeout(run.node.name, outcomes)
        self.agreement.setdefault(run.node.name, []).extend(run.agreement)
        return outcomes

    def _failed_by(self, e: WorkerFailure, run: NodeTestRun) -> dict[str, Outcome]:
        why = _failure_text(e, run.node.name)
        self._after_failure(e, run.node.name, why)
        return self._all_failed(_checks_of(run), run.cases, why)

    def _malformed(self, e: Exception, run: NodeTestRun) -> dict[str, Outcome]:
        # a reply of the right protocol but the wrong shape: student code tampered with it
        why = f"{run.node.name}: the worker's reply was malformed ({type(e).__name__})"
        self._after_failure(WorkerFailure("protocol", why), run.node.name, why)
        return self._all_failed(_checks_of(run), run.cases, why)

    def _block_after_timeout(self, name: str, outcomes: dict[str, Outcome]) -> None:
        timeout = next((f for o in outcomes.values() for _, f in o.failures if "time limit" in f), None)
        if timeout:
            self.blocked[name] = f"{timeout} (so its remaining tests were not run)"

    def _results(self, run: NodeTestRun, outcomes: dict[str, Outcome], label: str) -> list[TestResult]:
        results = [self._result(run.test, check, outcome, f"{label}.{k + 1}")
                   for k, (check, outcome) in enumerate(outcomes.items())]
        if results:
            results[0].requests = run.requests  # what the test's calls printed is shown once
        return results

    def _after_failure(self, e: WorkerFailure, symbol: str, why: str) -> None:
        """After a breach: the node is not called again, and a fresh worker takes over."""
        self.blocked[symbol] = f"{why} (so its remaining tests were not run)"
        if e.kind != "total":
            self.restart(symbol)

    def restart(self, after: str) -> None:
        """A fresh worker after a failure. If even that fails (the files no longer import, or
        the worker dies loading them), nothing more is run: every later test says why."""
        why = f"not run: after {after} failed, your files could not be loaded again in a fresh worker"
        try:
            self.sandbox.restart()
            failed = {file for file, error in self.sandbox.loaded["files"].items() if error}
            broken = bool(failed - self.failed_files)
        except WorkerFailure as e:
            broken = True
            if e.kind == "total":
                why = _failure_text(e, after)
        if broken:
            self.sandbox.kill()
            for symbol in self.symbols:
                self.blocked.setdefault(symbol, why)

    def _run(self, steps: list[dict], requests: list[int]) -> list[dict]:
        return self._collect(self._request(steps, requests), steps)

    def _request(self, steps: list[dict], requests: list[int]):
        return self.sandbox.send(self._outgoing(steps, requests))

    def _outgoing(self, steps: list[dict], requests: list[int]) -> Outgoing:
        """A run request for these steps; ``requests`` collects the request ids of one test,
        under which what its calls print is filed."""
        calls = sum(calls_in(s) for s in steps)
        self.timings["calls"] += calls
        out = self.sandbox.outgoing({"op": "run", "steps": steps}, calls=calls)
        requests.append(out.id)
        return out

    def _collect(self, pending, steps: list[dict]) -> list[dict]:
        started = time.monotonic()
        try:
            reply = self.sandbox.receive(pending)
        finally:
            self.timings["student_calls"] += time.monotonic() - started
            self.timings["worker_calls"] += 1
        results = reply.get("results")
        if not isinstance(results, list) or len(results) != len(steps) or \
                not all(isinstance(r, dict) and ("ok" in r or isinstance(r.get("error"), dict)) for r in results):
            self.sandbox.kill()
            raise WorkerFailure("protocol", "the worker's reply does not match the request")
        return results

    @staticmethod
    def _all_failed(checks, cases: list[Case], why: str) -> dict[str, Outcome]:
        outcomes = {}
        for check in checks:
            outcome = Outcome(check)
            for case in cases:
                outcome.record(case.label, why)
            outcomes[check] = outcome
        return outcomes

    def _result(self, test: NodeTest, check: str, outcome: Outcome, number: str) -> TestResult:
        points = test.points.get(check, 0)
        return TestResult(
            name=f"{test.node}: {test.name} ({CHECK_NAMES.get(check, check)})", number=number,
            max_score=points, score=score_for(points, outcome.passed, outcome.total, test.settings.partial),
            visibility=test.settings.visibility, output=outcome.summary(), node=test.node,
            group=test.name if test.kind == "node" else f"{test.name} (range)", check=check,
            passed_cases=outcome.passed, total_cases=outcome.total, tags=[test.node, check])

    # -- graph tests ---------------------------------------------------------------------------------

    def graph(self, graph: GraphTest, number: int) -> None:
        """Every case of one graph test, pipelined like node tests: the next case runs in the
        worker while the grader judges the last."""
        self.judge_deferred()
        if self.visible_only and graph.settings.visibility != "visible":
            return
        driver = self.assignment.driver_file is not None
        if not self.graphs_isolated and self._graph_blocked(graph, driver) is None:
            self.fresh_worker()  # the graphs share one worker, fresh from the node tests
            self.graphs_isolated = True
        rng = np.random.default_rng(case_seed(self.seed, f"graph {graph.id}", graph.settings.visibility))
        outcome = Outcome("graph")
        self.graph_blocked = self._graph_blocked(graph, driver)
        in_flight, requests = None, []
        for label, concrete, inputs in _graph_cases(graph, self.assignment, rng):
            sent, case = None, None
            if not self.graph_blocked:
                case = None if driver else GraphCase(concrete, inputs)
                steps = [driver_step(concrete, self.assignment.nodes, inputs)] if driver else case.steps
                out = self._outgoing(steps, requests)
                if not out.small or (case and case.multi):  # these wait until every reply is read
                    self._settle_graph_case(in_flight, graph, outcome, requests)
                    in_flight = None
                if not self.graph_blocked:
                    sent = self._send((label, concrete, inputs, case), label, steps, out)
            self._settle_graph_case(in_flight, graph, outcome, requests)
            in_flight = None
            if sent is None or self.graph_blocked:
                if sent is not None:
                    self._drain(sent)  # sent before the case ahead of it blocked the graph
                outcome.record(label, self.graph_blocked)
            elif case and case.multi:  # its next requests need this one's results now
                self._settle_graph_case(sent, graph, outcome, requests)
            else:
                in_flight = sent
        self._settle_graph_case(in_flight, graph, outcome, requests)
        self.tests.append(TestResult(
            name=f"graph {graph.id}: {graph.title}", number=f"{len(self.assignment.nodes) + 1}.{number}",
            max_score=graph.points, visibility=graph.settings.visibility, output=outcome.summary(),
            score=score_for(graph.points, outcome.passed, outcome.total, graph.settings.partial),
            group=f"{graph.id}: {graph.title}", check="graph", passed_cases=outcome.passed, total_cases=outcome.total,
            tags=["graph", graph.id], requests=requests))

    def _settle_graph_case(self, sent: "_Sent | None", graph: GraphTest, outcome: Outcome,
                           requests: list[int]) -> None:
        """Read and judge one graph case (sending the follow-up requests of a case whose
        expressions need the worker's results first)."""
        if sent is None:
            return
        label, concrete, inputs, case = sent.work
        if self._gone(sent):
            outcome.record(label, self.graph_blocked or "not run: the worker was restarted")
            return
        try:
            if sent.error is not None:
                raise sent.error
            results = self._collect(sent.pending, sent.steps)
            if case is None:
                problem = judge_student_driver(concrete, self.assignment.nodes, inputs, results[0],
                                               graph.settings.tolerance)
            else:
                while (steps := case.take(results)) is not None:
                    results = self._run(steps, requests)
                problem = judge_grader_driver(concrete, self.assignment.nodes, inputs, case.outcome(),
                                              graph.settings.tolerance)
        except WorkerFailure as e:
            outcome.record(label, _failure_text(e, f"graph {graph.id}"))
            self.graph_blocked = f"not run: an earlier case {'ran past the time limit' if e.kind == 'timeout' else 'failed'}"
            if e.kind != "total":
                self.restart(f"graph {graph.id}")
            return
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
            outcome.record(label, f"graph {graph.id}: the worker's reply was malformed ({type(e).__name__})")
            self.graph_blocked = "not run: an earlier case failed"
            self.restart(f"graph {graph.id}")
            return
        outcome.record(label, problem)
        if problem and "time limit" in problem:
            self.graph_blocked = "not run: an earlier case ran past the time limit"

    def _drain(self, sent: "_Sent") -> None:
        """Read (and drop) the reply to a request that turned out not to be needed, so the
        channel stays in step; nothing to read if the worker it went to is gone."""
        if sent.pending is not None and not self._gone(sent):
            try:
                self._collect(sent.pending, sent.steps)
            except WorkerFailure as e:
                if e.kind != "total":
                    self.restart("a test that was not needed")  # a fresh worker for what follows

    def _gone(self, sent: "_Sent") -> bool:
        """The worker this request went to was ended since: no reply will come."""
        return sent.pending is not None and not self.sandbox.answers(sent.pending)

    def _graph_blocked(self, graph: GraphTest, driver: bool) -> str | None:
        if driver:
            for symbol in ("topological_sort", "backward"):
                if symbol in self.blocked:
                    return self.blocked[symbol]
            return None
        types = {n.type for n in (graph.nodes if graph.random is None else []) if n.type}
        types |= set(graph.random.types) if graph.random is not None else set()
        for name in sorted(types):
            if name in self.blocked:
                return f"this graph uses {name}: {self.blocked[name]}"
        return None


@dataclass
class _Sent:
    """A node test or graph case whose program went to the worker (or failed to)."""

    work: Any  # the NodeTestRun, or (label, graph, inputs)
    label: str
    steps: list[dict]
    pending: Any
    error: WorkerFailure | None
    replies: list[dict] | None = None  # read already, to be judged later


def _checks_of(run: NodeTestRun):
    return run.points if run.test.kind == "node" else {"range": 1}


def _graph_cases(graph: GraphTest, assignment: Assignment, rng: np.random.Generator):
    """(label, concrete graph, inputs) for each case of a graph test."""
    from grader.spec.draw import draw_case, example_case
    from grader.spec.randomgraph import draw_graph_case

    for i in range(graph.settings.cases):
        if graph.random is not None:
            concrete, inputs = draw_graph_case(graph, assignment.nodes, rng)
        else:
            concrete, inputs = graph, draw_case(graph.inputs, graph.settings, rng)
        yield f"case {i + 1}", concrete, inputs
    for i, example in enumerate(graph.examples):
        yield f"example {i + 1}", graph, example_case(graph.inputs, graph.settings, example.inputs, rng)


def _failure_text(e: WorkerFailure, what: str) -> str:
    if e.kind == "total":
        return f"not run: {e.message}"
    if e.kind == "memory":
        return f"{what} {e.message}"
    if e.kind == "timeout":
        return f"{what} ran past the time limit; is there an endless loop?"
    if e.kind == "crash":
        return f"{what} crashed the grader's worker process (did your code call exit, or run out of memory?)"
    return f"{what} broke the grader's worker: {e.message}"


def run(assignment_dir: str | Path, submission_dir: str | Path, results_path: str | Path, *,
        seed: int | None = None, metadata: str | Path | None = None, self_check: bool = False,
        say=None) -> Results:
    """``grade run``: grade every test and write Gradescope's results.json.

    A results file is written whatever happens. When grading cannot happen, the file says so
    (and gives no score) and the error is raised: SpecError for a broken spec, GraderFault
    when the grader itself fails (its worker cannot start, or ``self_check`` finds the
    grader broken here), OSError for a missing folder. ``say`` gets the self-check's line.
    """
    from grader.errors import GraderFault, SpecError
    from grader.report.gradescope import write_failure, write_grader_fault, write_results
    from grader.grading.submission import gradescope_seed

    if seed is None and metadata is not None:
        seed = gradescope_seed(metadata)
    try:
        if not Path(submission_dir).is_dir():
            raise FileNotFoundError(f"{submission_dir} is not a folder")
        hide = [Path(results_path).resolve().parent]
        if self_check:
            from grader.grading.selfcheck import self_check as check_grader
            line = check_grader(assignment_dir, hide=hide)
            if say:
                say(line)
        results = grade_submission(assignment_dir, submission_dir, seed=seed, hide=hide)
    except SpecError as e:
        write_failure("The autograder's assignment spec is broken; your instructor has been told:\n"
                      + "\n".join(str(p) for p in e.problems[:20]), results_path)
        raise
    except GraderFault as e:
        write_grader_fault(results_path, e.cause)
        raise
    except Exception as e:  # unreadable paths, or a bug of ours: still never a silent page
        write_failure(f"The autograder could not grade this submission ({e}).", results_path)
        raise
    write_results(results, results_path)
    return results


def check(folder: str | Path = ".", *, node: str | None = None, seed: int | None = None) -> Results:
    """``grade check``: a student's own folder (made from the template), visible tests only.

    Also the notebook entry point: ``print(grader.check("hw2"))``.
    """
    from grader.spec import spec_path

    folder = Path(folder)
    return grade_submission(spec_path(folder), folder, visible_only=True, node=node, seed=seed)
