"""From schema-valid YAML data to the assignment model, checking what a schema cannot.

The schema knows types and keys; this module knows meaning: that a test's attributes are the
node's, that every symbolic dim has a range, that a reference only reads the node's inputs
and attributes, that a graph names defined nodes and has no cycle. Every problem is located.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from grader.errors import Problem
from grader.spec.forwardmode import check_examples, check_node, check_points as check_convention_points
from grader.spec.convention import parse as parse_convention
from grader.spec.graphs import GraphBuilder
from grader.spec.jacobians import JacobianBuilder
from grader.spec.params import MASK, merged_spec, param_input, random_mask, random_test, seeded
from grader.spec.pyref import DEFAULT_MODULE, PythonReference, ReferenceModuleError
from grader.spec.pyref import reference as python_reference
from grader.spec.expr import ExprError, Expression, parse_expression
from grader.spec.model import (BUILTIN_DEFAULTS, CHECKS, Assignment, Draw, Example, Input, NodeTest, NodeType, Settings, Tolerance)
from grader.spec.withheld import uncompared
from grader.spec.yamlsource import Document

DRAWN_DTYPES = {"labels": "int64", "bernoulli": "bool"}  # draws that imply their input's dtype
_MERGED = ("dims", "shapes", "tolerance", "points")  # mappings merged key by key
_INHERITED = ("cases", "visibility", "margin", "partial") + _MERGED


def inherit(base: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Settings of a more specific level: its own keys win, mappings merge key by key. (A
    graph's or range test's ``points`` is one number, read by its builder, not merged.)"""
    out = dict(base)
    for key in _INHERITED:
        if key == "points" and not isinstance(spec.get(key), dict):
            continue
        if key in spec:
            out[key] = {**base.get(key, {}), **spec[key]} if key in _MERGED else spec[key]
    return out


