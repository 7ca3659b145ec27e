"""The checks of one node test, run on student code in the worker and judged here.

Per case: forward against the reference; backward against the reference VJP for a random
upstream gradient; backward against central differences of the student's own forward
(``numeric``); inputs and grad_output left unmodified; and two instances used at once (both
forwards, then both backwards); what forward left in a dict of settings (``state``,
``statecheck``); a random node's mask (``random``, ``randomcheck``: its expected values wait
for the mask read off the student's output). Range tests compare outputs and gradients at large inputs
too (``rangecheck``). A node without a reference is compared with its examples' outputs and
gradients; its random cases have nothing to compare with, so forward and backward do not
count them (unless they give NaN or inf). So is a node whose reference a public spec left out
(``show_reference: false``), whose other checks, and a random node's mask, run as ever.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from grader.grading import nodecalls, numeric, pairs, randomcheck, statecheck
from grader.grading.agreement import agreement
from grader.grading.diagnose import compare, failing_case, fmt, gradients_summary
from grader.grading.cases import Case, show_inputs
from grader.grading.hangs import Hangs
from grader.grading.outcome import NotCompared, NotRun, Outcome, error_text, not_run
from grader.grading.rangecheck import judge_range
from grader.grading.regions import Branches, Regions
from grader.grading.replays import Replays
from grader.spec.reference import Result, example_result, is_random, node_result
from grader.spec.model import NodeTest, NodeType

NO_REFERENCE = NotCompared("random cases, with no reference to compare with")
NO_OUTPUT = NotCompared("examples that give no output")
NO_GRADS = NotCompared("examples that give no gradients")
CHECK_NAMES = {"forward": "forward", "backward": "backward", "numeric": "backward vs. finite differences",
               "no_mutation": "inputs left unmodified", "independence": "two instances at once",
               "range": "right at large inputs"}


class NodeTestRun:
    """Plans the worker programs of one node test and judges their replies."""

    names: dict[str, str] = {}  # how a check is named in results, where not as CHECK_NAMES has it

    def __init__(self, node: NodeType, test: NodeTest, cases: list[Case], rng: np.random.Generator):
        self.node, self.test, self.cases, self.rng = node, test, cases, rng
        self.points = {c: p for c, p in test.points.items() if p > 0}
        self.arity = len(node.inputs)
        self.graded = [i for i, inp in enumerate(test.inputs) if inp.graded]
        self.pairs = self.points.get("independence", 0) > 0
        self.details: dict[str, dict] = {}  # the failing comparisons of the check being judged
        self.requests: list[int] = []  # the worker requests this test used (for its printed output)
        self.agreement: list[float] = []  # how closely each passing backward matched (see precision_note)
        self.upstream = "dout" if node.convention.kind in ("functions", "static") else "grad_output"
        self.judging = ""  # the check being judged
        self.hangs = Hangs(10.0)  # calls that ran past the time limit (NodeTests gives the session's)
        self.errors_shown: dict[str, str] = {}  # errors said in full, and where (NodeTests gives the session's)

    @property
    def checks(self) -> list[str]:
        """The checks this test judges."""
        return list(self.points) if self.test.kind == "node" else ["range"]

    def title(self, check: str) -> str:
        """How the result of one of its checks is named: "Mul: scalars (backward)"."""
        return f"{self.test.node}: {self.test.name} ({self.names.get(check) or CHECK_NAMES.get(check, check)})"

    # -- the programs ----------------------------------------------------------------------------

    def _new(self, handle: int) -> dict:
        return nodecalls.new(self.node, self.test.attributes, handle)

    def _forward_step(self, handle: int, case: Case, inputs: dict | None = None) -> dict:
        values = (inputs or case.inputs).values()
        return nodecalls.forward(self.node, handle, [{"$param": v} if isinstance(v, dict) else v for v in values])

    def _backward_step(self, handle: int, case: Case) -> dict:
        return nodecalls.backward(self.node, handle, case.grad_output)

    def probe_program(self) -> list[dict]:
        """Without a reference, the output's shape (for grad_output) comes from a forward of
        the student's own, on throwaway instances."""
        if self.node.reference is not None:
            return []
        return [step for i, case in enumerate(self.cases)
                for step in (self._new(-1 - i), self._forward_step(-1 - i, case))]

    def prepare(self, probe: list[dict]) -> None:
        """Draw each case's upstream gradient and compute what the reference expects; without
        a reference, what the case's example says (its gradients are for an all-ones upstream
        gradient, so that is the one backward gets)."""
        for i, case in enumerate(self.cases):
            plain = node_result(self.node, self.test.attributes, case.inputs) if self.node.reference is not None else None
            shape = self._shape(case, probe, i, plain)
            if shape is None:
                continue
            case.random = is_random(self.node, case.inputs)  # without a reference its mask is checked all the same
            if self.node.reference is None:
                case.expected = example_result(case.example, case.inputs, shape)
                ones = case.expected is not None and bool(case.expected.grads)
                case.grad_output = np.ones(shape) if ones else self._upstream(shape)
                continue
            case.grad_output = self._upstream(shape)
            if case.random:
                continue  # the reference needs the mask the student's forward draws: see _settle
            case.expected = node_result(self.node, self.test.attributes, case.inputs, case.grad_output)
            case.ignores_upstream = plain  # the reference for an all-ones upstream gradient
            for k, name in enumerate(self.node.outputs):  # a backward that leaves out one output's upstream
                upstream = [np.zeros_like(g) if j == k else g for j, g in enumerate(case.grad_output)]
                case.ignores_output[name] = node_result(self.node, self.test.attributes, case.inputs, upstream)

    def _shape(self, case: Case, probe: list[dict], i: int, plain: Result | None = None):
        """The output's shape in case ``i`` (a list of them for several outputs): the
        reference's (``plain``, its result for this case if already computed), or without one,
        that of the student's own forward in the probe (None when it failed)."""
        if self.node.reference is not None:
            output = (plain or node_result(self.node, self.test.attributes, case.inputs)).output
        elif "ok" in probe[2 * i + 1]:
            output = probe[2 * i + 1]["ok"]["out"]
        else:
            return None
        return [np.shape(o) for o in output] if isinstance(output, list) else np.shape(output)

    def _upstream(self, shape):
        """A random upstream gradient of that shape (a list of them for several outputs)."""
        return [self.rng.normal(size=s) for s in shape] if isinstance(shape, list) else self.rng.normal(size=shape)

    def main_program(self) -> list[dict]:
        """Per case: one instance's forward then backward; the finite-difference forwards;
        two more instances, both forwards before both backwards."""
        steps = []
        for i, case in enumerate(self.cases):
            steps += [self._new(3 * i), self._forward_step(3 * i, case), self._backward_step(3 * i, case)]
            if "numeric" in self.points and self.test.kind == "node":
                case.replies["plan"] = numeric.plan(case.inputs, self.graded, self.rng)
                steps.append(nodecalls.forward_many(self.node, self.test.attributes, 3 * i, case.replies["plan"]))
            if case.random and "random" in self.points:
                extra = self._random_steps(i, case)
                case.replies["extra"] = ("again", "reseeded")[:len(extra) // 2]
                steps += extra
            if self.pairs:
                other = self.cases[(i + 1) % len(self.cases)]
                steps += [self._new(3 * i + 1), self._new(3 * i + 2),
                          self._forward_step(3 * i + 1, case), self._forward_step(3 * i + 2, other),
                          self._backward_step(3 * i + 1, case), self._backward_step(3 * i + 2, other)]
        return steps

    def _random_steps(self, i: int, case: Case) -> list[dict]:
        """A random case's forward again on a new instance, with the same seed and with another."""
        handle, settings = 3 * len(self.cases) + 2 * i, case.inputs[self.node.random.param]
        steps = [self._new(handle), self._forward_step(handle, case)]
        seed = self.node.random.seed
        if seed is not None and isinstance(settings.get(seed), int):
            other = {**case.inputs, self.node.random.param: {**settings, seed: settings[seed] + 1}}
            steps += [self._new(handle + 1), self._forward_step(handle + 1, case, other)]
        return steps

    def take_main(self, replies: list[dict]) -> None:
        it = iter(replies)
        for case in self.cases:
            case.replies["new"], case.replies["forward"], case.replies["backward"] = next(it), next(it), next(it)
            if "plan" in case.replies:
                case.replies["many"] = next(it)
            for key in case.replies.get("extra", ()):
                next(it)  # the new instance
                case.replies[key] = next(it)
            if self.pairs:
                case.replies["pair"] = [next(it) for _ in range(6)]

    # -- judging -----------------------------------------------------------------------------------

    def judge(self) -> dict[str, Outcome]:
        """Every check with points, over every case."""
        if self.test.kind == "range":
            outcome, self.judging = Outcome("range"), "range"
            for case in self.cases:
                outcome.record(case.label, self.check_range(case))
            return {"range": outcome}
        outcomes = {c: Outcome(c) for c in self.points}
        for case in self.cases:
            self._settle(case)
        for i, case in enumerate(self.cases):
            for check, outcome in outcomes.items():
                self.details, self.judging = {}, check
                problem = getattr(self, "check_" + check)(case, i)
                outcome.record(case.label, problem, next(iter(self.details.values()), None))
        return outcomes

    def _settle(self, case: Case) -> None:
        """A random case's expected values, given the mask read off the student's output
        (without a reference, the mask alone: the random check needs no more)."""
        if not case.random or case.expected is not None or case.mask is not None:
            return
        reply = case.replies.get("forward", {}).get("ok")
        x = case.inputs[self.node.random.input]
        case.mask = randomcheck.infer_mask(reply["out"] if reply else None, x)
        if self.node.reference is None:
            return
        mask = case.mask if case.mask is not None else np.ones(x.shape)
        case.expected = node_result(self.node, self.test.attributes, case.inputs, case.grad_output, mask)
        case.ignores_upstream = node_result(self.node, self.test.attributes, case.inputs, mask=mask)

    def _failed(self, case: Case, *keys: str) -> str | None:
        """Why these calls of a case (in the order they ran) cannot be judged: the first that
        failed, said in full by the first check that reads it, and in one line pointing there
        by the others; a call not made after an earlier one hung says so (``hangs``)."""
        for key in keys:
            reply = case.replies.get(key)
            if reply is None:
                return "not run"
            if "error" not in reply:
                continue
            if key in case.shown:
                return not_run(self.node.convention.call(key), reply["error"], case.shown[key])
            said = self._error(case, reply["error"])
            if not isinstance(said, NotRun):
                case.shown[key] = self.title(self.judging)
                self.errors_shown.setdefault(said, case.shown[key])
            return said
        return None

    def _error(self, case: Case, error: dict) -> str:
        """A failed call of this case in full; a time-out as ``hangs`` says it."""
        if error.get("kind") != "timeout":
            return error_text(error)
        small = all(np.size(v) <= 8 for v in case.arrays.values())
        return self.hangs.said(self.node.name, error, self.title(self.judging), case.label,
                               show_inputs(case) if small else None)

    def _replays(self, case: Case) -> Replays:
        case.replays = case.replays or Replays(self.node, self.test.attributes, case.inputs, case.grad_output,
                                               case.mask, self.test.settings.tolerance)
        return case.replays

    def _regions(self, case: Case, of: str | None, phase: str) -> Regions:
        """The reference's branches at this case as they concern input ``of``'s gradient (None:
        the output), which the student's ``phase`` call computed."""
        case.branches = case.branches or Branches(self.node, self.test.attributes, case.inputs, case.mask)
        return case.branches.of(of, phase)

    def _compare(self, got, want, what: str, case: Case, alternatives=None,
                 regions: "Regions | Callable[[], Regions] | None" = None) -> str | None:
        tol = self.test.settings.tolerance
        problem = compare(got, want, what=what, rtol=tol.rtol, atol=tol.atol, inputs=case.arrays,
                          factors=case.dims, alternatives=alternatives or {}, attributes=self.test.attributes,
                          regions=regions)
        if problem:  # the first failing comparison of the check, as data for the report's table
            self.details.setdefault(what, failing_case(case.arrays, what, got, want))
        return problem

    def check_forward(self, case: Case, i: int) -> str | None:
        problem = self._failed(case, "new", "forward")
        if problem:
            return problem
        out = case.replies["forward"]["ok"]["out"]
        if case.expected is None or case.expected.output is None:
            if not np.all(np.isfinite(out)):
                return "forward's output contains NaN or inf"
            return NO_REFERENCE if case.example is None else NO_OUTPUT
        if self.node.outputs:  # several outputs: each compared, named
            problem = next((p for got, want, name in zip(out, case.expected.output, self.node.outputs)
                            if (p := self._compare(got, want, f"the output {name}", case))), None)
        else:
            problem = self._compare(out, case.expected.output, "the output", case,
                                    regions=lambda: self._regions(case, None, "forward"))
            problem = problem and self._replays(case).output(problem, out, case.expected.output)
        return f"{problem} (inputs {show_inputs(case)})" if problem else None

    def _grads(self, reply: dict) -> list:
        return reply["ok"]["grads"]

    def check_backward(self, case: Case, i: int) -> str | None:
        problem = self._failed(case, "new", "forward", "backward")
        if problem:
            return problem
        grads = self._grads(case.replies["backward"])
        if case.expected is None or not case.expected.grads:
            if not all(g is None or np.all(np.isfinite(g)) for g in grads):
                return "backward's gradients contain NaN or inf"
            return NO_REFERENCE if case.example is None else NO_GRADS
        if any(i.graded for i in self.test.inputs) and all(g is None for i, g in zip(self.test.inputs, grads) if i.graded):
            return f"{self.node.convention.call('backward')} returned None: did you forget to return the gradients?"
        problem = self._judge_grads(grads, case, case.expected)
        if problem is None:
            self.agreement.append(agreement(grads, self.test.inputs, case.expected))
        upstream = case.grad_output if isinstance(case.grad_output, list) else [case.grad_output]
        if problem and all(np.size(v) <= 8 for v in [*case.arrays.values(), *upstream]):
            names = [f"d{n}" for n in self.node.outputs] or [self.upstream]
            shown = ", ".join(f"{n} = {fmt(g)}" for n, g in zip(names, upstream))
            problem += f" (at {show_inputs(case)}, {shown})"
        return problem

    def _judge_grads(self, grads: list, case: Case, expected: Result) -> str | None:
        wrong, right = [], []
        for inp, g in zip(self.test.inputs, grads):
            if not inp.graded:
                continue
            what = f"d{inp.name}"
            if inp.name not in expected.grads:
                continue  # an example that gives only some gradients
            if g is None:
                wrong.append(f"{what} is None, but {inp.name} needs a gradient")
                continue
            alternatives = {}
            if case.ignores_upstream is not None:
                alternatives[f"it ignores {self.upstream} (multiply by the upstream gradient)"] = \
                    case.ignores_upstream.grads[inp.name]
            for name, result in case.ignores_output.items():
                alternatives[f"it leaves out d{name}, the upstream gradient of {name}"] = result.grads[inp.name]
            problem = self._compare(g, expected.grads[inp.name], what, case, alternatives,
                                    lambda: self._regions(case, inp.name, "backward"))
            problem = problem and self._replays(case).gradient(problem, inp.name, g, expected.grads[inp.name])
            (wrong if problem else right).append(problem or what)
        return gradients_summary(wrong, right) if wrong else None

    def check_numeric(self, case: Case, i: int) -> str | None:
        problem = self._failed(case, "new", "forward", "backward", "many")
        if problem:
            return problem
        if case.random and not self._seeded(case):
            return randomcheck.NO_SEED
        if self._unrepeatable(case):
            return self._unrepeatable(case)
        return numeric.judge(self.node, self.test.attributes, [inp.name for inp in self.test.inputs], case)

    def check_no_mutation(self, case: Case, i: int) -> str | None:
        problem = self._failed(case, "new", "forward", "backward")
        if problem:
            return problem
        problem = self._inputs_modified(case, ("forward", "backward"))
        if problem:
            return problem
        if case.replies["backward"]["ok"]["grad_modified"]:
            return f"backward modified {self.upstream} in place; compute a new array instead"
        return statecheck.changed_settings(self.test.inputs, case.replies["forward"], case.inputs)

    def _inputs_modified(self, case: Case, phases: tuple[str, ...]) -> str | None:
        """The first input one of these calls changed in place, said as a fix."""
        names = list(case.inputs)
        for phase in phases:
            modified = [k for k in case.replies[phase]["ok"]["modified"] if 0 <= k < len(names)]
            if modified:
                return (f"{phase} modified the input {names[modified[0]]} in place (the array forward was "
                        "given); work on a copy (e.g. x = x.copy())")
        return None

    def check_state(self, case: Case, i: int) -> str | None:
        """What forward left in its param dicts' state entries, against the reference."""
        return self._failed(case, "new", "forward") or statecheck.judge_state(
            self.test.inputs, case.replies["forward"], case.inputs, case.expected.settings, self.test.settings.tolerance,
            self._replays(case).state)

    def check_random(self, case: Case, i: int) -> str | None:
        """The mask's kept fraction, and its seed (see ``randomcheck``)."""
        if not case.random:
            return randomcheck.NOT_RANDOM
        problem = self._failed(case, "new", "forward")
        if problem or case.mask is None:
            return problem or "forward's output is not shaped like its input, so no mask can be read off it"
        alpha = randomcheck.FALSE_FAILURE / (2 * sum(c.random for c in self.cases))
        return randomcheck.judge(self.node.random, case.inputs[self.node.random.param], case.mask,
                                 case.inputs[self.node.random.input], case.replies["forward"]["ok"]["out"],
                                 case.replies.get("again"), case.replies.get("reseeded"), alpha)

    def _unrepeatable(self, case: Case) -> str | None:
        """A random case whose forward, called again with the same seed, drew another mask:
        checks that call it more than once cannot compare."""
        again = case.replies.get("again", {}).get("ok")
        if again is None or randomcheck.same(again["out"], case.replies["forward"]["ok"]["out"]):
            return None
        return "forward drew another mask for the same seed, so its calls cannot be compared (see the random check)"

    def _seeded(self, case: Case) -> bool:
        seed = self.node.random.seed
        return seed is not None and case.inputs[self.node.random.param].get(seed) is not None

    def check_independence(self, case: Case, i: int) -> str | None:
        """Two instances alive at once must give what one instance alone gives (``pairs``)."""
        pair = case.replies.get("pair")
        if pair is None:
            return "not run"
        if case.random and not self._seeded(case):
            return randomcheck.NO_SEED
        problem = self._failed(case, "new", "forward", "backward") or self._unrepeatable(case)
        if problem:
            return problem  # one instance alone fails: nothing to compare two instances with
        return pairs.judge(self.node, case, self.cases[(i + 1) % len(self.cases)], self.test.settings.tolerance,
                           lambda error: self._error(case, error))

    def check_range(self, case: Case) -> str | None:
        problem = self._failed(case, "new", "forward", "backward")
        if problem:
            return problem
        expected = case.expected
        return judge_range(self.node, self.test.attributes, [i for i in self.test.inputs if i.graded], case.inputs,
                           self.test.settings.tolerance, case.replies["forward"]["ok"]["out"],
                           self._grads(case.replies["backward"]), expected.output if expected else None,
                           expected.grads if expected else {})
