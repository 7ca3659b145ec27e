"""Jacobian tests: the student's forward-mode ``jacobian(f, x)``, called in a fresh fork of
the worker with f one of the grader's smooth maps (the worker builds it from the parameters
sent: ``sandbox.maps``), judged here against the reference engine's Jacobian of the same map
(``spec.maps``), which never enters the worker.

Per case: ``jacobian``, the returned array against the reference (shape (len(y), len(x)));
``calls``, exactly len(x) calls of f, forward mode's one per input direction; ``no_mutation``,
x left as it was given. A wrong Jacobian is explained by what f saw: tangents that leave
input directions out, calls at another point than x; a wrong count by the counts that
known mistakes give (one call per output, finite differences, one per entry).
"""

from __future__ import annotations

import numpy as np

from grader.grading.diagnose import compare
from grader.grading.outcome import NotRun, Outcome, error_text, not_run
from grader.grading.session import Session, case_seed, failure_text
from grader.report.results import TestResult, score_for
from grader.sandbox.channel import WorkerFailure
from grader.spec.maps import draw as draw_map, expected as expected_jacobian
from grader.spec.draw import resolve_dims
from grader.spec.model import JacobianSpec, JacobianTest

CHECK_NAMES = {"jacobian": "values", "calls": "exactly len(x) calls of f", "no_mutation": "x left unmodified"}


class JacobianTests:
    """The jacobian tests of one grading session, in one fresh fork of the worker."""

    def __init__(self, session: Session):
        self.session = session

    def run(self, number: int) -> None:
        spec = self.session.assignment.jacobian
        if spec is None:
            return
        tests = [t for t in spec.tests if not (self.session.visible_only and t.settings.visibility != "visible")]
        if tests and spec.function not in self.session.blocked:
            self.session.fresh_worker()
        for index, test in enumerate(tests):
            outcomes = self._test(spec, test)
            results = [self._result(spec, test, check, outcome, f"{number}.{index + 1}.{k + 1}")
                       for k, (check, outcome) in enumerate(outcomes.items())]
            if results:
                results[0].requests = self._requests
            self.session.tests.extend(results)

    def _test(self, spec: JacobianSpec, test: JacobianTest) -> dict[str, Outcome]:
        """Every case of one test: one request, then each check judged per case."""
        rng = np.random.default_rng(case_seed(self.session.seed, f"jacobian: {test.name}", test.settings.visibility))
        cases = [(f"case {i + 1}", draw_map(test.map, resolve_dims(test.settings, rng), rng))
                 for i in range(test.settings.cases)]
        cases += [(f"example {i + 1}", {k: np.asarray(v, dtype=np.float64) for k, v in e.inputs.items()})
                  for i, e in enumerate(test.examples)]
        expected = [expected_jacobian(test.map, inputs)[1] for _, inputs in cases]  # stays here
        outcomes = {check: Outcome(check) for check, points in test.points.items() if points > 0}
        self._requests: list[int] = []
        blocked = self.session.blocked.get(spec.function)
        replies: list[dict] = []
        if not blocked:
            steps = [{"do": "jacobian", "function": spec.function, "map": test.map, "where": spec.function,
                      "x": inputs["x"], "params": {k: v for k, v in inputs.items() if k != "x"}}
                     for _, inputs in cases]
            try:
                replies = self.session.run_steps(steps, self._requests)
            except WorkerFailure as e:
                blocked = failure_text(e, spec.function)
                self.session.failed(e, spec.function, blocked, f"{spec.function}: {test.name}")
        for k, (label, inputs) in enumerate(cases):
            shown = None  # the check that said the call's error in full
            for check, outcome in outcomes.items():
                if blocked:
                    outcome.record(label, blocked)
                    continue
                try:
                    error = replies[k].get("error")
                    if error is None:
                        outcome.record(label, _judge(check, replies[k], inputs, expected[k], test, spec.function))
                        continue
                    said = self._error(spec, test, check, label, error, shown)
                    outcome.record(label, said)
                    if not isinstance(said, NotRun):
                        shown = _title(spec, test, check)
                except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
                    # a reply of the right protocol but the wrong shape: student code tampered with it
                    blocked = f"{spec.function}: the worker's reply was malformed ({type(e).__name__})"
                    self.session.blocked[spec.function] = f"{blocked} (so its remaining tests were not run)"
                    self.session.restart(spec.function)
                    outcome.record(label, blocked)
        self.session.tested(spec.function)
        return outcomes

    def _error(self, spec: JacobianSpec, test: JacobianTest, check: str, label: str, error: dict,
               shown: str | None) -> str:
        """A failed call in full, once per case: the checks after the first point to it."""
        if shown:
            return not_run(spec.function, error, shown)
        if error.get("kind") == "timeout":
            return self.session.hangs.said(spec.function, error, _title(spec, test, check), label, None)
        return error_text(error)

    @staticmethod
    def _result(spec: JacobianSpec, test: JacobianTest, check: str, outcome: Outcome, number: str) -> TestResult:
        points = test.points.get(check, 0)
        return TestResult(
            name=_title(spec, test, check), number=number, max_score=points,
            score=score_for(points, outcome.passed, outcome.total, test.settings.partial),
            visibility=test.settings.visibility, output=outcome.summary(), node=spec.function, group=test.name,
            check=check, passed_cases=outcome.passed, total_cases=outcome.total, not_run_cases=outcome.not_run,
            tags=[spec.function, check])


