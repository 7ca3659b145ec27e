"""What the worker loaded of a submission, checked against the spec before anything runs:
forbidden imports spelled out in the files, and for each class or function the grader will
call, why it cannot be (missing, not importable, a signature that does not fit).
"""

from __future__ import annotations

import re

from grader.grading.outcome import error_text
from grader.grading.submission import Submission
from grader.sandbox.imports import scan
from grader.spec.model import NodeType


def forbidden_imports(submission: Submission, forbidden: set[str]) -> list[str]:
    """A message for each forbidden import the submitted files spell out, reported before
    anything runs (they are also blocked at run time)."""
    messages = []
    for name, path in submission.found.items():
        try:
            source = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for line, module in scan(source, forbidden):
            what = module if module.startswith("sys.") else f"importing {module}"
            messages.append(f"{name}, line {line}: {what} is not allowed in this assignment "
                            "(use numpy and the standard library).")
    return messages


def unusable(symbol: str, file: str, loaded: dict, submission: Submission) -> str | None:
    """Why the student's function or class ``symbol`` (in ``file``) cannot be called, from
    what the worker loaded (None when it can): a missing file, an import that failed, a
    missing name."""
    if file in submission.missing:
        return f"{file} was not found in your submission"
    error = loaded["files"].get(file)
    if error:
        return import_failure(file, error, full=False)
    if not loaded["symbols"].get(symbol, {"found": False}).get("found"):
        return f"{file} has no {'class' if symbol[0].isupper() else 'function'} {symbol}"
    return None


def import_failure(file: str, error: dict, full: bool = True, files: list[str] = ()) -> str:
    """Why a student's file could not be imported: in full at the top of the report (with
    ``files``, what the grader has: a module of the student's own that is not one of them is
    not there); in one line, pointing there, in each test it keeps from running."""
    text = error_text(error)
    if not full:
        return f"{file} could not be imported: {text.splitlines()[0]} (see the top of the report)"
    missing = re.match(r"ModuleNotFoundError: No module named '([\w.]+)'", str(error.get("message", "")))
    if missing and files:
        first, *rest = text.splitlines()
        text = "\n".join([f"{first} (the grader has only {', '.join(files)}, numpy and Python's standard library: "
                          f"if {missing.group(1)} is a file of yours, put what you need from it into {file})", *rest])
    return f"{file} could not be imported: {text}"


def absent_symbols(node: NodeType, loaded: dict, submission: Submission) -> list[str]:
    """What of ``node`` the student's file (found and imported) does not define yet."""
    if node.file in submission.missing or loaded["files"].get(node.file):
        return []
    return [s for s in node.convention.symbols() if not loaded["symbols"].get(s, {}).get("found")]


def absent_summary(nodes: list[NodeType], absent: dict[str, list[str]]) -> list[str]:
    """One plain sentence per file that lacks some of what the assignment grades, naming
    them, so a student who handed in part of the work sees at once what was not graded."""
    messages = []
    for file in dict.fromkeys(n.file for n in nodes):
        mine = [n for n in nodes if n.file == file]
        lacking = [s for n in mine for s in absent.get(n.name, [])]
        if not lacking:
            continue
        total = sum(len(n.convention.symbols()) for n in mine)
        kinds = {"class" if n.convention.kind in ("class", "static", "parameters") else "function" for n in mine}
        noun = {"class": "classes", "function": "functions"}[kinds.pop()] if len(kinds) == 1 else "names"
        partly = [n.convention.forward for n in mine if absent.get(n.name) == [n.convention.backward]]
        note = f", and {' and '.join(partly)} earned the points that need no backward" if partly else ""
        messages.append(f"{file} does not yet define {len(lacking)} of the {total} {noun} this assignment "
                        f"grades: {', '.join(lacking)}. {'Its' if len(lacking) == 1 else 'Their'} tests "
                        f"score 0; everything else was graded{note}.")
    return messages


