"""Text that is safe to show: without terminal escapes or control characters. Student code
writes much of what results say (what it printed, exception messages, traceback lines, file
names); none of it may clear a screen or fake a line, in a terminal or on Gradescope. Nor
does it name the worker's temporary folder: a warning or a path student code prints says
``nodes.py:41``, as the student's own folder would, not ``/tmp/grader-work-x1y2/nodes.py:41``."""

from __future__ import annotations

import re
from typing import Any

# Terminal escapes as whole sequences (so that "\x1b[2J" leaves nothing, not "[2J"), then any
# control character left: C0 but tab and newline, DEL, and C1 (U+0080 to U+009F).
_CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"  # CSI: colours, cursor moves, clearing
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS...: to their end
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"  # any other escape (ESC c, ESC ( B, ...)
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# The folder the worker runs in (sandbox.host makes it with this prefix): a path in it is
# shown relative to it, the folder itself as "."
_WORKER_FOLDER = re.compile(r"(?:/[\w.\-+~@]+)*/grader-work-\w+(/)?")


def printable(text: str) -> str:
    """``text`` without terminal escapes or control characters (tab and newline stay), and
    with paths in the worker's folder relative to it. Student code writes much of what the
    results say (what it printed, exception messages, traceback lines, file names): none of
    it may clear a screen or fake a line."""
    text = _CONTROL.sub("", text)
    if "grader-work-" in text:
        text = _WORKER_FOLDER.sub(lambda m: "" if m.group(1) else ".", text)
    return text


def printable_json(value: Any) -> Any:
    """Every string in a JSON-able structure (keys too) made ``printable``."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_json(k): printable_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_json(v) for v in value]
    return value