def _title(spec: JacobianSpec, test: JacobianTest, check: str) -> str:
    return f"{spec.function}: {test.name} ({CHECK_NAMES[check]})"


def _judge(check: str, reply: dict, inputs: dict, expected: np.ndarray, test: JacobianTest, function: str) -> str | None:
    if "error" in reply:
        return error_text(reply["error"])
    ok = reply["ok"]
    n, m = expected.shape[1], expected.shape[0]
    if check == "no_mutation":
        return (f"{function} modified x in place (the array it was given); leave x as it is and vary x_dot"
                if ok["modified"] else None)
    if check == "calls":
        return calls_problem(function, int(ok["calls"]), n, m)
    tol = test.settings.tolerance
    problem = compare(ok["jacobian"], expected, what="the Jacobian", rtol=tol.rtol, atol=tol.atol)
    if problem is None:
        return None
    if "transpose" in problem:
        problem += ": column j is the y_dot of the call with x_dot = e_j (build columns, not rows)"
    return problem + _seed_hint(np.asarray(ok["tangents"], dtype=np.float64), int(ok["calls"]), int(ok["moved"]), n)


def calls_problem(function: str, calls: int, n: int, m: int) -> str | None:
    """What a count of f's calls says, for x of length n and y of length m."""
    if calls == n:
        return None
    times = f"{calls} time{'s' if calls != 1 else ''}"
    text = (f"{function} called f {times}; forward mode needs exactly len(x) = {n} calls, one per input "
            f"direction (x_dot = e_j, 1 at j and 0 elsewhere)")
    if calls == 0:
        return text + ": the Jacobian must come from the tangents f returns"
    if m != n and calls in (m, m + 1):
        return text + f": one call per output (len(y) = {m}) is reverse mode's count, not forward mode's"
    if calls == n + 1:
        return text + ": one too many; a call's y is f(x) whatever x_dot is, so no extra call is needed for y"
    if calls in (2 * n, 2 * n + 1):
        return text + ": two per input looks like finite differences; f's y_dot is the exact derivative along x_dot"
    if calls == n * m and m > 1:
        return text + ": one call per entry; one call's y_dot is a whole column"
    return text


def _seed_hint(tangents: np.ndarray, calls: int, moved: int, n: int) -> str:
    """Why a Jacobian built from these calls could not come out right: f called at another
    point than x, or tangents that leave some input direction out."""
    if moved:
        return (f" (f was called at another point than x in {moved} of {calls} calls: keep x as it is and "
                "vary x_dot)")
    if calls and tangents.ndim == 2 and tangents.shape[1] == n and np.linalg.matrix_rank(tangents) < n:
        shown = np.array2string(tangents[:4], precision=3, separator=", ").replace("\n", "")
        return (f" (the tangents f was called with, {shown}{' ...' if len(tangents) > 4 else ''}, leave some "
                "input direction out: call f once per input j with x_dot = e_j, and column j is its y_dot)")
    return ""
