"""The worker's requests on student code: importing the student's files, then programs of
steps (create an instance, forward, backward or jvp, the finite-difference forwards, a
student's own engine on a graph, a student's jacobian on one of the grader's maps), each
step's outcome a data reply.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np

from grader.sandbox import maps, replies
from grader.sandbox.calltimer import limited
from grader.sandbox.conventions import maker
from grader.sandbox.protocol import directions
from grader.sandbox.replies import StudentError, as_gradients, describe_failure, outputs, to_array
from grader.sandbox.studentengine import Var, given_class


class Worker:
    """Serves requests: load the student files, then run programs of calls on them."""

    def __init__(self) -> None:
        self.symbols: dict[str, Any] = {}
        self.handles: dict[int, Any] = {}
        self.arity: dict[int, int] = {}
        self.output_names: dict[int, list[str] | None] = {}  # a node with several outputs: their names
        self.inputs: dict[int, tuple[list, list]] = {}  # each instance's forward inputs, and copies
        self.outputs: dict[int, np.ndarray] = {}  # what each instance's forward returned
        self.returned: dict[int, list] = {}  # the gradients each instance's backward returned
        self.tangents: dict[int, np.ndarray] = {}  # the tangent each instance's jvp returned

    # -- loading -------------------------------------------------------------------------------

    def load(self, request: dict) -> dict:
        sys.path.insert(0, str(replies.FOLDER))
        files: dict[str, Any] = {}
        modules = {}
        for name in request["files"]:
            try:
                with limited(f"importing {name}"):
                    modules[name] = self._import(replies.FOLDER / name)
                files[name] = None
            except BaseException as e:  # SystemExit at import time included
                files[name] = describe_failure(e, f"importing {name}")
        found = {}
        for symbol, file in request["symbols"].items():
            module = modules.get(file)
            obj = getattr(module, symbol, None) if module is not None else None
            found[symbol] = self._describe(obj)
            if obj is not None:
                self.symbols[symbol] = obj
        return {"files": files, "symbols": found}

    @staticmethod
    def _import(path: Path):
        name = path.stem
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    @staticmethod
    def _describe(obj: Any) -> dict:
        if obj is None:
            return {"found": False}
        info: dict[str, Any] = {"found": True, "kind": "class" if inspect.isclass(obj) else
                                "function" if callable(obj) else type(obj).__name__}
        for method in ("__init__", "forward", "backward", "jvp") if inspect.isclass(obj) else ("__call__",):
            target = getattr(obj, method, None) if inspect.isclass(obj) else obj
            static = inspect.isclass(obj) and isinstance(inspect.getattr_static(obj, method, None), staticmethod)
            info[method] = _signature(target, skip_self=inspect.isclass(obj) and not static)
            if static and info[method] is not None:
                info[method]["static"] = True
        return info

    # -- programs of calls -------------------------------------------------------------------------

    def run(self, request: dict) -> dict:
        return {"results": [self._step(step) for step in request["steps"]]}

    def _step(self, step: dict) -> dict:
        where = step.get("where", step["do"])
        try:
            return {"ok": getattr(self, "_do_" + step["do"])(step)}
        except BaseException as e:  # a student's SystemExit must not end the worker
            return {"error": {"where": where, **describe_failure(e, where)}}

    def _maker(self, step: dict):
        """A function that makes one node object of the step's node type, in its calling
        convention (``conventions``): a class's instance, or an adapter around functions."""
        convention = step.get("convention") or {"kind": "class", "forward": step["cls"]}
        arity = step.get("arity", len(step.get("inputs_names", [])))
        names = step.get("inputs_names") or [f"input {i + 1}" for i in range(arity)]
        return maker(convention, self.symbols, step.get("attrs", {}), names, step.get("floats") or [True] * len(names),
                     step.get("output_names"))

    def _do_new(self, step: dict) -> int:
        handle = step["as"]
        for held in (self.handles, self.inputs, self.outputs, self.returned, self.tangents):
            held.pop(handle, None)
        self.arity[handle] = step["arity"]
        self.output_names[handle] = step.get("output_names")
        make = self._maker(step)
        with limited(step.get("where", f"{step['cls']}(...)")):
            self.handles[handle] = make()
        return handle

    def _instance(self, step: dict) -> Any:
        if step["handle"] not in self.handles:
            raise StudentError({"kind": "skipped", "message": "not run: the instance could not be created"})
        return self.handles[step["handle"]]

    def _do_forward(self, step: dict) -> dict:
        obj = self._instance(step)
        originals = [self._wired(x) for x in step["inputs"]]
        inputs = [_copy(x) for x in originals]
        self.inputs[step["handle"]] = (inputs, originals)
        with limited(step.get("where", "forward")):
            result = obj.forward(*inputs)
        out = outputs(result, self.output_names.get(step["handle"]))
        self.outputs[step["handle"]] = out
        reply = {"out": out, "modified": _modified(inputs, originals)}
        settings = {str(i): _settings_left(x) for i, x in enumerate(inputs) if isinstance(x, dict)}
        if settings:
            reply["settings"] = settings  # what forward left in its param dicts (state updates)
        return reply

    def _do_backward(self, step: dict) -> dict:
        obj = self._instance(step)
        several = isinstance(step["grad"], list)  # one upstream gradient per output
        original = [np.array(g) for g in step["grad"]] if several else [self._wired(step["grad"])]
        grad = [g.copy() for g in original]
        with limited(step.get("where", "backward")):
            result = obj.backward(*grad)
        inputs, originals = self.inputs.get(step["handle"], ([], []))
        settings = [isinstance(x, dict) for x in inputs]
        if any(settings) and settings.count(False) == 1 and not isinstance(result, (tuple, list)):
            result = [None if s else result for s in settings]  # one array input: its gradient alone
        grads = as_gradients(result, self.arity[step["handle"]], "backward")
        self.returned[step["handle"]] = grads
        reply = {"grads": grads, "modified": _modified(inputs, originals),
                 "grad_modified": bool(_modified(grad, original))}
        if isinstance(step["grad"], dict):
            reply["upstream"] = original[0]  # what the wiring added up, for the grader to judge
        return reply

    def _do_jvp(self, step: dict) -> dict:
        """Forward mode: the instance's jvp on copies of the input tangents, after its forward;
        it returns one tangent, the output's."""
        obj = self._instance(step)
        originals = [self._wired(t) for t in step["tangents"]]
        tangents = [t.copy() for t in originals]
        with limited(step.get("where", "jvp")):
            result = obj.jvp(*tangents)
        if result is None or isinstance(result, (tuple, list)):
            got = "None" if result is None else f"a {type(result).__name__} of {len(result)}"
            raise StudentError({"kind": "bad_return", "message": f"returned {got}; it must return one array, the "
                                "output's tangent (each input's term added up), shaped like the output"})
        tangent = to_array(result, "the tangent it returned")
        self.tangents[step["handle"]] = tangent
        inputs, inputs_given = self.inputs.get(step["handle"], ([], []))
        return {"tangent": tangent, "modified": _modified(inputs, inputs_given),
                "tangents_modified": _modified(tangents, originals)}

    def _do_jacobian(self, step: dict) -> dict:
        """The student's jacobian(f, x), f one of the grader's maps (``maps``), which counts its
        calls; the Jacobian and what f saw come back, to be judged by the grader."""
        function = self.symbols.get(step["function"])
        if function is None:
            raise StudentError({"kind": "missing", "message": f"there is no function {step['function']}"})
        x = np.array(step["x"], dtype=np.float64)
        f, calls = maps.make(step["map"], step["params"], x)
        given = x.copy()
        with limited(step.get("where", step["function"])):
            result = function(f, given)
        if result is None:
            raise StudentError({"kind": "bad_return", "message": "returned None; it must return the Jacobian, "
                                "an array of shape (len(y), len(x))"})
        n = x.shape[0]
        return {"jacobian": to_array(result, "the Jacobian it returned"), "calls": calls.count,
                "tangents": np.array(calls.tangents) if calls.tangents else np.zeros((0, n)),
                "moved": calls.moved, "modified": given.tobytes() != x.tobytes()}

    def _wired(self, value: Any) -> np.ndarray:
        """An input or upstream gradient of a step: an array the grader sent, or, in a graph,
        what an earlier step of student code gave (``$out``: the output of a handle's forward;
        ``$grad``: the i-th gradient its backward returned; ``$ones``: ones shaped like an
        output; ``$sum``: these added up, shaped like the output of ``like``; ``$tangent``:
        the tangent a handle's jvp returned). The grader wires the student's nodes this way
        without sending any value of its own."""
        if not isinstance(value, dict):
            return np.array(value)
        if "$param" in value:  # a dict of settings (bn_param), passed as a dict
            return dict(value["$param"])
        if "$tangent" in value:
            tangent = self.tangents.get(value["$tangent"])
            if tangent is None:
                raise StudentError({"kind": "skipped", "message": "not run: a node before it in the graph failed"})
            return tangent.copy()
        if "$out" in value or "$ones" in value:
            out = self.outputs.get(value.get("$out", value.get("$ones")))
            if out is None:
                raise StudentError({"kind": "skipped", "message": "not run: a node before it in the graph failed"})
            return out.copy() if "$out" in value else np.ones(out.shape)
        if "$grad" in value:
            handle, index = value["$grad"]
            grads = self.returned.get(handle)
            if grads is None:
                raise StudentError({"kind": "skipped", "message": "not run: a node after it in the graph failed"})
            return None if grads[index] is None else grads[index].astype(np.float64)
        shape = self._wired({"$out": value["like"]}).shape
        total = np.zeros(shape)
        for part in value["$sum"]:
            part = self._wired(part)
            if part is not None and part.shape != shape:
                raise StudentError({"kind": "skipped", "message": "not run: a gradient given to it has the wrong shape"})
            if part is not None:
                total = np.asarray(total + part)  # 0-d stays an array, not a numpy scalar
        return total

    def _do_forward_many(self, step: dict) -> dict:
        """Forward of fresh instances on perturbed copies of the inputs (finite differences):
        for each plan, +h then -h per element, or per direction, or (``along``: forward mode)
        every input at once along its tangent."""
        if "inputs_of" in step:  # the inputs an instance's forward was given in this request
            if step["inputs_of"] not in self.inputs:
                raise StudentError({"kind": "skipped", "message": "not run: the instance could not be created"})
            base = self.inputs[step["inputs_of"]][1]
        else:
            base = [self._wired(x) for x in step["inputs"]]
        make, where = self._maker(step), step.get("where", "forward")
        outs = []
        for plan in step["perturb"]:
            k = plan.get("input")
            if "along" in plan:
                moves = [(None, [None if t is None else np.array(t) for t in plan["along"]], float(plan["step"]))]
            elif "steps" in plan:
                moves = [(e, None, float(h)) for e, h in enumerate(np.ravel(plan["steps"]))]
            else:
                moves = [(None, v, float(plan["step"])) for v in directions(plan["seed"], plan["count"], base[k].shape)]
            for index, direction, h in moves:
                for sign in (1.0, -1.0):
                    inputs = [_copy(x) for x in base]
                    if index is not None:
                        inputs[k].flat[index] += sign * h
                    elif k is None:  # along the tangents, every input at once
                        for i, t in enumerate(direction):
                            if t is not None:
                                inputs[i] += sign * h * t
                    else:
                        inputs[k] += sign * h * direction
                    with limited(where):  # a fresh instance and its forward: one timer for both
                        result = make().forward(*inputs)
                    out = outputs(result, step.get("output_names"))
                    outs.append(np.concatenate([np.ravel(o) for o in out]) if isinstance(out, list) else out)
        if outs and all(o.shape == outs[0].shape for o in outs):
            return {"outs": np.stack(outs).astype(np.float64)}  # one array: one payload to send
        return {"outs": outs}

    def _do_driver(self, step: dict) -> dict:
        """The student's topological_sort and backward on a graph of provided nodes, sent as
        values and each node's Jacobians (see ``GivenNode``)."""
        env: dict[str, Var] = {}
        for entry in step["vars"]:
            node = None
            if entry.get("node") is not None:
                node = given_class(entry["node"]["type"])(np.array(entry["value"]), entry["node"]["jacobians"],
                                                           [env[name].value.shape for name in entry["inputs"]])
            env[entry["name"]] = Var(np.array(entry["value"]), tuple(env[name] for name in entry["inputs"]), node)
        names = {id(v): k for k, v in env.items()}
        output = env[step["output"]]
        sort = self.symbols.get("topological_sort")
        reply: dict[str, Any] = {}
        if sort is not None:
            try:
                with limited("topological_sort"):
                    order = list(sort(output))
                reply["order"] = [names.get(id(v), "?") for v in order]
            except BaseException as e:
                reply["order_error"] = describe_failure(e, "topological_sort")
        runs = []
        for _ in range(2):  # twice: the second must give the same grads, not double
            try:
                with limited("backward"):
                    self.symbols["backward"](output)
                runs.append({k: None if v.grad is None else to_array(v.grad, f"{k}.grad")
                             for k, v in env.items()})
                runs[-1]["$shared"] = _shared_grads(env)
            except BaseException as e:
                runs.append({"$error": describe_failure(e, "backward")})
                break
        reply["runs"] = runs
        return reply


