"""What the worker loaded of a submission, checked against the spec before anything runs:
forbidden imports spelled out in the files, and for each class or function the grader will
call, why it cannot be (missing, not importable, a signature that does not fit).
"""

from __future__ import annotations

from grader.grading.checks import error_text
from grader.grading.submission import Submission
from grader.sandbox.imports import scan
from grader.spec.model import Assignment


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


def unusable(symbol: str, file: str, loaded: dict, assignment: Assignment, submission: Submission) -> str | None:
    """Why the student's ``symbol`` (in ``file``) cannot be called, from what the worker
    loaded (None when it can): a missing file, an import that failed, a missing class, a
    signature that does not fit how the grader calls it."""
    if file in submission.missing:
        return f"{file} was not found in your submission"
    error = loaded["files"].get(file)
    if error:
        return f"{file} could not be imported: {error_text(error)}"
    info = loaded["symbols"].get(symbol, {"found": False})
    if not info.get("found"):
        return f"{file} has no {'class' if symbol[0].isupper() else 'function'} {symbol}"
    node = assignment.nodes.get(symbol)
    if node is None:
        return None
    if info.get("kind") != "class":
        return f"{symbol} in {file} must be a class"
    forward = info.get("forward")
    n = len(node.inputs)
    names = ", ".join(i.name for i in node.inputs)
    if forward is None:
        return f"{symbol} has no forward method"
    if forward["required"] > n or (len(forward["positional"]) < n and not forward["varargs"]):
        return (f"{symbol}.forward takes ({', '.join(['self'] + forward['positional'])}), "
                f"but it is called as forward({names})")
    backward = info.get("backward")
    if backward is None:
        return f"{symbol} has no backward method"
    if backward["required"] > 1 or (not backward["positional"] and not backward["varargs"]):
        return f"{symbol}.backward must take exactly one argument, grad_output"
    init = info.get("__init__")
    missing = [a for a in node.attributes if init and a not in init["keywords"] and not init["varkw"]]
    if missing:
        return f"{symbol}.__init__ must accept the attribute{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
    return None
