"""The worker: the only process that runs student code.

The grader starts it (``python -I -m grader.sandbox.worker FD_IN FD_OUT``) in a folder holding a
copy of the submission, sends it requests on a dedicated pipe and reads replies on another;
the student's prints go to stdout/stderr, which the grader captures apart. A request names
student classes and functions and carries input arrays, never expected values; a reply
carries what student code returned, as plain arrays. Every failure of student code becomes
a data reply (kind, message, the student's own traceback frames), never a crash of the loop.
"""

from __future__ import annotations

import fcntl
import importlib.util
import inspect
import json
import os
import resource
import signal
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path
from signal import ITIMER_REAL, SIGALRM
from typing import Any

import _signal  # signal's C core: no enum conversions on every call of student code

import numpy as np

from grader.sandbox.capture import marker
from grader.sandbox.imports import DEFAULT_FORBIDDEN, block
from grader.sandbox.protocol import ProtocolError, directions, read_message, write_message
from grader.sandbox.processes import TIMEOUT_EXIT, become_subreaper, kill_all, processes, reap

ROOT = Path.cwd()  # the worker's folder, with the student's files (set again by main)
CALL_SECONDS = 10.0


class CallTimeout(BaseException):
    """A student call ran past its time (a BaseException, so ``except Exception`` in student
    code does not swallow it)."""


def _on_alarm(signum, frame):
    raise CallTimeout()


class Watchdog:
    """Ends this process (status TIMEOUT_EXIT) when a call, or the worker's own work on its
    result, runs GRACE seconds past the limit: student code that ignores SIGALRM, catches
    CallTimeout in a loop, or hangs in a ``__del__`` is stopped in about the time limit, not
    at the grader's far later backup deadline. A thread that polls a few times a second (so
    arming it costs nothing), started anew in each forked child."""

    GRACE = 1.0
    POLL = 0.25

    def __init__(self) -> None:
        self.deadline: float | None = None
        self._exit = os._exit  # student code may replace os._exit; this reference stays

    def start(self) -> None:
        """Start watching (again, in a forked child: threads do not survive fork)."""
        self.deadline = None
        threading.Thread(target=self._watch, name="grader-watchdog", daemon=True).start()

    def arm(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds + self.GRACE

    def disarm(self) -> None:
        self.deadline = None

    def _watch(self) -> None:
        while True:
            deadline, now = self.deadline, time.monotonic()
            if deadline is not None and now >= deadline:
                self._exit(TIMEOUT_EXIT)
            time.sleep(self.POLL if deadline is None else min(self.POLL, deadline - now))


WATCHDOG = Watchdog()


class limited:
    """Run one call of student code under the per-call time limit (a SIGALRM timer). The
    watchdog backs it up while the call runs and while its result is handled (the grader's
    deadline for the whole request backs up both)."""

    def __init__(self, where: str):
        self.where = where

    def __enter__(self) -> None:
        owner = _owner(self.where)
        if owner in TIMED_OUT:
            raise StudentError({"kind": "timeout", "where": self.where, "message":
                                f"{self.where} was not run: an earlier call of {owner} ran past the "
                                f"{CALL_SECONDS:g} s time limit"})
        WATCHDOG.arm(CALL_SECONDS)
        _signal.signal(SIGALRM, _on_alarm)  # again: student code may have replaced it
        _signal.setitimer(ITIMER_REAL, CALL_SECONDS)

    def __exit__(self, kind, error, tb) -> None:
        _signal.setitimer(ITIMER_REAL, 0)
        WATCHDOG.arm(CALL_SECONDS)  # for what follows: converting the result, __del__, ...
        if kind is CallTimeout:
            TIMED_OUT.add(_owner(self.where))
            raise StudentError({"kind": "timeout", "where": self.where,
                                "message": f"{self.where} ran past the {CALL_SECONDS:g} s time limit"})


TIMED_OUT: set[str] = set()  # classes and functions that ran past the limit: not called again


def _owner(where: str) -> str:
    """``Exp.forward`` -> ``Exp``; ``Exp(...)`` -> ``Exp``; ``backward`` -> ``backward``."""
    return where.split(".")[0].split("(")[0]


class StudentError(Exception):
    """Student code failed or returned something unusable; ``info`` goes into the reply."""

    def __init__(self, info: dict[str, Any]):
        super().__init__(info.get("message", ""))
        self.info = info


def describe_failure(error: BaseException, where: str) -> dict[str, Any]:
    """A reply-ready account of an exception, with only the student's traceback frames."""
    if isinstance(error, StudentError):
        return error.info
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_student(f.filename)]
    lines = [f"{Path(f.filename).name}, line {f.lineno}, in {f.name}: {(f.line or '').strip()}" for f in frames]
    kind = "not_implemented" if isinstance(error, NotImplementedError) else "exception"
    if isinstance(error, SyntaxError) and error.filename and _is_student(error.filename):
        lines = [f"{Path(error.filename).name}, line {error.lineno}: {(error.text or '').strip()}"]
    message = f"{type(error).__name__}: {error}".strip().rstrip(":")
    if len(message) > 500:
        message = message[:497] + "..."
    reply = {"kind": kind, "where": where, "message": message, "frames": lines[-8:]}
    if isinstance(error, MemoryError):
        reply.update(kind="memory", limit_mb=_memory_limit_mb())
    return reply


