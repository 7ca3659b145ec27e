"""Node tests: each node type's tests, run in a fresh fork of the worker and pipelined (the
worker runs one test while the grader judges the one before; the last one of a node type is
judged while the next type's first runs), each check a result.
"""

from __future__ import annotations

import numpy as np

from grader.grading.cases import Case, make_cases
from grader.grading.checks import NodeTestRun
from grader.grading.outcome import Outcome
from grader.grading.jvpchecks import JvpTestRun
from grader.grading.session import Sent, Session, case_seed, failure_text
from grader.report.results import TestResult, score_for
from grader.sandbox.channel import WorkerFailure
from grader.spec.model import NodeTest, NodeType


class NodeTests:
    """The node tests of one grading session."""

    def __init__(self, session: Session):
        self.session = session
        self.plans: dict[tuple[str, int], NodeTestRun] = {}
        self.deferred: Sent | None = None  # replies read, not yet judged (see _defer)

    def node(self, node: NodeType, number: int) -> None:
        """Every test of one node type. While the worker runs one test, the grader judges the
        one before (a pipeline of two: replies come back in order)."""
        if node.name not in self.session.blocked:
            self.session.fresh_worker()
        in_flight: Sent | None = None
        for index, test in enumerate(node.tests):
            if self.session.visible_only and test.settings.visibility != "visible":
                continue
            label = f"{number}.{index + 1}"
            run = self._plan(node, test, index)
            if node.name in self.session.blocked or run.probe_program():
                self._finish(in_flight)
                in_flight = None
                self.session.tests.extend(self._node_test(run, label))
                continue
            steps = run.main_program()
            out = self.session.outgoing(steps, run.requests)
            if not out.small:  # a large request goes out only once every reply has been read
                self._finish(in_flight)
                in_flight = None
                if node.name in self.session.blocked:
                    self.session.tests.extend(self._node_test(run, label))
                    continue
            sent = self.session.send(run, label, steps, out)
            self._finish(in_flight)  # judged while the worker runs the test just sent
            in_flight = sent
        self._defer(in_flight)

    def _plan(self, node: NodeType, test: NodeTest, index: int) -> NodeTestRun:
        """The cases of a test and, where the reference needs no reply of the worker, what it
        expects: made while the worker is starting, or busy with the test before."""
        planned = self.plans.pop((node.name, index), None)
        if planned is not None:
            return planned
        rng = np.random.default_rng(case_seed(self.session.seed, test.title, test.settings.visibility))
        kind = JvpTestRun if node.convention.forward_mode else NodeTestRun
        run = kind(node, test, make_cases(node, test, rng), rng)
        run.hangs, run.errors_shown = self.session.hangs, self.session.shown
        if not run.probe_program():
            run.prepare([])
        return run

    def plan_all(self) -> None:
        """Plan every test (done while the worker starts)."""
        for node in self.session.assignment.nodes.values():
            if not node.provided:
                for index, test in enumerate(node.tests):
                    if not (self.session.visible_only and test.settings.visibility != "visible"):
                        self.plans[(node.name, index)] = self._plan(node, test, index)

    def _finish(self, sent: "Sent | None") -> None:
        """Read and judge a test sent to the worker (or settle one sent in vain: its node was
        blocked by the test before it)."""
        self.judge_deferred()
        if sent is None:
            return
        run = sent.work
        name = run.node.name
        # a test whose own request failed (ran past the total time, or the worker died under
        # it) is judged by that failure below, not as a test that was left unread
        if sent.replies is None and sent.error is None and (name in self.session.blocked or self.session.gone(sent)):
            self.session.drain(sent)
            why = self.session.blocked.get(name, "not run: the worker was restarted")
            outcomes = self._all_failed(run.checks, run.cases, why, self._unwritten(run.node))
            self.session.tests.extend(self._results(run, outcomes, sent.label))
            return
        def replies() -> list[dict]:
            if sent.error is not None:
                raise sent.error
            return sent.replies if sent.replies is not None else self.session.collect(sent.pending, sent.steps)
        self.session.tests.extend(self._results(run, self._judged(run, replies), sent.label))

    def _defer(self, sent: "Sent | None") -> None:
        """The last test of a node type: read its replies now (the channel must be quiet before
        the next node type's fork) but judge it once the next node's first test is running."""
        if sent is None or sent.error is not None or sent.work.node.name in self.session.blocked or self.session.gone(sent):
            self._finish(sent)
            return
        try:
            sent.replies = self.session.collect(sent.pending, sent.steps)
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
        blocked = self.session.blocked.get(run.node.name)
        if blocked:
            return self._results(run, self._all_failed(run.checks, run.cases, blocked, self._unwritten(run.node)), label)

        def replies() -> list[dict]:
            probe = run.probe_program()
            if probe:
                run.prepare(self.session.run_steps(probe, run.requests))
            return self.session.run_steps(run.main_program(), run.requests)
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
        self.session.tested(run.node.name)
        key = f"{run.node.name}.jvp" if run.node.convention.forward_mode else run.node.name
        self.session.agreement.setdefault(key, []).extend(run.agreement)
        return outcomes

    def _failed_by(self, e: WorkerFailure, run: NodeTestRun) -> dict[str, Outcome]:
        why = failure_text(e, run.node.name)
        self.session.failed(e, run.node.name, why, f"{run.test.node}: {run.test.name}")
        return self._all_failed(run.checks, run.cases, why)

    def _malformed(self, e: Exception, run: NodeTestRun) -> dict[str, Outcome]:
        # a reply of the right protocol but the wrong shape: student code tampered with it
        why = f"{run.node.name}: the worker's reply was malformed ({type(e).__name__})"
        self.session.failed(WorkerFailure("protocol", why), run.node.name, why)
        return self._all_failed(run.checks, run.cases, why)

    def _results(self, run: NodeTestRun, outcomes: dict[str, Outcome], label: str) -> list[TestResult]:
        results = [self._result(run, check, outcome, f"{label}.{k + 1}")
                   for k, (check, outcome) in enumerate(outcomes.items())]
        if results:
            results[0].requests = run.requests  # what the test's calls printed is shown once
        return results

    def _unwritten(self, node: NodeType) -> bool:
        """Whether the node's forward is not written yet (so none of its tests can run)."""
        return node.convention.forward in self.session.absent.get(node.name, [])

    @staticmethod
    def _all_failed(checks, cases: list[Case], why: str, unwritten: bool = False) -> dict[str, Outcome]:
        outcomes = {}
        for check in checks:
            outcome = Outcome(check, absent=why if unwritten else None)
            for case in cases:
                outcome.record(case.label, why)
            outcomes[check] = outcome
        return outcomes

    def _result(self, run: NodeTestRun, check: str, outcome: Outcome, number: str) -> TestResult:
        test = run.test
        points = test.points.get(check, 0)
        return TestResult(
            name=run.title(check), number=number,
            max_score=points, score=score_for(points, outcome.passed, outcome.total, test.settings.partial),
            visibility=test.settings.visibility, output=outcome.summary(), node=test.node,
            group=test.name if test.kind == "node" else f"{test.name} (range)", check=check,
            passed_cases=outcome.passed, total_cases=outcome.total, not_run_cases=outcome.not_run,
            tags=[test.node, check], detail=outcome.detail)
