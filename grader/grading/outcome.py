"""How one check did over a test's cases: passed, failed (and why), not run, or not compared.

A case that has nothing to compare with is not counted, and the summary says so: a check
never reports "All cases passed" about cases it did not compare, and one that compared
nothing earns nothing. A case whose call failed where another check shows it in full, or was
not made after an earlier call hung, is not run: it earns nothing (nothing was verified), and
the summary says why in one line, without the error again (one bug, one message).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class NotCompared(str):
    """A check's answer for a case that has nothing to compare with: not counted, and said."""


class NotRun(str):
    """A check's answer for a case it could not run, said as a participle and why ("not run:
    Mul.backward failed (see ...)", "skipped: an earlier call of ..."): counted as failed,
    summed up in one line per reason."""


@dataclass
class Outcome:
    """How one check did over a test's cases."""

    check: str
    passed: int = 0
    total: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (case label, problem)
    skipped: dict[str, int] = field(default_factory=dict)  # why a case was not compared: how many
    absent: str | None = None  # what the student has not written yet, which this check needs
    detail: dict | None = None  # the first failing case as data (see diagnose.failing_case)

    def record(self, label: str, problem: str | None, detail: dict | None = None) -> None:
        if isinstance(problem, NotCompared):
            self.skipped[problem] = self.skipped.get(problem, 0) + 1
            return
        self.total += 1
        if problem is None:
            self.passed += 1
        else:
            self.failures.append((label, problem))
            if self.detail is None and detail is not None:
                self.detail = {"case": label, **detail}

    def summary(self, shown: int = 2) -> str:
        """Empty when every case passed and each was compared; what was not compared when
        some were not (never "all passed" for a check that compared nothing); what is not
        written yet, when that is why nothing ran; else the count and the first problems
        (once each)."""
        if self.absent is not None and not self.passed:
            return f"Not graded yet: {self.absent}."
        not_compared = "; ".join(f"{why} ({n})" for why, n in self.skipped.items())
        if not self.total and not_compared:
            return f"Nothing was compared: {not_compared}."
        if self.total and self.passed == self.total:
            compared = "The one compared case" if self.total == 1 else f"All {self.total} compared cases"
            return f"{compared} passed (not compared: {not_compared})." if not_compared else ""
        failed = [(label, p) for label, p in self.failures if not isinstance(p, NotRun)]
        lines = _failed_lines(failed, self.total, shown) if failed else []
        for why, count in Counter(p for _, p in self.failures if isinstance(p, NotRun)).items():
            lines.append(why[:1].upper() + why[1:] if count == self.total else f"{count} of {self.total} cases {why}")
        return "\n".join(lines)

    @property
    def not_run(self) -> int:
        """How many cases were not run (see ``NotRun``)."""
        return sum(isinstance(p, NotRun) for _, p in self.failures)


def _failed_lines(failed: list[tuple[str, str]], total: int, shown: int) -> list[str]:
    """The cases that failed: the count and the problem when it is one, else the first few."""
    head = f"{len(failed)} of {total} cases failed"
    problems = list(dict.fromkeys(p for _, p in failed))
    if len(problems) == 1:
        return [f"{head}: {problems[0]}"]
    lines = [f"{head}."] + [f"{label}: {p}" for label, p in failed[:shown]]
    if len(failed) > shown:
        lines.append(f"(and {len(failed) - shown} more)")
    return lines


def not_run(call: str, error: dict, shown: str) -> NotRun:
    """What a check says of a case whose ``call`` failed, as the result named ``shown`` says in full."""
    kind = error.get("kind")
    why = {"not_implemented": f"{call} is not implemented yet", "missing": str(error.get("message", call))}.get(kind)
    return NotRun(f'not run: {why or f"{call} failed"} (see "{shown}")')


def error_text(error: dict) -> str:
    """A student-facing sentence for an error reply from the worker."""
    where = error.get("where", "your code")
    kind = error.get("kind")
    if kind == "timeout":
        return error.get("message", f"{where} ran past the time limit") + "; is there an endless loop?"
    if kind == "not_implemented":
        return f"{where} is not implemented yet (it raises NotImplementedError)"
    if kind == "failure":
        return error["message"]
    if kind in ("missing", "bad_return", "skipped"):
        return f"{where}: {error['message']}" if kind == "bad_return" else error["message"]
    frames = [f for f in error.get("frames") or [] if not str(f).startswith("<")]  # not Python's own (<frozen ...>)
    trace = ("\n      " + "\n      ".join(frames)) if frames else ""
    if kind == "memory":
        limit = error.get("limit_mb")
        bound = f"the limit is {limit} MB per process" if isinstance(limit, int) else "no limit was set"
        return f"{where} ran out of memory ({bound}): {error.get('message', 'MemoryError')}{trace}"
    return f"{where} raised {error.get('message', 'an error')}{trace}"
