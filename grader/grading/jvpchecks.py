"""The checks of a forward-mode node test (a ``jvp`` node), run on student code in the worker
and judged here, as ``checks`` does for backward.

Per case: forward against the reference; jvp against the reference engine's JVP along random
tangents (one per input; an example may give its own); jvp against central differences of
the student's own forward along those tangents (``jvpnumeric``); inputs and tangents left
unmodified; and two instances used at once (both forwards, then both jvps). A wrong tangent
is explained by the mistakes that give exactly that answer: the derivative not multiplied by
the tangent, an input's term left out, tangents paired with the wrong inputs, a reversed
condition (of a branch the reference has), a power of x off by one.
"""

from __future__ import annotations


import numpy as np

from grader.grading import jvpnumeric, nodecalls
from grader.grading.cases import Case, show_inputs
from grader.grading.checks import NodeTestRun
from grader.grading.diagnose import allclose, fmt
from grader.grading.outcome import NotRun
from grader.grading.pairs import close
from grader.spec.forwardmode import tangents
from grader.spec.reference import example_result, node_jvp

CHECK_NAMES = {"jvp": "jvp", "numeric": "jvp vs. finite differences"}


class JvpTestRun(NodeTestRun):
    """Plans the worker programs of one test of a jvp node and judges their replies."""

    names = CHECK_NAMES

    def prepare(self, probe: list[dict]) -> None:
        """Each case's tangents (its example's, or drawn) and what the reference says; without
        a reference (a public spec that left it out), what its example says of the output."""
        for i, case in enumerate(self.cases):
            case.tangents = tangents(self.test.inputs, case.inputs, case.example, self.rng)
            if self.node.reference is not None:
                case.expected = node_jvp(self.node, self.test.attributes, case.inputs, case.tangents)
            elif (shape := self._shape(case, probe, i)) is not None:
                case.expected = example_result(case.example, case.inputs, shape)

    def _jvp_step(self, handle: int, case: Case) -> dict:
        return nodecalls.jvp(self.node, handle, [case.tangents[name] for name in case.inputs])

    def main_program(self) -> list[dict]:
        """Per case: one instance's forward then jvp; the finite-difference forwards along the
        tangents; two more instances, both forwards before both jvps."""
        steps = []
        for i, case in enumerate(self.cases):
            steps += [self._new(3 * i), self._forward_step(3 * i, case), self._jvp_step(3 * i, case)]
            if "numeric" in self.points:
                case.replies["plan"] = jvpnumeric.plan(case)
                steps.append(nodecalls.forward_many(self.node, self.test.attributes, 3 * i, case.replies["plan"]))
            if self.pairs:
                other = self.cases[(i + 1) % len(self.cases)]
                steps += [self._new(3 * i + 1), self._new(3 * i + 2),
                          self._forward_step(3 * i + 1, case), self._forward_step(3 * i + 2, other),
                          self._jvp_step(3 * i + 1, case), self._jvp_step(3 * i + 2, other)]
        return steps

    def take_main(self, replies: list[dict]) -> None:
        it = iter(replies)
        for case in self.cases:
            case.replies["new"], case.replies["forward"], case.replies["jvp"] = next(it), next(it), next(it)
            if "plan" in case.replies:
                case.replies["many"] = next(it)
            if self.pairs:
                case.replies["pair"] = [next(it) for _ in range(6)]

    # -- judging -----------------------------------------------------------------------------------

    def check_jvp(self, case: Case, i: int) -> str | None:
        problem = self._failed(case, "new", "forward", "jvp")
        if problem:
            return problem
        got, want = case.replies["jvp"]["ok"]["tangent"], case.expected.tangent
        tol = self.test.settings.tolerance
        if np.shape(got) == np.shape(want) and allclose(np.asarray(got, dtype=np.float64), want, tol.rtol, tol.atol):
            scale = float(np.max(np.abs(want), initial=0.0))
            if scale > 0:
                self.agreement.append(float(np.max(np.abs(got - want))) / scale)
            return None
        call = self.node.convention.call("jvp")
        problem = self._compare(got, want, f"the tangent {call} returned", case, self._mistakes(case),
                                self._regions(case, None, "jvp"))
        if problem and all(np.size(v) <= 8 for v in case.arrays.values()):
            shown = ", ".join(f"{n}_dot = {fmt(t)}" for n, t in case.tangents.items())
            problem += f" (at {show_inputs(case)}, {shown})"
        return problem

    def _mistakes(self, case: Case) -> dict[str, np.ndarray]:
        """Known wrong tangents at this case, by the mistake that gives each."""
        names, t = list(case.tangents), case.tangents
        jvp = lambda given: node_jvp(self.node, self.test.attributes, case.inputs, given).tangent
        ones = {n: np.ones(np.shape(v)) for n, v in t.items()}
        if len(names) == 1:
            (name,) = names
            out = {f"it is the derivative, not the derivative times the tangent: multiply it by {name}_dot": jvp(ones)}
            want = case.expected.tangent
            x = case.inputs[name]
            for where, otherwise in self._regions(case, None, "jvp").sides()[:1]:  # a branch of the reference
                out[f"it is {name}_dot minus the right tangent: is a condition reversed ({where} and "
                    f"{otherwise})?"] = t[name] - want
            if np.shape(x) == np.shape(want):
                out[f"it is {name} times the right tangent: is a power of {name} one too high?"] = x * want
                with np.errstate(all="ignore"):
                    out[f"it is the right tangent divided by {name}: is a power of {name} one too low?"] = want / x
            return out
        out = {}
        for name in names:
            out[f"it leaves out {name}'s term: the tangent adds up every input's term, "
                f"∂out/∂{name} · {name}_dot included"] = jvp({**t, name: np.zeros(np.shape(t[name]))})
            out[f"{name}'s term is not multiplied by {name}_dot"] = jvp({**t, name: ones[name]})
        if len(names) == 2 and np.shape(t[names[0]]) == np.shape(t[names[1]]):
            a, b = names
            out[f"it pairs each input's derivative with the other's tangent: ∂out/∂{a} goes with {a}_dot, "
                f"∂out/∂{b} with {b}_dot"] = jvp({a: t[b], b: t[a]})
        return out

    def check_numeric(self, case: Case, i: int) -> str | None:
        problem = self._failed(case, "new", "forward", "jvp", "many")
        if problem:
            return problem
        name = ", ".join(f"{n}_dot" for n in case.tangents)
        return jvpnumeric.judge(self.node, self.test.attributes, case, f"{self.node.convention.call('jvp')}'s tangent "
                                f"along {name}")

    def check_no_mutation(self, case: Case, i: int) -> str | None:
        problem = self._failed(case, "new", "forward", "jvp")
        if problem:
            return problem
        problem = self._inputs_modified(case, ("forward", "jvp"))
        if problem:
            return problem
        names = list(case.inputs)
        modified = [k for k in case.replies["jvp"]["ok"]["tangents_modified"] if 0 <= k < len(names)]
        if modified:
            return f"jvp modified its tangent {names[modified[0]]}_dot in place; compute a new array instead"
        return None

    def check_independence(self, case: Case, i: int) -> str | None:
        """Two instances alive at once must give what one instance alone gives."""
        pair = case.replies.get("pair")
        if pair is None:
            return "not run"
        problem = self._failed(case, "new", "forward", "jvp")
        if problem:
            return problem  # one instance alone fails: nothing to compare two instances with
        other = self.cases[(i + 1) % len(self.cases)]
        alone = [(case.replies["forward"], case.replies["jvp"]), (other.replies["forward"], other.replies["jvp"])]
        together = [(pair[2], pair[4]), (pair[3], pair[5])]
        for (fwd1, jvp1), (fwd2, jvp2) in zip(alone, together):
            if "ok" not in fwd1 or "ok" not in jvp1:
                continue  # the other case fails alone; its own checks say why
            for reply in (pair[0], pair[1], fwd2, jvp2):
                if "error" in reply:
                    said = self._error(case, reply["error"])
                    return said if isinstance(said, NotRun) else (
                        f"with two {self.node.name} instances alive, {said}; "
                        "one instance alone works: keep state on self, not on the class")
            tol = self.test.settings.tolerance
            if not (close(fwd1["ok"]["out"], fwd2["ok"]["out"], tol) and
                    close(jvp1["ok"]["tangent"], jvp2["ok"]["tangent"], tol)):
                return (f"with two {self.node.name} instances alive (both forwards, then both jvps), a jvp "
                        "used the other instance's forward: keep what jvp needs on self, not on the class or "
                        "in globals")
        return None
