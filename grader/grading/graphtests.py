"""Graph tests: each case of a spec's graph run on the student's nodes with the grader's
driver (``graphrun``: the calls wired step by step; ``forwardrun`` for a forward-mode graph
of jvp nodes, along the inputs' tangents) or by the student's own engine, judged against the
reference (``graphcheck``), pipelined like node tests.
"""

from __future__ import annotations

import numpy as np

from grader.grading.outcome import NotRun, Outcome
from grader.grading.forwardrun import ForwardGraphCase
from grader.grading.graphcheck import judge_forward_mode, judge_grader_driver, judge_student_driver
from grader.grading.graphrun import GraphCase, driver_step
from grader.grading.session import Sent, Session, case_seed, failure_text
from grader.report.results import TestResult, score_for
from grader.sandbox.channel import WorkerFailure
from grader.spec.draw import draw_case, example_case
from grader.spec.forwardmode import tangents
from grader.spec.model import Assignment, GraphTest
from grader.spec.randomgraph import draw_graph_case


class GraphTests:
    """The graph tests of one grading session; the graphs share one fresh fork of the worker."""

    def __init__(self, session: Session):
        self.session = session
        self.isolated = False
        self.blocked_by: str | None = None  # why the rest of the current graph is not run

    def run(self, graph: GraphTest, number: int) -> None:
        """Every case of one graph test, pipelined like node tests: the next case runs in the
        worker while the grader judges the last."""
        if self.session.visible_only and graph.settings.visibility != "visible":
            return
        driver = self.session.assignment.driver_file is not None
        if not self.isolated and self._blocked(graph, driver) is None:
            self.session.fresh_worker()  # the graphs share one worker, fresh from the node tests
            self.isolated = True
        rng = np.random.default_rng(case_seed(self.session.seed, f"graph {graph.id}", graph.settings.visibility))
        outcome = Outcome("graph")
        self.blocked_by = self._blocked(graph, driver)
        in_flight, requests = None, []
        for label, concrete, inputs, example in graph_cases(graph, self.session.assignment, rng):
            sent, case = None, None
            if not self.blocked_by:
                case = None if driver else self._case(concrete, inputs, example, rng)
                steps = [driver_step(concrete, self.session.assignment.nodes, inputs)] if driver else case.steps
                out = self.session.outgoing(steps, requests)
                if not out.small or (case and case.multi):  # these wait until every reply is read
                    self._settle(in_flight, graph, outcome, requests)
                    in_flight = None
                if not self.blocked_by:
                    sent = self.session.send((label, concrete, inputs, case), label, steps, out)
            self._settle(in_flight, graph, outcome, requests)
            in_flight = None
            if sent is None or self.blocked_by:
                if sent is not None:
                    self.session.drain(sent)  # sent before the case ahead of it blocked the graph
                outcome.record(label, self.blocked_by)
            elif case and case.multi:  # its next requests need this one's results now
                self._settle(sent, graph, outcome, requests)
            else:
                in_flight = sent
        self._settle(in_flight, graph, outcome, requests)
        self.session.tests.append(TestResult(
            name=f"graph {graph.id}: {graph.title}", number=f"{len(self.session.assignment.nodes) + 1}.{number}",
            max_score=graph.points, visibility=graph.settings.visibility, output=outcome.summary(),
            score=score_for(graph.points, outcome.passed, outcome.total, graph.settings.partial),
            group=f"{graph.id}: {graph.title}", check="graph", passed_cases=outcome.passed, total_cases=outcome.total,
            tags=["graph", graph.id], requests=requests, detail=outcome.detail, not_run_cases=outcome.not_run))

    def _settle(self, sent: "Sent | None", graph: GraphTest, outcome: Outcome, requests: list[int]) -> None:
        """Read and judge one graph case (sending the follow-up requests of a case whose
        expressions need the worker's results first)."""
        if sent is None:
            return
        label, concrete, inputs, case = sent.work
        if self.session.gone(sent):
            outcome.record(label, self.blocked_by or "not run: the worker was restarted")
            return
        details: dict = {}  # the failing comparison, as data for a report's table
        try:
            if sent.error is not None:
                raise sent.error
            results = self.session.collect(sent.pending, sent.steps)
            if case is None:
                problem = judge_student_driver(concrete, self.session.assignment.nodes, inputs, results[0],
                                               graph.settings.tolerance)
            else:
                while (steps := case.take(results)) is not None:
                    results = self.session.run_steps(steps, requests)
                if isinstance(case, ForwardGraphCase):
                    problem = judge_forward_mode(concrete, self.session.assignment.nodes, inputs, case.seeds,
                                                 case.outcome(), graph.settings.tolerance, details)
                else:
                    problem = judge_grader_driver(concrete, self.session.assignment.nodes, inputs, case.outcome(),
                                                  graph.settings.tolerance, details, self.session.shown)
        except WorkerFailure as e:
            outcome.record(label, failure_text(e, f"graph {graph.id}"))
            self.blocked_by = self._after(label, e.kind == "timeout")
            if e.kind != "total":
                self.session.restart(f"graph {graph.id}")
            return
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
            outcome.record(label, f"graph {graph.id}: the worker's reply was malformed ({type(e).__name__})")
            self.blocked_by = self._after(label, False)
            self.session.restart(f"graph {graph.id}")
            return
        outcome.record(label, problem, details or None)
        if problem and "time limit" in problem:
            self.blocked_by = self._after(label, True)

    def _after(self, label: str, hung: bool) -> NotRun:
        """Why the rest of a graph's cases are not run after one of them failed (said there)."""
        if hung:
            return NotRun(f"skipped: an earlier case ({label}) ran past the {self.session.hangs.seconds:g} s time limit")
        return NotRun(f"not run: an earlier case ({label}) failed")

    def _case(self, graph: GraphTest, inputs: dict, example, rng: np.random.Generator):
        """A case on the grader's driver: reverse mode, or forward mode along the inputs'
        tangents (the example's, or drawn)."""
        types = self.session.assignment.nodes
        if graph.forward:
            return ForwardGraphCase(graph, types, inputs, tangents(graph.inputs, inputs, example, rng))
        return GraphCase(graph, types, inputs)

    def _blocked(self, graph: GraphTest, driver: bool) -> str | None:
        if driver:
            for symbol in ("topological_sort", "backward"):
                if symbol in self.session.blocked:
                    return self.session.blocked[symbol]
            return None
        for name in sorted(graph.types):
            if name in self.session.blocked:
                return self.session.hangs.skipped(name, "this graph") or \
                    f"this graph uses {name}: {self.session.blocked[name]}"
        return None


def graph_cases(graph: GraphTest, assignment: Assignment, rng: np.random.Generator):
    """(label, concrete graph, inputs, example or None) for each case of a graph test."""
    for i in range(graph.settings.cases):
        if graph.random is not None:
            concrete, inputs = draw_graph_case(graph, assignment.nodes, rng)
        else:
            concrete, inputs = graph, draw_case(graph.inputs, graph.settings, rng)
        yield f"case {i + 1}", concrete, inputs, None
    for i, example in enumerate(graph.examples):
        yield f"example {i + 1}", graph, example_case(graph.inputs, graph.settings, example.inputs, rng), example
