"""Time-outs said once: the call that hung is named where it happened (which method, on
which test and case), and every call not made because of it says so in one line.

After a call of a student class or function runs past the per-call limit, the worker refuses
every later call of it, and answers those with a time-out too. Replies are judged in the
order they ran, so the first time-out of a node judged is the call that hung; any later one
was refused ("skipped: an earlier call of Mul.backward ran past the 2 s time limit (case 1 of
"Mul: scalars (backward)")"). The node's later tests are skipped for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.grading.outcome import NotRun


@dataclass
class Hang:
    """A call that did not finish: which, and the test (and case) whose result shows it."""

    call: str
    seconds: float
    test: str
    case: str | None = None

    def skipped(self, uses: str = "") -> NotRun:
        """What a call that was not made because of this one says (``uses``: why it was
        needed, as "this graph uses Mul", when it is not the same node's)."""
        where = f'{self.case} of "{self.test}"' if self.case else f'"{self.test}"'
        why = f"an earlier call of {self.call} ran past the {self.seconds:g} s time limit ({where})"
        return NotRun(f"skipped: {uses}, and {why}" if uses else f"skipped: {why}")


class Hangs:
    """The call that hung, per node, in one grading session."""

    def __init__(self, seconds: float):
        self.seconds = seconds  # the per-call limit
        self.found: dict[str, tuple[Hang, dict | None]] = {}  # node -> the hang, and its reply's error

    def said(self, node: str, error: dict, test: str, case: str, inputs: str | None) -> str:
        """What a time-out reply of ``node``'s code says: the hang in full, naming the call,
        the case and (when short) its inputs, the first time; after that, that it was skipped."""
        known = self.found.get(node)
        if known is None:
            known = self.found[node] = (Hang(str(error.get("where") or node), self.seconds, test, case), error)
        elif known[1] is not error:
            return known[0].skipped()
        at = f" ({inputs})" if inputs else ""
        return f"{known[0].call} ran past the {self.seconds:g} s time limit on {case}{at}: is there an endless loop?"

    def killed(self, node: str, test: str) -> None:
        """The worker was ended under a test of ``node`` (its code ignored the time limit):
        which call is not known, only the test."""
        self.found.setdefault(node, (Hang(node, self.seconds, test), None))

    def skipped(self, node: str, user: str = "") -> NotRun | None:
        """Why ``node``'s later tests (or ``user``, a graph that uses it) are not run, if one
        of its calls hung."""
        known = self.found.get(node)
        return known[0].skipped(f"{user} uses {node}" if user else "") if known else None