def _copy(value: Any) -> Any:
    """An input's copy for one call: an array's, or a param dict's with its arrays copied."""
    if isinstance(value, dict):
        return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in value.items()}
    return value.copy()


def _modified(arrays: list[np.ndarray], originals: list[np.ndarray]) -> list[int]:
    """Which of the arrays student code was given it changed in place (compared here, so the
    arrays need not travel back to the grader). Param dicts are judged from ``settings``."""
    return [i for i, (a, b) in enumerate(zip(arrays, originals)) if not isinstance(b, dict) and
            (a.shape != b.shape or a.dtype != b.dtype or a.tobytes() != b.tobytes())]  # bitwise: fast


def _settings_left(settings: dict) -> dict:
    """A param dict after student code had it, as data: numbers, strings and numeric arrays as
    they are; anything else by its type's name."""
    out: dict[str, Any] = {}
    for key, value in list(settings.items())[:100]:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and not value.dtype.hasobject:
            out[str(key)] = value.copy()
        elif value is None or isinstance(value, (bool, int, float, str)) and len(str(value)) <= 200:
            out[str(key)] = value
        else:
            out[str(key)] = {"$object": type(value).__name__}
    return out


def _shared_grads(env: dict) -> list[list[str]]:
    """Pairs of Vars whose grad is one and the same array (a sign of aliasing bugs)."""
    owners: dict[int, str] = {}
    pairs = []
    for name, var in env.items():
        if isinstance(var.grad, np.ndarray):
            if id(var.grad) in owners:
                pairs.append([owners[id(var.grad)], name])
            else:
                owners[id(var.grad)] = name
    return pairs


def _signature(target: Any, skip_self: bool) -> dict | None:
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if skip_self and params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        params = params[1:]
    return {"positional": [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)],
            "required": sum(1 for p in params if p.default is p.empty
                            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)),
            "varargs": any(p.kind == p.VAR_POSITIONAL for p in params),
            "keywords": [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)],
            "varkw": any(p.kind == p.VAR_KEYWORD for p in params)}
