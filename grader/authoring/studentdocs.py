"""The README students get with their template: the task, each node's math and shapes, the
rules of the contract, and how to check their work."""

from __future__ import annotations

from grader.spec.model import Assignment, Input, NodeType

RULES = """\
## Rules

- `forward` takes numpy arrays (float64; integer arrays for class labels) and returns the
  output. Keep on `self` whatever `backward` needs.
- `backward(grad_output)` receives dL/d(output), shaped like the output, and returns a tuple
  with one entry per forward input, in order: dL/d(input), shaped like that input, or `None`
  for an input with no gradient (integer labels). A node with one input may return the array.
- `backward` is called on the instance whose `forward` ran last, and several instances of a
  class may be alive at once: keep state on `self`, never on the class.
- Do not modify the input arrays or `grad_output`: compute new arrays.
- Use numpy and the Python standard library. Importing torch, jax, tensorflow, autograd or
  the grader itself is not allowed. Printing is fine.
"""

CHECK = """\
## Checking your work

With the grader installed (the `grade` command; your course says how), run in this folder

```bash
grade check
```

It grades your {files} on the visible tests of `assignment.yaml` and says, for each node,
what is right and what is wrong. The tests that grade your submission include these and
more, drawn at other shapes and values, so make every node right in general, not only on
the visible cases.
"""


def student_readme(assignment: Assignment) -> str:
    """Markdown for ``student_template/<id>/README.md``."""
    files = ", ".join(f"`{f}`" for f in assignment.files)
    parts = [f"# {assignment.title}\n", assignment.description.strip() + "\n" if assignment.description else ""]
    graded = [n for n in assignment.nodes.values() if not n.provided]
    if graded:
        parts.append(f"## Your task\n\nIn {files}, implement `forward` and `backward` of each class "
                     "below:\nreplace every `raise NotImplementedError(...)` with your code.\n")
        parts.append(_table(graded))
        parts.extend(_section(n) for n in graded)
        parts.append(RULES)
    else:
        parts.append(f"## Your task\n\nIn {files}, replace every `raise NotImplementedError(...)` "
                     "with your code.\n")
    if assignment.provided:
        given = ", ".join(f"`{f}`" for f in assignment.provided)
        parts.append(f"## Files you are given\n\n{given}: read, do not edit; the grader uses its own copy.\n")
    if assignment.graphs:
        parts.append("## Graphs\n\nBesides each node on its own, the grader checks these graphs\n"
                     "(the visible ones are in `assignment.yaml`):\n\n"
                     + "".join(f"- {g.title}\n" for g in assignment.graphs.values()))
    parts.append(CHECK.format(files=files))
    return "\n".join(p for p in parts if p)


def _table(nodes: list[NodeType]) -> str:
    rows = ["| class | attributes | forward(...) |", "|---|---|---|"]
    for node in nodes:
        attributes = ", ".join(f"`{k}` (e.g. {v})"
                               for k, v in node.attributes.items())
        args = ", ".join(f"`{i.name}` {_shape(i)}" for i in node.inputs)
        rows.append(f"| `{node.name}` | {attributes} | {args} |")
    return "\n".join(rows) + "\n"


def _section(node: NodeType) -> str:
    lines = [f"### {node.name}\n"]
    if node.description:
        lines.append(node.description.strip() + "\n")
    if node.reference is not None:
        lines.append(f"The grader's reference: `{node.reference.text.strip()}`.\n")
    return "\n".join(lines)


def _shape(inp: Input) -> str:
    if inp.dtype == "int64":
        what = "integer labels"
    else:
        what = "float64"
    if isinstance(inp.shape, str):
        return f"({what}, any shape)"
    if not inp.shape:
        return f"({what}, 0-d)"
    return f"({what}, shape ({', '.join(str(d) for d in inp.shape)}{',' if len(inp.shape) == 1 else ''}))"
