"""The public part of a spec: what students may see, for ``grade check`` on their machine.

Only tests whose visibility is ``visible`` remain (hidden, after_due_date and
after_published ones are removed, examples and all), so the visible tests cannot reveal the
others. A node whose reference is not to be shown (``show_reference: false``) loses its
reference and keeps ``show_reference: false``; its checks that would then compare nothing
get no points, and its range tests with nothing to compare with and the visible graphs that
use it are left out (see ``grader.spec.withheld``). ``graded_later`` keeps only how many
points all that carries, for ``grade check`` to say. The result is written as plain YAML
that reads back as the same data.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from grader.spec.model import Assignment
from grader.spec.withheld import left_out, uncompared, uses
from grader.spec.yamlsource import resolve_plain

HEADER = ("# The public part of the {id} spec, written by `grade template`: visible tests only.\n"
          "# Run `grade check` in this folder to grade your work on these tests.\n")


def public_data(assignment: Assignment, data: dict[str, Any], module: str | None) -> dict[str, Any]:
    """A copy of the spec's data without any test that students may not see, nor any
    reference the spec keeps from them; ``module``: the reference module as students get it
    (``public_references``), None when they get none."""
    data = copy.deepcopy(data)
    data.pop("solution", None)
    data.pop("show_reference", None)  # said per node below, only where a reference is left out
    left = [t.path for t in assignment.node_tests if t.settings.visibility != "visible"]
    moved = _withhold(assignment, data, left, module)
    later = assignment.points_later() + moved
    if later:  # beside the files, where a student reading the spec looks first
        at = list(data).index("files") + 1
        items = list(data.items())
        data = dict(items[:at] + [("graded_later", int(later) if float(later).is_integer() else later)] + items[at:])
    for name in assignment.nodes:
        spec = data["nodes"][name]
        if ("nodes", name) in left:  # the implicit test of a node that lists none
            spec["tests"] = []
        for kind in ("tests", "range"):
            if spec.get(kind):
                spec[kind] = [t for i, t in enumerate(spec[kind]) if ("nodes", name, kind, i) not in left]
    for gid, graph in assignment.graphs.items():
        if graph.settings.visibility != "visible":
            del data["graphs"][gid]
    if data.get("graphs") == {}:
        del data["graphs"]
    if assignment.jacobian is not None:
        kept = [t for t, test in zip(data["jacobian"]["tests"], assignment.jacobian.tests)
                if test.settings.visibility == "visible"]
        if kept:
            data["jacobian"]["tests"] = kept
        else:
            del data["jacobian"]
    return data


def _withhold(assignment: Assignment, data: dict[str, Any], left: list[tuple], module: str | None) -> float:
    """Leave out the references that are not to be shown: each such node keeps
    ``show_reference: false`` in their place, its visible checks that would compare nothing
    get 0 points, and its visible range tests of that kind join ``left``; the visible graphs
    that use it are removed. Returns the points all that moves to after the deadline."""
    hidden = [name for name, node in assignment.nodes.items() if left_out(node)]
    for name in set(assignment.nodes) - set(hidden):  # show_reference: false marks the left-out ones alone
        data["nodes"][name].pop("show_reference", None)
    moved = 0.0
    for name in hidden:
        node, spec = assignment.nodes[name], data["nodes"][name]
        data["nodes"][name] = spec = {("show_reference" if k == "reference" else k): (False if k == "reference" else v)
                                      for k, v in spec.items() if k != "show_reference"}
        for test in node.tests:
            if test.settings.visibility != "visible":
                continue
            checks = uncompared(test.points, test.examples)
            moved += sum(test.points[c] for c in checks)
            if test.kind == "range" and checks:
                left.append(test.path)
            elif checks:
                where = spec if test.path == node.path else spec["tests"][test.path[-1]]
                where["points"] = {**where.get("points", {}), **dict.fromkeys(checks, 0)}
    for gid, graph in assignment.graphs.items():
        if uses(graph, set(hidden)) and graph.settings.visibility == "visible":
            moved += graph.points
            del data["graphs"][gid]
    if hidden and not module:
        data.pop("references", None)
    return moved


class _Dumper(yaml.SafeDumper):
    """Quotes every string that a YAML 1.2 reader would take for a number, bool or null."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if not isinstance(resolve_plain(value), str) else None
    if "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: dict[str, Any], assignment_id: str) -> str:
    """YAML text of ``data`` with a header saying what it is."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=None)
    return HEADER.format(id=assignment_id) + body