class Builder:
    """Builds an Assignment from a Document, collecting problems instead of stopping."""

    def __init__(self, doc: Document, spec_file: Path):
        self.doc = doc
        self.spec_file = spec_file
        self.root = spec_file.parent
        self.problems: list[Problem] = []
        data = doc.data
        self.defaults = {**BUILTIN_DEFAULTS, **data.get("defaults", {})}
        for key in _MERGED:
            self.defaults[key] = {**BUILTIN_DEFAULTS[key], **data.get("defaults", {}).get(key, {})}
        self.files: list[str] = data["files"]
        self.references: str | None = None  # set once a node uses a Python reference

    def merged(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A graph's or node's settings over the spec's defaults."""
        return inherit(self.defaults, spec)

    def error(self, path: tuple, message: str, *, key: bool = False, column: int = 0) -> None:
        self.problems.append(self.doc.problem(path, message, key=key, column_offset=column))

    def warn(self, path: tuple, message: str) -> None:
        self.problems.append(self.doc.problem(path, message, severity="warning"))

    # -- the whole spec ------------------------------------------------------------------

    def check_local(self, value: Any, path: tuple = ()) -> None:
        """Checks of single values, made once where the value is written (not where it is
        inherited): finite numbers, non-empty dims ranges, sensible draw ranges."""
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, f"must be a finite number, got {value}")
        elif isinstance(value, dict):
            for key, item in value.items():
                self.check_local(item, path + (key,))
            if path[-1:] == ("draw",) and path[-2:-1] != ("inputs",):  # not an input named draw
                self.draw(value, path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.check_local(item, path + (i,))
            if len(path) >= 2 and path[-2] == "dims" and len(value) == 2 and value[0] > value[1]:
                self.error(path, f"the range [{value[0]}, {value[1]}] is empty")

    def build(self) -> Assignment:
        data = self.doc.data
        self.check_local(data)
        provided = data.get("provided", [])
        for i, name in enumerate(provided):
            if name in self.files:
                self.error(("provided", i), f"{name} is listed both in files and in provided")
        driver = data.get("driver", {}).get("file")
        if driver is not None and driver not in self.files:
            self.error(("driver", "file"), f"{driver} is not one of the student files ({', '.join(self.files)})")
        if self.doc.file.endswith("assignment.yaml") and self.root.name != data["id"]:
            self.warn(("id",), f"the id {data['id']!r} differs from its folder's name {self.root.name!r}")
        nodes = {name: self.node_type(name, spec) for name, spec in data.get("nodes", {}).items()}
        graphs = {gid: GraphBuilder(self).graph(gid, spec, nodes) for gid, spec in data.get("graphs", {}).items()}
        jacobian = JacobianBuilder(self).build(data.get("jacobian"))
        if not nodes and not graphs and jacobian is None:
            self.error((), "defines no nodes and no graphs: there is nothing to grade")
        solution = (self.root / data.get("solution", f"../../solutions/{data['id']}")).resolve()
        return Assignment(data["id"], data["title"], data.get("description", ""), self.root,
                          self.spec_file, list(self.files), list(provided), driver, solution, nodes,
                          {k: g for k, g in graphs.items() if g is not None},
                          dict(data.get("limits", {})), list(data.get("forbidden_imports", [])),
                          self.references, jacobian, float(data.get("graded_later", 0)), data.get("install", ""))

    # -- inputs, settings, expressions -------------------------------------------------------

    def input(self, name: str, spec: dict[str, Any], path: tuple) -> Input:
        if "param" in spec or "state" in spec:
            return param_input(self, name, spec, path)
        draw = self.draw(spec.get("draw", self.defaults["draw"]))
        dtype = spec.get("dtype", DRAWN_DTYPES.get(draw.kind, self.defaults["dtype"]))
        if (draw.kind == "labels") != (dtype == "int64"):
            self.error(path, "class labels ({labels: C}) go with dtype int64, and int64 inputs "
                             "need a labels draw")
        elif (draw.kind == "bernoulli") != (dtype == "bool"):
            self.error(path, "a boolean mask ({bernoulli: q}) goes with dtype bool, and bool inputs "
                             "need a bernoulli draw")
        graded = spec.get("graded", dtype == "float64" and draw.kind != "constant")
        if graded and dtype != "float64":
            what = "an integer" if dtype == "int64" else "a boolean"
            self.error(path + ("graded",), f"{what} input has no gradient and cannot be graded")
        shape = spec.get("shape", self.defaults["shape"])
        return Input(name, shape if isinstance(shape, str) else tuple(shape), dtype, draw, graded)

    def draw(self, spec: Any, path: tuple | None = None) -> Draw:
        """The Draw a spec describes; with ``path``, also report a bad range there."""
        if isinstance(spec, str):
            return {"normal": Draw("normal", 0.0, 1.0), "uniform": Draw("uniform", -1.0, 1.0),
                    "positive": Draw("positive", 0.5, 2.0)}[spec]
        (kind, arg), = spec.items()
        if kind == "labels":
            return Draw("labels", classes=arg)
        if kind == "constant":
            return Draw("constant", float(arg), float(arg))
        if kind == "bernoulli":
            return Draw("bernoulli", float(arg))
        a, b = arg
        if path is not None and kind in ("uniform", "positive") and not a < b:
            self.error(path + (kind,), f"the range [{a}, {b}] is empty: low must be below high")
        if path is not None and kind == "positive" and a <= 0:
            self.error(path + (kind,), f"a positive draw needs low > 0, got {a}")
        return Draw(kind, float(a), float(b))

    def settings(self, merged: dict[str, Any]) -> Settings:
        dims = {name: tuple(value) if isinstance(value, list) else value
                for name, value in merged["dims"].items()}
        shapes = {k: [tuple(s) for s in v] for k, v in merged["shapes"].items()}
        tol = merged["tolerance"]
        return Settings(merged["cases"], merged["visibility"], Tolerance(tol["rtol"], tol["atol"]),
                        merged["margin"], dims, shapes, merged["partial"])

    def expression(self, text: str, path: tuple, names, static=(), settings=None) -> Expression | None:
        try:
            return parse_expression(text, names, static, settings)
        except ExprError as e:
            self.error(path, f"{e.message} (in {text.strip()!r})", column=e.column)
            return None

    def outputs(self, spec: dict[str, Any], reference: Any, path: tuple, shown: bool = True) -> tuple[str, ...]:
        """A node's several outputs: only a Python reference gives them (one a public spec left
        out excepted), and neither a range test nor an example's output compares them."""
        names = tuple(spec.get("outputs", ()))
        if names and not isinstance(reference, PythonReference) and (reference is not None or shown):
            self.error(path + ("outputs",), "a node with several outputs needs a Python reference that returns "
                                            "one value per output (reference: {python: name})")
        for i, test in enumerate(spec.get("tests", []) if names else []):
            if any("output" in e or "grads" in e for e in test.get("examples", [])):
                self.error(path + ("tests", i, "examples"), "examples of a node with several outputs give inputs only")
        if names and spec.get("range"):
            self.error(path + ("range",), "range tests compare one output; this node has several")
        return names

    def python_reference(self, name: str, path: tuple, inputs: list[str], attributes) -> PythonReference | None:
        self.references = self.doc.data.get("references", DEFAULT_MODULE)
        try:
            return python_reference(self.root, self.references, name, inputs, list(attributes))
        except ReferenceModuleError as e:
            self.error(path + ("python",), str(e))
            return None

    def check_dims(self, inputs: list[Input], settings: Settings, path: tuple) -> None:
        """Every dim a random case needs must have a size or range, directly or via a shape."""
        for inp in [e for i in inputs for e in ([v for _, v in i.param if isinstance(v, Input)] if i.is_param else [i])]:
            shapes = [inp.shape]
            if isinstance(inp.shape, str):
                if inp.shape not in settings.shapes:
                    self.error(path + (inp.name,), f"shape variable {inp.shape!r} is not defined "
                                                   "in shapes (defaults, node or test)")
                    continue
                shapes = settings.shapes[inp.shape]
            needed = [d for s in shapes for d in s if isinstance(d, str)]
            if inp.draw.kind == "labels" and isinstance(inp.draw.classes, str):
                needed.append(inp.draw.classes)
            for dim in needed:
                if dim not in settings.dims:
                    self.error(path + (inp.name,), f"dim {dim!r} cannot be resolved: give it a size "
                                                   "or range in dims (defaults, node or test)")

    def examples(self, specs: list[dict], inputs: list[Input], path: tuple, grad_names) -> list[Example]:
        out, names = [], [i.name for i in inputs]
        for i, spec in enumerate(specs):
            here = path + (i,)
            given = spec["inputs"]
            for inp in inputs:
                if inp.name in given and isinstance(given[inp.name], dict) != inp.is_param:
                    self.error(here + ("inputs", inp.name), f"{inp.name} is a dict of settings: give its entries"
                               if inp.is_param else f"{inp.name} is an array: give a number or a list")
            for name in names:
                if name not in given:
                    self.error(here + ("inputs",), f"gives no value for input {name!r}")
            for name in given:
                if name not in names:
                    self.error(here + ("inputs", name), f"{name!r} is not an input here "
                                                        f"(inputs: {', '.join(names)})", key=True)
            for name in spec.get("grads", {}):
                if name not in grad_names:
                    self.error(here + ("grads", name), f"{name!r} is not an input or node here", key=True)
            out.append(Example(dict(given), spec.get("output"), dict(spec.get("grads", {})), here,
                               dict(spec.get("tangents", {})), spec.get("output_tangent")))
        return out

    def warn_hidden_points(self, visibility: str, points: float, path: tuple) -> None:
        if visibility == "hidden" and points > 0:
            self.warn(path, "a hidden test with points leaves students a total their visible tests "
                            "do not explain; use after_due_date to keep points secret until the deadline")

    # -- node types ---------------------------------------------------------------------------

    def node_type(self, name: str, spec: dict[str, Any]) -> NodeType:
        path = ("nodes", name)
        provided = spec.get("provided", False)
        file = spec.get("file")
        shown = spec.get("show_reference", provided or self.doc.data.get("show_reference", True))
        if provided:
            if "reference" not in spec:
                self.error(path, "a provided node needs a reference: the grader runs it")
            if not shown:
                self.error(path + ("show_reference",), "a provided node is run by the grader from its reference, "
                                                       "in grade check too, so it cannot be left out")
        elif file is None:
            if len(self.files) == 1:
                file = self.files[0]
            else:
                self.error(path, f"say which file defines {name}: file: one of {', '.join(self.files)}")
        elif file not in self.files:
            self.error(path + ("file",), f"{file} is not one of the student files ({', '.join(self.files)})")
        attributes = dict(spec.get("attributes", {}))
        inputs = [self.input(k, v, path + ("inputs", k)) for k, v in spec["inputs"].items()]
        names = [i.name for i in inputs]
        clash = set(names) & set(attributes)
        if clash:
            self.error(path + ("attributes",), f"{sorted(clash)[0]!r} is both an input and an attribute")
        random = random_mask(self, name, spec, inputs, path)
        settings = {i.name: i.keys() for i in inputs if i.is_param}
        scope = (set(names) - set(settings)) | set(attributes) | ({MASK} if "random" in spec else set())
        reference = None
        if isinstance(spec.get("reference"), dict):
            reference = self.python_reference(spec["reference"]["python"], path + ("reference",),
                                              names + ([MASK] if "random" in spec else []), attributes)
        elif "reference" in spec:
            reference = self.expression(spec["reference"], path + ("reference",), scope, attributes, settings)
        elif (random or any(i.state for i in inputs)) and shown:  # left out of a public spec: see withheld
            self.error(path, f"a {'random node' if random else 'node with state'} needs a reference: the grader "
                             f"computes what it expects {'given the mask' if random else 'the state to be'}")
        kinks = [self.expression(k, path + ("kinks", i), scope, attributes, settings)
                 for i, k in enumerate(spec.get("kinks", []))]
        output = spec.get("output", {}).get("shape")
        where = path + ("convention",) if "convention" in spec else ("convention",)
        convention = parse_convention(spec.get("convention", self.doc.data.get("convention")), name, names,
                                      where, self.error)
        node = NodeType(name, file, provided, spec.get("description", ""), attributes, inputs, reference,
                        [k for k in kinks if k is not None],
                        tuple(output) if isinstance(output, list) else output, [], path, convention,
                        self.outputs(spec, reference, path, shown), random, shown)
        check_node(self, node, spec)
        node_settings = inherit(self.defaults, spec)
        if not provided:
            tests = spec["tests"] if "tests" in spec else [{}]
            for i, t in enumerate(tests):
                here = path + ("tests", i) if "tests" in spec else path
                node.tests.append(self.node_test(node, t, node_settings, "node", here))
            for i, t in enumerate(spec.get("range", [])):
                node.tests.append(self.node_test(node, t, node_settings, "range", path + ("range", i)))
        seen: dict[str, tuple] = {}
        for t in node.tests:
            if t.name in seen:
                self.error(t.path + ("name",), f"two tests of {name} are named {t.name!r}")
            seen[t.name] = t.path
        return node

    def node_test(self, node: NodeType, spec: dict, base: dict, kind: str, path: tuple) -> NodeTest:
        merged = inherit(base, spec)
        if kind == "range" and "cases" not in spec and spec.get("examples"):
            merged["cases"] = 0
        attributes = dict(node.attributes)
        for key, value in spec.get("attributes", {}).items():
            if key not in node.attributes:
                known = ", ".join(node.attributes) or "none"
                self.error(path + ("attributes", key), f"{node.name} has no attribute {key!r} "
                                                       f"(its attributes: {known})", key=True)
            attributes[key] = value
        by_name = {i.name: i for i in node.inputs}
        overrides = spec.get("inputs", {})
        for key in overrides:
            if key not in by_name:
                self.error(path + ("inputs", key), f"{node.name} has no input {key!r}", key=True)
        inputs = []
        for inp in node.inputs:
            if inp.name in overrides:
                base_spec = self.doc.data["nodes"][node.name]["inputs"][inp.name]
                inp = self.input(inp.name, merged_spec(base_spec, overrides[inp.name]), path + ("inputs", inp.name))
            inputs.append(inp)
        settings = self.settings(merged)
        if kind == "range":
            points = {"range": spec.get("points", self.defaults["points"]["range"])}
            default_name = "numerical range"
        else:
            points = self.check_points(node, inputs, merged["points"], path)
            given = {**self.doc.data["nodes"][node.name].get("points", {}), **spec.get("points", {})}
            check_convention_points(self, node, points, given, path)
            default_name = "random cases"
        names = [i.name for i in inputs]
        examples = self.examples(spec.get("examples", []), inputs, path + ("examples",), names)
        check_examples(self, examples, inputs, node.convention.forward_mode)
        if settings.cases > 0:
            self.check_dims(inputs, settings, path + ("inputs",) if "inputs" in spec else node.path + ("inputs",))
        if settings.cases == 0 and not examples:
            self.warn(path, "has no cases and no examples: it checks nothing")
        test = NodeTest(node.name, spec.get("name", default_name), kind, attributes, inputs, settings,
                        points, examples, path)
        self.warn_hidden_points(settings.visibility, sum(points.values()), path)
        if "reference" not in self.doc.data["nodes"][node.name]:
            self.refuse_empty_checks(node, points, examples, path)
        return test

    def check_points(self, node: NodeType, inputs: list[Input], given: dict[str, float], path: tuple) -> dict[str, float]:
        """Points per check; the state check only where a param dict has state, the random
        check only in a random node's random tests, whose numeric check needs a seed."""
        points = {c: given.get(c, 0) for c in CHECKS}
        if not any(i.state for i in inputs):
            points["state"] = 0
        random = random_test(node.random, inputs)
        if not random:
            points["random"] = 0
        elif points["numeric"] > 0 and not seeded(node.random, inputs):
            self.error(path, f"{node.name} is random here and its param dict has no seed, so finite differences "
                             "of its forward cannot work: give the param a seed entry (and random: {seed: ...}), "
                             "or points: {numeric: 0}")
        return points

    def refuse_empty_checks(self, node: NodeType, points: dict[str, float], examples: list[Example],
                            path: tuple) -> None:
        """Without a reference, forward and range compare with the examples' outputs and
        backward with their grads; a check with points and none to compare with would award
        them for any answer. (jvp and state need the reference itself: a node that has them
        says so once, unless a public spec left its reference out.)"""
        for check, needs in uncompared(points, examples).items():
            if needs is None and not node.withheld:
                continue
            p = points[check]
            zero = "points: 0" if check == "range" else f"points: {{{check}: 0}}"
            worth = f"{check} check ({p:g} point{'s' if p != 1 else ''})"
            if needs is None:
                self.error(path, f"{node.name}'s reference is left out (show_reference: false), so its {worth} "
                                 f"has nothing to compare with: {zero}")
            else:
                self.error(path, f"{node.name} has no reference and no example here gives {needs}, so its "
                                 f"{worth} would pass any answer: add a reference, examples with {needs}, or {zero}")
