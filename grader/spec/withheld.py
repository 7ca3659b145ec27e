"""References left out of the student template (``show_reference: false``), and what that
leaves ``grade check`` to compare with.

An instructor may keep a node's reference from students: the template's README then omits
its formula, and its public spec its expression (or Python function), so ``grade check``
has no truth for that node. The checks that compare with the truth can then compare only
with examples that give the values (forward and range an ``output``, backward ``grads``);
jvp and state always need the reference. ``uncompared`` names the checks of a test that
would compare nothing: the public spec gives them no points and counts those points among
the ones graded after the deadline, with the instructor's spec. The checks that need no
truth run as ever: backward against finite differences of the student's own forward,
inputs left unmodified, two instances at once, a random node's mask. A graph that uses
such a node cannot be computed without its reference, so it waits for the deadline too.
"""

from __future__ import annotations

from grader.spec.model import Example, GraphTest, NodeType

# what an example must give for a check to have something to compare with (None: only the reference will do)
NEEDS: dict[str, str | None] = {"forward": "an output", "backward": "grads", "range": "an output",
                                "jvp": None, "state": None}


def left_out(node: NodeType) -> bool:
    """Whether the template leaves this node's reference out: it has one, it is the students'
    to write, and ``show_reference`` is false."""
    return not node.show_reference and node.reference is not None and not node.provided


def uncompared(points: dict[str, float], examples: list[Example]) -> dict[str, str | None]:
    """The checks with points that have nothing to compare with when there is no reference,
    each with what an example would have to give instead."""
    given = {"an output": any(e.output is not None for e in examples), "grads": any(e.grads for e in examples)}
    return {check: needs for check, needs in NEEDS.items()
            if points.get(check, 0) > 0 and (needs is None or not given[needs])}


def uses(graph: GraphTest, names: set[str]) -> bool:
    """Whether a graph wires a node of one of these types (a drawn graph: may draw one)."""
    return bool(graph.types & names)


def differenced(node: NodeType) -> bool:
    """Whether ``grade check`` compares the node's backward (or jvp) with finite differences
    of its own forward: a visible test gives the numeric check points."""
    return any(t.points.get("numeric", 0) > 0 for t in node.tests if t.settings.visibility == "visible")