def _memory_limit_mb() -> int | None:
    """This process's address-space limit (the spec's ``memory_mb``), for a MemoryError's
    message; None when there is none."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft >> 20


def _is_student(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(ROOT)
    except (OSError, ValueError):
        return False


def to_array(value: Any, what: str = "the result") -> np.ndarray:
    """A student's return value as a plain numeric array, or StudentError saying why not."""
    try:
        array = np.array(value, copy=True, subok=False)
    except BaseException as e:  # odd __array__ implementations
        raise StudentError({"kind": "bad_return", "message": f"{what} is a {type(value).__name__} "
                            f"that numpy cannot turn into an array ({type(e).__name__})"}) from None
    if array.dtype.kind not in "biuf":
        raise StudentError({"kind": "bad_return", "message": f"{what} is a {type(value).__name__}, "
                            "not a numpy array of numbers"})
    if array.dtype.kind == "b":
        array = array.astype(np.float64)
    return array


def as_gradients(result: Any, count: int, what: str) -> list[np.ndarray | None]:
    """backward's result as one entry per input: a tuple or list, or one array when unary."""
    if isinstance(result, (tuple, list)) and (len(result) == count or count != 1):
        entries = list(result)
    elif count == 1:
        entries = [result]
    else:
        returned = "None" if result is None else f"a {type(result).__name__}"
        raise StudentError({"kind": "bad_return", "message": f"{what} returned {returned}; it must "
                            f"return a tuple of {count} gradients, one per input"})
    if len(entries) != count:
        raise StudentError({"kind": "bad_return", "message": f"{what} returned {len(entries)} "
                            f"gradient{'s' if len(entries) != 1 else ''} for {count} inputs; it must "
                            "return one per forward input"})
    return [None if e is None else to_array(e, f"{what}'s gradient {i + 1}") for i, e in enumerate(entries)]


