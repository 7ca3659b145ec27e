"""The README students get with their template: the task, each node's math and shapes (its
reference formula, unless the spec says not to show it), the rules of the contract (forward
mode's ``jvp`` and ``jacobian(f, x)`` where the assignment has them), and how to check their
work."""

from __future__ import annotations

from grader import __version__
from grader.spec.model import Assignment, Input, NodeType
from grader.spec.withheld import differenced, left_out, uses

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

JVP = """\
## Forward mode: `jvp`

`jvp(self, *input_tangents)` is called after `forward` on the same instance, with one tangent
per input, each shaped like its input (a node of inputs `x, y` gets `jvp(x_dot, y_dot)`). It
returns the output's tangent, shaped like the output: the sum over the inputs of
∂out/∂input times that input's tangent. For out = sin(x) that is `np.cos(x) * x_dot`, not
`np.cos(x)`; for out = x · y it is `x_dot * y + x * y_dot`, one term per input. Run through
a graph in topological order, the tangent of the output is the derivative of the graph
along its inputs' tangents: seed `x1_dot = 1` and every other input's with 0, and it is
∂f/∂x1.
"""

JVP_RULES = """\
## Rules

- `forward` takes numpy arrays (float64) and returns the output. Keep on `self` whatever
  `jvp` needs.
- `jvp(*input_tangents)` is called on the instance whose `forward` ran last, with one tangent
  per input; it returns one array, the output's tangent, shaped like the output.
- Several instances of a class may be alive at once: keep state on `self`, never on the class.
- Do not modify the input arrays or the tangents: compute new arrays.
- Use numpy and the Python standard library. Importing torch, jax, tensorflow, autograd or
  the grader itself is not allowed. Printing is fine.
"""

JACOBIAN = """\
## `{function}(f, x)`

`f(x, x_dot) -> (y, y_dot)` evaluates a function forward mode (the grader supplies it): `x`
and `x_dot` are 1-d arrays of length len(x), `y` and `y_dot` 1-d arrays of length len(y), and
`y_dot` is the derivative of y along `x_dot`. `{function}(f, x)` returns dy/dx, an array of
shape (len(y), len(x)), built from exactly len(x) calls of f, one per input direction: with
`x_dot = e_j` (1 at j, 0 elsewhere), `y_dot` is column j. The grader counts the calls. Call
f with one tangent at a time, at the `x` you were given, and leave `x` unmodified.

The grader calls it with these functions f:

{maps}
"""

CHECK = """\
## Checking your work

Install the grader once (Python 3.10 or newer; in a virtual environment if you like:
`python3 -m venv .venv` and `. .venv/bin/activate` first):

```bash
pip install "{install}"
```

That gives you the `grade` command. Then run, in this folder,

```bash
grade check
```

It grades your {files} on the visible tests of `assignment.yaml` and says, for each node,
what is right and what is wrong (`grade check --node NAME` for one node). The tests that
grade your submission include these and more, drawn at other shapes and values, so make
every node right in general, not only on the visible cases.
"""


