"""The state of grading one submission, and its link to the worker: loading the student's
files, sending programs of calls and reading their replies (in order, a pipeline of two:
while the worker runs one request the grader judges the last), and a fresh worker after a
failure. The node tests (``nodetests``) and graph tests (``graphtests``) run through it.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any

from grader.grading.hangs import Hangs
from grader.grading.loading import (absent_summary, absent_symbols, import_failure, unusable, unusable_function,
                                   unusable_node)
from grader.grading.submission import Submission
from grader.report.results import TestResult
from grader.sandbox.channel import Outgoing, WorkerFailure
from grader.sandbox.host import Sandbox
from grader.sandbox.protocol import calls_in
from grader.spec.model import Assignment


def case_seed(base: int, title: str, visibility: str) -> int:
    """Visible tests draw the same cases for everyone (what students see locally is what
    Gradescope runs); the others draw new cases for every submission."""
    key = title if visibility == "visible" else f"{base}:{title}"
    return zlib.crc32(key.encode())


class Session:
    """One grading run: the worker, what loaded, what cannot be called, and the results so far."""

    def __init__(self, assignment: Assignment, submission: Submission, sandbox: Sandbox, seed: int,
                 visible_only: bool):
        self.assignment, self.submission, self.sandbox = assignment, submission, sandbox
        self.seed, self.visible_only = seed, visible_only
        self.tests: list[TestResult] = []
        self.messages: list[str] = list(submission.notes)
        self.blocked: dict[str, str] = {}  # symbol -> why it cannot be called
        self.absent: dict[str, list[str]] = {}  # node -> what of it the student's file does not define
        self.timings = {"worker_start": 0.0, "student_calls": 0.0, "worker_calls": 0, "calls": 0}
        self.agreement: dict[str, list[float]] = {}  # per node: how closely passing gradients matched
        self.hangs = Hangs(float(sandbox.limits["call_seconds"]))  # calls that ran past the time limit
        self.shown: dict[str, str] = {}  # an error said in full -> the test that says it (the others point there)

    def load(self, meanwhile=None) -> None:
        """Start the worker and import the student files; ``meanwhile`` is the grader's own
        work, done while the worker starts."""
        for name in self.submission.missing:
            self.messages.append(f"{name} was not found in your submission.")
        nodes = [n for n in self.assignment.nodes.values() if not n.provided]
        symbols = {symbol: n.file for n in nodes for symbol in n.convention.symbols()}
        driver = {}
        if self.assignment.driver_file:
            driver = {"topological_sort": self.assignment.driver_file, "backward": self.assignment.driver_file}
        symbols.update(driver)
        jacobian = self.assignment.jacobian
        if jacobian is not None:
            symbols[jacobian.function] = jacobian.file
        self.symbols = [n.name for n in nodes] + list(driver) + ([jacobian.function] if jacobian else [])
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
            why = failure_text(e, "importing your files")
            loaded = {"files": {f: {"kind": "failure", "message": why} for f in self.submission.found},
                      "symbols": {}}
        self.failed_files = {file for file, error in loaded["files"].items() if error}
        for file, error in loaded["files"].items():
            if error and file in self.assignment.files:
                self.messages.append(import_failure(file, error, files=[*self.assignment.files, *self.assignment.provided]))
        for node in nodes:
            why = unusable_node(node, loaded, self.submission)
            if why:
                self.blocked[node.name] = why
            lacking = absent_symbols(node, loaded, self.submission)
            if lacking:
                self.absent[node.name] = lacking
        self.messages += absent_summary(nodes, self.absent)
        for symbol, file in driver.items():
            why = unusable(symbol, file, loaded, self.submission)
            if why:
                self.blocked[symbol] = why
        if jacobian is not None:
            why = unusable_function(jacobian.function, jacobian.file, ["f", "x"], loaded, self.submission)
            if why:
                self.blocked[jacobian.function] = why

    def fresh_worker(self) -> None:
        """A fresh copy of the worker for the next node type: whatever the last one's code
        did to its process (patched numpy, forged replies, stray threads) stays with it."""
        try:
            self.sandbox.isolate()
        except WorkerFailure:
            pass  # the next request restarts the worker

    def send(self, work: Any, label: str, steps: list[dict], out: Outgoing) -> "Sent":
        """Send a request without waiting; a worker that fails to take it is recorded too."""
        try:
            return Sent(work, label, steps, self.sandbox.send(out), None)
        except WorkerFailure as e:
            return Sent(work, label, steps, None, e)

    def run_steps(self, steps: list[dict], requests: list[int]) -> list[dict]:
        """Send these steps and wait for their results (no pipelining)."""
        return self.collect(self.request(steps, requests), steps)

    def request(self, steps: list[dict], requests: list[int]):
        return self.sandbox.send(self.outgoing(steps, requests))

    def outgoing(self, steps: list[dict], requests: list[int]) -> Outgoing:
        """A run request for these steps; ``requests`` collects the request ids of one test,
        under which what its calls print is filed."""
        calls = sum(calls_in(s) for s in steps)
        self.timings["calls"] += calls
        out = self.sandbox.outgoing({"op": "run", "steps": steps}, calls=calls)
        requests.append(out.id)
        return out

    def collect(self, pending, steps: list[dict]) -> list[dict]:
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

    def drain(self, sent: "Sent") -> None:
        """Read (and drop) the reply to a request that turned out not to be needed, so the
        channel stays in step; nothing to read if the worker it went to is gone."""
        if sent.pending is not None and not self.gone(sent):
            try:
                self.collect(sent.pending, sent.steps)
            except WorkerFailure as e:
                if e.kind != "total":
                    self.restart("a test that was not needed")  # a fresh worker for what follows

    def gone(self, sent: "Sent") -> bool:
        """The worker this request went to was ended since: no reply will come."""
        return sent.pending is not None and not self.sandbox.answers(sent.pending)

    def failed(self, e: WorkerFailure, symbol: str, why: str, test: str | None = None) -> None:
        """After a breach by ``symbol``'s code (in ``test``): a time-out is on record as the
        one that ended the worker, ``symbol`` is not called again (its later tests say why:
        a call of it hung, or ``why``), and a fresh worker takes over."""
        if e.kind == "timeout" and test is not None:
            self.hangs.killed(symbol, test)
        self.blocked[symbol] = self.hangs.skipped(symbol) or f"{why} (so its remaining tests were not run)"
        if e.kind != "total":
            self.restart(symbol)

    def tested(self, symbol: str) -> None:
        """After a test of ``symbol``: if one of its calls hung, its later tests are skipped."""
        skipped = self.hangs.skipped(symbol)
        if skipped:
            self.blocked[symbol] = skipped

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
                why = failure_text(e, after)
        if broken:
            self.sandbox.kill()
            for symbol in self.symbols:
                self.blocked.setdefault(symbol, why)


@dataclass
class Sent:
    """A node test or graph case whose program went to the worker (or failed to)."""

    work: Any  # the NodeTestRun, or (label, graph, inputs, GraphCase or None)
    label: str
    steps: list[dict]
    pending: Any
    error: WorkerFailure | None
    replies: list[dict] | None = None  # read already, to be judged later


def failure_text(e: WorkerFailure, what: str) -> str:
    """What a student reads when the worker failed while running ``what``."""
    if e.kind == "total":
        return f"not run: {e.message}"
    if e.kind == "memory":
        return f"{what} {e.message}"
    if e.kind == "timeout":
        return f"{what} ran past the time limit; is there an endless loop?"
    if e.kind == "crash":
        return f"{what} crashed the grader's worker process (did your code call exit, or run out of memory?)"
    return f"{what} broke the grader's worker: {e.message}"