class Worker:
    """Serves requests: load the student files, then run programs of calls on them."""

    def __init__(self) -> None:
        self.symbols: dict[str, Any] = {}
        self.handles: dict[int, Any] = {}
        self.arity: dict[int, int] = {}
        self.inputs: dict[int, tuple[list, list]] = {}  # each instance's forward inputs, and copies
        self.outputs: dict[int, np.ndarray] = {}  # what each instance's forward returned
        self.returned: dict[int, list] = {}  # the gradients each instance's backward returned

    # -- loading -------------------------------------------------------------------------------

    def load(self, request: dict) -> dict:
        sys.path.insert(0, str(ROOT))
        files: dict[str, Any] = {}
        modules = {}
        for name in request["files"]:
            try:
                with limited(f"importing {name}"):
                    modules[name] = self._import(ROOT / name)
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
        for method in ("__init__", "forward", "backward") if inspect.isclass(obj) else ("__call__",):
            target = getattr(obj, method, None) if inspect.isclass(obj) else obj
            info[method] = _signature(target, skip_self=inspect.isclass(obj))
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

    def _class(self, cls_name: str) -> Any:
        cls = self.symbols.get(cls_name)
        if cls is None:
            raise StudentError({"kind": "missing", "message": f"there is no class {cls_name}"})
        return cls

    def _new(self, cls_name: str, attrs: dict) -> Any:
        cls = self._class(cls_name)
        with limited(f"{cls_name}(...)"):
            return cls(**attrs)

    def _do_new(self, step: dict) -> int:
        handle = step["as"]
        for held in (self.handles, self.inputs, self.outputs, self.returned):
            held.pop(handle, None)
        self.arity[handle] = step["arity"]
        self.handles[handle] = self._new(step["cls"], step.get("attrs", {}))
        return handle

    def _instance(self, step: dict) -> Any:
        if step["handle"] not in self.handles:
            raise StudentError({"kind": "skipped", "message": "not run: the instance could not be created"})
        return self.handles[step["handle"]]

    def _do_forward(self, step: dict) -> dict:
        obj = self._instance(step)
        originals = [self._wired(x) for x in step["inputs"]]
        inputs = [x.copy() for x in originals]
        self.inputs[step["handle"]] = (inputs, originals)
        with limited(step.get("where", "forward")):
            result = obj.forward(*inputs)
        out = to_array(result, "forward's output")
        self.outputs[step["handle"]] = out
        return {"out": out, "modified": _modified(inputs, originals)}

    def _do_backward(self, step: dict) -> dict:
        obj = self._instance(step)
        original = self._wired(step["grad"])
        grad = original.copy()
        with limited(step.get("where", "backward")):
            result = obj.backward(grad)
        inputs, originals = self.inputs.get(step["handle"], ([], []))
        grads = as_gradients(result, self.arity[step["handle"]], "backward")
        self.returned[step["handle"]] = grads
        reply = {"grads": grads, "modified": _modified(inputs, originals),
                 "grad_modified": bool(_modified([grad], [original]))}
        if isinstance(step["grad"], dict):
            reply["upstream"] = original  # what the wiring added up, for the grader to judge
        return reply

    def _wired(self, value: Any) -> np.ndarray:
        """An input or upstream gradient of a step: an array the grader sent, or, in a graph,
        what an earlier step of student code gave (``$out``: the output of a handle's forward;
        ``$grad``: the i-th gradient its backward returned; ``$ones``: ones shaped like an
        output; ``$sum``: these added up, shaped like the output of ``like``). The grader
        wires the student's nodes this way without sending any value of its own."""
        if not isinstance(value, dict):
            return np.array(value)
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
        for each plan, +h then -h per element, or per direction."""
        if "inputs_of" in step:  # the inputs an instance's forward was given in this request
            if step["inputs_of"] not in self.inputs:
                raise StudentError({"kind": "skipped", "message": "not run: the instance could not be created"})
            base = self.inputs[step["inputs_of"]][1]
        else:
            base = [np.array(x) for x in step["inputs"]]
        cls, attrs, where = self._class(step["cls"]), step.get("attrs", {}), step.get("where", "forward")
        outs = []
        for plan in step["perturb"]:
            k = plan["input"]
            if "steps" in plan:
                moves = [(e, None, float(h)) for e, h in enumerate(np.ravel(plan["steps"]))]
            else:
                moves = [(None, v, float(plan["step"])) for v in directions(plan["seed"], plan["count"], base[k].shape)]
            for index, direction, h in moves:
                for sign in (1.0, -1.0):
                    inputs = [x.copy() for x in base]
                    if index is not None:
                        inputs[k].flat[index] += sign * h
                    else:
                        inputs[k] += sign * h * direction
                    with limited(where):  # a fresh instance and its forward: one timer for both
                        result = cls(**attrs).forward(*inputs)
                    outs.append(to_array(result, "forward's output"))
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
                node = _given_class(entry["node"]["type"])(np.array(entry["value"]), entry["node"]["jacobians"],
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


def _modified(arrays: list[np.ndarray], originals: list[np.ndarray]) -> list[int]:
    """Which of the arrays student code was given it changed in place (compared here, so the
    arrays need not travel back to the grader)."""
    return [i for i, (a, b) in enumerate(zip(arrays, originals))
            if a.shape != b.shape or a.dtype != b.dtype or a.tobytes() != b.tobytes()]  # bitwise: fast


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


class Var:
    """The Var of a student's engine (``backprop-engine``): the four attributes of the
    contract's ``graph.Var``, and no more."""

    __slots__ = ("value", "grad", "inputs", "node")

    def __init__(self, value: np.ndarray, inputs: tuple = (), node: Any = None):
        self.value, self.grad, self.inputs, self.node = value, None, tuple(inputs), node

    def __repr__(self) -> str:
        kind = type(self.node).__name__ if self.node is not None else "leaf"
        return f"Var({kind}, value={self.value!r})"


class GivenNode:
    """A node the assignment provides: its value came with the graph, and its backward is the
    upstream gradient times its Jacobian for each input (computed by the grader at this
    node's inputs), so no reference engine runs here. Like a hand-written node, it returns a
    bare array for one input, and the upstream array itself where the Jacobian is the
    identity (an Add returns ``grad_output, grad_output``)."""

    def __init__(self, value: np.ndarray, jacobians: list, shapes: list[tuple]):
        self._value, self._jacobians, self._shapes = value, jacobians, shapes

    def forward(self, *inputs: Any) -> np.ndarray:
        return self._value.copy()

    def backward(self, grad_output: Any) -> Any:
        g = np.asarray(grad_output, dtype=np.float64)
        flat = np.broadcast_to(g, self._value.shape).reshape(-1)
        grads = []
        for jacobian, shape in zip(self._jacobians, self._shapes):
            if jacobian is None:
                grads.append(None)
            elif isinstance(jacobian, str):  # "identity"
                grads.append(g if g.shape == shape else flat.reshape(shape).copy())
            else:
                grads.append((flat @ jacobian).reshape(shape))
        return grads[0] if len(grads) == 1 else tuple(grads)


