"""The public part of a spec: what students may see, for ``grade check`` on their machine.

Only tests whose visibility is ``visible`` remain (hidden, after_due_date and
after_published ones are removed, examples and all), so the visible tests cannot reveal the
others; ``graded_later`` keeps only how many points they carry, for ``grade check`` to say. The result is written as plain YAML that reads back as the same data.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from grader.spec.model import Assignment
from grader.spec.yamlsource import resolve_plain

HEADER = ("# The public part of the {id} spec, written by `grade template`: visible tests only.\n"
          "# Run `grade check` in this folder to grade your work on these tests.\n")


def public_data(assignment: Assignment, data: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec's data without any test that students may not see."""
    data = copy.deepcopy(data)
    data.pop("solution", None)
    later = assignment.points_later()
    if later:  # beside the files, where a student reading the spec looks first
        at = list(data).index("files") + 1
        items = list(data.items())
        data = dict(items[:at] + [("graded_later", int(later) if float(later).is_integer() else later)] + items[at:])
    for name, node in assignment.nodes.items():
        spec = data["nodes"][name]
        hidden = {t.path for t in node.tests if t.settings.visibility != "visible"}
        if ("nodes", name) in hidden:  # the implicit test of a node that lists none
            spec["tests"] = []
        for kind in ("tests", "range"):
            if spec.get(kind):
                spec[kind] = [t for i, t in enumerate(spec[kind]) if ("nodes", name, kind, i) not in hidden]
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