def unusable_function(symbol: str, file: str, args: list[str], loaded: dict, submission: Submission) -> str | None:
    """Why the student's function ``symbol`` (such as ``jacobian(f, x)``) cannot be called
    with ``args`` (None when it can)."""
    why = unusable(symbol, file, loaded, submission)
    if why:
        return why.replace(f"has no class {symbol}", f"has no function {symbol}")
    info = loaded["symbols"][symbol]
    if info.get("kind") != "function":
        return f"{symbol} in {file} must be a function"
    wrong = _misfit(info.get("__call__"), len(args))
    if wrong is not None:
        return f"{symbol} takes ({wrong}), but it is called as {symbol}({', '.join(args)})"
    return None


def unusable_node(node: NodeType, loaded: dict, submission: Submission) -> str | None:
    """Why node type ``node`` cannot be called as its calling convention says (None when it
    can): what ``unusable`` finds, or a class where a function is due (or back), or a
    signature that does not fit the call."""
    convention, inputs = node.convention, [i.name for i in node.inputs]
    upstream = [f"d{o}" for o in node.outputs] or ["dout"]  # backward's upstream gradients, then the cache
    for symbol in convention.symbols():
        why = unusable(symbol, node.file, loaded, submission)
        if why and symbol == convention.backward and convention.kind == "functions" and "has no" in why:
            continue  # its forward is graded; its backward's checks say it is missing
        if why:
            if "has no" in why:
                kind = "class" if convention.kind in ("class", "static", "parameters", "jvp") else "function"
                return f"{node.file} has no {kind} {symbol}"
            return why
    infos = [loaded["symbols"][s] for s in convention.symbols()]
    if convention.kind in ("functions", "loss"):
        for symbol, info, count in zip(convention.symbols(), infos, (len(inputs), len(upstream) + 1)):
            if info.get("kind") == "class":
                return f"{symbol} in {node.file} must be a function, not a class"
            if convention.kind == "loss":
                count = len(inputs)
            wrong = _misfit(info.get("__call__"), count)
            if wrong:
                args = ", ".join(inputs) if symbol == convention.forward else ", ".join([*upstream, "cache"])
                return f"{symbol} takes ({wrong}), but it is called as {symbol}({args})"
        return None
    (info,) = infos
    name = convention.forward
    if info.get("kind") != "class":
        return f"{name} in {node.file} must be a class"
    parameters = {p for p, _ in convention.parameters}
    args = [n for n in inputs if n not in parameters]
    second = "jvp" if convention.forward_mode else "backward"  # what follows forward on an instance
    forward, backward = info.get("forward"), info.get(second)
    if forward is None or backward is None:
        return f"{name} has no {'forward' if forward is None else second} method"
    if convention.kind == "static" and not (forward.get("static") and backward.get("static")):
        return f"{name}.forward and {name}.backward must be static methods (@staticmethod)"
    if _misfit(forward, len(args)):
        takes = forward["positional"] if forward.get("static") else ["self", *forward["positional"]]
        return f"{name}.forward takes ({', '.join(takes)}), but it is called as forward({', '.join(args)})"
    if convention.forward_mode:
        if _misfit(backward, len(args)):
            takes = ", ".join(["self", *backward["positional"]])
            return f"{name}.jvp takes ({takes}), but it is called as jvp({', '.join(f'{a}_dot' for a in args)})"
        backward = None
    backward_args = [*upstream, "cache"] if convention.kind == "static" else upstream
    if _misfit(backward, len(backward_args)):
        if backward_args == ["dout"]:
            return f"{name}.backward must take exactly one argument, grad_output"
        return f"{name}.backward must take ({', '.join(backward_args)})"
    init = info.get("__init__")
    missing = [a for a in node.attributes if init and a not in init["keywords"] and not init["varkw"]]
    if missing and convention.kind != "static":
        return f"{name}.__init__ must accept the attribute{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
    return None


def _misfit(signature: dict | None, count: int) -> str | None:
    """The parameters of a callable that cannot be called with ``count`` positional
    arguments, spelled out (None when it can be, or when its signature is unknown)."""
    if signature is None:
        return None
    if signature["required"] > count or (len(signature["positional"]) < count and not signature["varargs"]):
        return ", ".join(signature["positional"])
    return None