_GIVEN: dict[str, type] = {}


def _given_class(name: str) -> type:
    """A GivenNode class named like the node type (``type(var.node).__name__`` is "Mul")."""
    if name not in _GIVEN:
        _GIVEN[name] = type(name, (GivenNode,), {})
    return _GIVEN[name]


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


def serve(fd_in: int, fd_out: int) -> None:
    """Answer requests until the grader closes the channel.

    ``fork`` starts a child that takes over the channel: each node type is graded in a fresh
    copy of this process, and whatever its code does to the process (patched modules, stray
    state, forged replies) ends with the child. ``release`` ends the child. When the child
    ends, for whatever reason, this process kills everything the child left running, says
    ``child_ended``, and, untouched, answers again.
    """
    worker = Worker()
    is_child = forked = False
    while True:
        try:
            request = read_message(fd_in)
        except ProtocolError:
            return
        op = request.get("op")
        if op == "fork" and not is_child:
            forked = True
            child = os.fork()
            if child == 0:
                is_child = True
                WATCHDOG.start()
                write_message(fd_out, {"forked": True})
                continue
            _, status = os.waitpid(child, 0)
            end_strays()
            write_message(fd_out, {"child_ended": os.waitstatus_to_exitcode(status)})
            continue
        if op == "release":
            write_message(fd_out, {"released": True})
            if is_child:
                os._exit(0)
            continue
        if op == "load":
            reply = worker.load(request)
        elif op == "run" and forked and not is_child:
            # meant for a child that has ended: student code never runs in this process again
            steps = request.get("steps") if isinstance(request.get("steps"), list) else []
            reply = {"results": [{"error": {"kind": "skipped", "message": "not run: the process "
                                            "serving this node ended"}} for _ in steps]}
        elif op == "run":
            _mark_output(request.get("id"))
            reply = worker.run(request)
        elif op == "ping":
            reply = {"pong": request.get("nonce", True)}
        else:
            reply = {"error": {"kind": "protocol", "message": f"unknown op {op!r}"}}
        write_message(fd_out, reply)
        WATCHDOG.disarm()


def _mark_output(request_id: Any) -> None:
    """Tell the grader that what is printed from here on belongs to this request."""
    if isinstance(request_id, int):
        try:
            os.write(1, marker(request_id))
        except OSError:
            pass  # student code closed its output: nothing to file either


def end_strays(seconds: float = 2.0) -> None:
    """Kill every process a node's code left behind (daemons too), so none of them can touch
    the next node's process. In its own PID namespace the worker is process 1, so every
    other process there is one of those; elsewhere it is a subreaper, and they are its
    children (orphans included), found in /proc."""
    deadline = time.monotonic() + seconds
    me = os.getpid()
    while time.monotonic() < deadline:
        if me == 1:
            try:
                os.kill(-1, signal.SIGKILL)
                found = True
            except OSError:
                found = False
        else:
            children = [pid for pid, parent, _, _ in processes() if parent == me]
            kill_all(children)
            found = bool(children)
        reaped = reap()
        if not found and not reaped:
            return
        if found and not reaped:
            time.sleep(0.001)


def _hidden_fd(fd: int) -> int:
    """Move a protocol descriptor to a high number, out of the way of student code's files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, max(3, min(soft, 4096) - 16))
    os.close(fd)
    return high


def main(argv: list[str]) -> None:
    """Serve the grader: ``argv`` is (name, fd in, fd out, call seconds, extra forbidden
    modules as JSON). The launcher imports this module before it hides the grader's package
    from the worker's root, then calls this in the worker's folder."""
    global CALL_SECONDS, ROOT
    ROOT = Path.cwd()
    fd_in, fd_out = _hidden_fd(int(argv[1])), _hidden_fd(int(argv[2]))
    CALL_SECONDS = float(argv[3]) if len(argv) > 3 else 10.0
    extra = json.loads(argv[4]) if len(argv) > 4 else []
    del sys.argv[1:]
    block(set(DEFAULT_FORBIDDEN) | set(extra))
    # Python 3.12 warns on fork with threads alive; the watchdog holds no lock a child needs
    warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
    WATCHDOG.start()
    if os.getpid() != 1:  # orphans of node code come here, for end_strays to find
        become_subreaper()
    try:
        cell = json.loads(os.environ.pop("GRADER_CELL", "{}"))
    except ValueError:
        cell = {}
    # started: from here on, a failure may be the student's (see Sandbox._await_ready)
    write_message(fd_out, {"ready": {"cell": cell}})
    serve(fd_in, fd_out)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