def student_readme(assignment: Assignment) -> str:
    """Markdown for ``student_template/<id>/README.md``."""
    files = ", ".join(f"`{f}`" for f in assignment.files)
    parts = [f"# {assignment.title}\n", assignment.description.strip() + "\n" if assignment.description else ""]
    graded = [n for n in assignment.nodes.values() if not n.provided]
    classes = [n for n in graded if n.convention.kind == "class"]
    others = [n for n in graded if n.convention.kind != "class"]
    forward_mode = bool(graded) and all(n.convention.forward_mode for n in graded)
    if forward_mode:
        also = f", and the function `{assignment.jacobian.function}(f, x)`" if assignment.jacobian else ""
        parts.append(f"## Your task\n\nIn {files}, implement `forward` and `jvp` of each class below{also}:\n"
                     "replace every `raise NotImplementedError(...)` with your code.\n")
        parts.append(_table(graded))
        parts.append(JVP)
    elif classes and not others:
        parts.append(f"## Your task\n\nIn {files}, implement `forward` and `backward` of each class "
                     "below:\nreplace every `raise NotImplementedError(...)` with your code.\n")
        parts.append(_table(graded))
    elif graded:
        parts.append(f"## Your task\n\nIn {files}, write what is below: replace every "
                     "`raise NotImplementedError(...)` with your code.\n")
        parts.append(_calls(graded))
    if graded:
        parts.extend(_section(n) for n in graded)
        rules = JVP_RULES if forward_mode else RULES if not others else _rules(graded)
        parts.append(rules + _settings_rules(graded))
    else:
        parts.append(f"## Your task\n\nIn {files}, replace every `raise NotImplementedError(...)` "
                     "with your code.\n")
    if assignment.jacobian:
        parts.append(_jacobian(assignment))
    if assignment.provided:
        given = ", ".join(f"`{f}`" for f in assignment.provided)
        parts.append(f"## Files you are given\n\n{given}: read, do not edit; the grader uses its own copy.\n")
    if assignment.graphs:
        hidden = {n.name for n in assignment.nodes.values() if left_out(n)}
        later = " (checked after the deadline: it uses a node whose reference is not shown)"
        parts.append("## Graphs\n\nBesides each node on its own, the grader checks these graphs\n"
                     "(the visible ones are in `assignment.yaml`):\n\n"
                     + "".join(f"- {g.title}{later if uses(g, hidden) else ''}\n" for g in assignment.graphs.values()))
    parts.append(CHECK.format(files=files, install=assignment.install or f"backprop-grader=={__version__}"))
    return "\n".join(p for p in parts if p)


def _table(nodes: list[NodeType]) -> str:
    rows = ["| class | attributes | forward(...) |", "|---|---|---|"]
    for node in nodes:
        attributes = ", ".join(f"`{k}` (e.g. {v})"
                               for k, v in node.attributes.items())
        args = ", ".join(f"`{i.name}` {_shape(i)}" for i in node.inputs)
        rows.append(f"| `{node.name}` | {attributes} | {args} |")
    return "\n".join(rows) + "\n"


def _calls(nodes: list[NodeType]) -> str:
    """A row per function or method to write, in each node's calling convention."""
    rows = ["| node | you write | it returns |", "|---|---|---|"]
    for node in nodes:
        c, inputs = node.convention, [i.name for i in node.inputs]
        floats = [i.name for i in node.inputs if i.dtype == "float64"]
        grads = ", ".join(f"d{n}" for n in floats)
        grads = f"({grads})" if len(floats) > 1 else grads
        args = ", ".join(f"`{i.name}` {_shape(i)}" for i in node.inputs)
        if c.kind == "class":
            calls = [(f"`{node.name}(...).forward(...)`: {args}", "the output"),
                     (f"`{node.name}(...).backward(grad_output)`", f"one gradient per input, {grads}")]
        elif c.kind in ("functions", "static"):
            forward = c.forward if c.kind == "functions" else f"{c.forward}.forward"
            backward = c.backward if c.kind == "functions" else f"{c.forward}.backward"
            outs = ", ".join(node.outputs or ["out"])
            upstream = ", ".join(f"d{o}" for o in node.outputs or ["out"])
            calls = [(f"`{forward}({', '.join(inputs)})`: {args}", f"`({outs}, cache)`"),
                     (f"`{backward}({upstream}, cache)`", grads)]
        elif c.kind == "jvp":
            dots = ", ".join(f"{n}_dot" for n in inputs)
            calls = [(f"`{node.name}(...).forward(...)`: {args}", "the output"),
                     (f"`{node.name}(...).jvp({dots})`", "the output's tangent")]
        elif c.kind == "loss":
            calls = [(f"`{c.forward}({', '.join(inputs)})`: {args}", f"`(loss, d{inputs[0]})`")]
        else:
            params = {p: g for p, g in c.parameters}
            rest = [i for i in inputs if i not in params]
            attrs = ", ".join(f"`self.{p}`" for p in params)
            left = ", ".join(f"`self.{g}`" for g in params.values())
            calls = [(f"`{node.name}(...).forward({', '.join(rest)})` with {attrs} set: {args}", "the output"),
                     (f"`{node.name}(...).backward(dout)`", f"d{rest[0]}, and sets {left}" if len(rest) == 1
                      else f"({', '.join('d' + r for r in rest)}), and sets {left}")]
        rows += [f"| `{node.name}` | {call} | {returns} |" for call, returns in calls]
    return "\n".join(rows) + "\n"


def _rules(nodes: list[NodeType]) -> str:
    """The rules, for an assignment whose nodes are not (all) classes."""
    return """\
## Rules

- Inputs are numpy arrays (float64; integer arrays for class labels). Return new arrays: do
  not modify the inputs or `dout`.
- A backward returns the gradients of the float inputs, in order, each shaped like its input
  (a bare array when there is one); integer inputs get none.
- A `cache` is whatever your forward needs to keep for backward; the grader passes it back
  unchanged and never looks inside.
- Several calls may be in flight at once: keep state in the cache or on `self`, never in
  module-level variables.
- Use numpy and the Python standard library. Importing torch, jax, tensorflow, autograd or
  the grader itself is not allowed. Printing is fine.
"""


def _settings_rules(nodes: list[NodeType]) -> str:
    """Rules for dicts of settings, boolean masks and random nodes, when the assignment has them."""
    settings = [i for n in nodes for i in n.inputs if i.is_param]
    rules = []
    masks = sorted({f"`{i.name}`" for n in nodes for i in n.inputs if i.dtype == "bool"})
    if masks:
        rules.append(f"- A boolean mask ({', '.join(masks)}) is a numpy array of dtype bool (True where an entry "
                     "counts) and gets no gradient.")
    if settings:
        state = sorted({f"`{i.name}['{k}']`" for i in settings for k in i.state})
        rules.append("- A dict of settings (" + ", ".join(sorted({f"`{i.name}`" for i in settings})) + ") is passed "
                     "as is and gets no gradient. Leave its settings as they are"
                     + (f"; update in place only {', '.join(state)}, as described." if state else "."))
    if any(n.random for n in nodes):
        rules.append("- A random node's mask is read off your output (an entry that comes out as 0 was dropped): "
                     "the output and backward are checked given that mask, the fraction kept must be plausible, "
                     "and the same seed must give the same mask.")
    return "\n".join(rules) + "\n" if rules else ""


def _jacobian(assignment: Assignment) -> str:
    """What ``jacobian(f, x)`` is given and returns, and the maps the grader calls it with."""
    from grader.spec.maps import MAPS

    used = dict.fromkeys(t.map for t in assignment.jacobian.tests)
    maps = "".join(f"- {MAPS[name].description}\n" for name in used)
    return JACOBIAN.format(function=assignment.jacobian.function, maps=maps.rstrip("\n"))


def _section(node: NodeType) -> str:
    lines = [f"### {node.name}\n"]
    if node.description:
        lines.append(node.description.strip() + "\n")
    if left_out(node):
        step = "jvp" if node.convention.forward_mode else "backward"
        here = f"`grade check` checks your {step} against finite differences of your own forward. " \
            if differenced(node) else ""
        lines.append(f"Its reference formula is not shown. {here}Forward and {step} against the reference are "
                     "checked after the deadline.\n")
    elif node.reference is not None:
        lines.append(f"The grader's reference: `{node.reference.text.strip()}`.\n")
    return "\n".join(lines)


def _shape(inp: Input) -> str:
    if inp.is_param:
        entries = [f"`{k}` {_setting(v)}" for k, v in inp.param]
        entries += [f"`{k}` (state)" for k in inp.state if k not in dict(inp.param)]
        return f"(a dict: {', '.join(entries)})" if entries else "(a dict)"
    what = {"int64": "integer labels", "bool": "boolean mask"}.get(inp.dtype, "float64")
    if isinstance(inp.shape, str):
        return f"({what}, any shape)"
    if not inp.shape:
        return f"({what}, 0-d)"
    return f"({what}, shape ({', '.join(str(d) for d in inp.shape)}{',' if len(inp.shape) == 1 else ''}))"


def _setting(value) -> str:
    """One entry of a dict of settings: its value, or what is drawn there."""
    if not isinstance(value, Input):
        return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    if value.dtype == "int64":
        return "a whole number"
    if value.dtype == "bool" and value.shape == ():
        return "true or false"
    return "a number" if value.shape == () else _shape(value)[1:-1].replace("float64, ", "an array of ")
