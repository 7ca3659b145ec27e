"""The graph tests of a spec: fixed graphs (named nodes wired to node types or computed by
expressions, in dependency order) and drawn ones (random DAGs of given node types)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grader.spec.forwardmode import check_examples, graph_mode, random_mode
from grader.spec.expr import ExprError, Expression, parse_wiring
from grader.spec.model import GraphNode, GraphTest, NodeType, RandomGraphs
from grader.spec.order import dependency_order

if TYPE_CHECKING:
    from grader.spec.build import Builder


class GraphBuilder:
    """Builds the graph tests, reporting problems through the spec's Builder."""

    def __init__(self, builder: "Builder"):
        self.b = builder

    def graph(self, gid: str, spec: dict[str, Any], types: dict[str, NodeType]) -> GraphTest | None:
        path = ("graphs", gid)
        if "random" in spec:
            return self.random_graph(gid, spec, types)
        if "nodes" not in spec:
            self.b.error(path, "a graph needs nodes and output (a fixed graph) or random (drawn graphs)")
            return None
        inputs = [self.b.input(k, v, path + ("inputs", k)) for k, v in spec.get("inputs", {}).items()]
        input_names = [i.name for i in inputs]
        wiring = spec["nodes"]
        for name in wiring:
            if name in input_names:
                self.b.error(path + ("nodes", name), f"{name!r} is both a graph input and a node", key=True)
        scope = set(input_names) | set(wiring)
        nodes: dict[str, GraphNode] = {}
        for name, text in wiring.items():
            node = self.graph_node(name, text, types, scope, path + ("nodes", name))
            if node is not None:
                nodes[name] = node
        ordered, cycle = dependency_order(nodes)
        if cycle:
            self.b.error(path + ("nodes", cycle[0]), "the graph has a cycle: " + " -> ".join(cycle))
        output = spec["output"]
        if output not in wiring:
            self.b.error(path + ("output",), f"output {output!r} is not one of the graph's nodes "
                                           f"({', '.join(wiring)})")
        merged = self.b.merged(spec)
        settings = self.b.settings(merged)
        examples = self.b.examples(spec.get("examples", []), inputs, path + ("examples",),
                                 set(input_names) | set(wiring))
        forward = graph_mode(self.b, nodes.values(), types, path)
        check_examples(self.b, examples, inputs, forward)
        if settings.cases > 0:
            self.b.check_dims(inputs, settings, path + ("inputs",))
        points = spec.get("points", self.b.defaults["points"]["graph"])
        self.b.warn_hidden_points(settings.visibility, points, path)
        if ordered is None:
            return None
        return GraphTest(gid, spec.get("title", gid), inputs, ordered, output, examples, settings,
                         points, path, forward=forward)

    def random_graph(self, gid: str, spec: dict[str, Any], types: dict[str, NodeType]) -> GraphTest | None:
        path = ("graphs", gid)
        for key in ("nodes", "output", "inputs", "examples"):
            if key in spec:
                self.b.error(path + (key,), f"a graph with random draws its own nodes and inputs: "
                                          f"remove {key!r}, or remove random", key=True)
        r = spec["random"]
        for i, name in enumerate(r["types"]):
            if name not in types:
                self.b.error(path + ("random", "types", i), f"{name!r} is not a node type of this spec")
            elif types[name].reference is None:
                self.b.error(path + ("random", "types", i), f"{name} has no reference, so the grader "
                                                          "cannot compute this graph's expected values")
            elif any(inp.dtype != "float64" for inp in types[name].inputs) or types[name].random:
                what = "is random" if types[name].random else "takes inputs other than float arrays"
                self.b.error(path + ("random", "types", i), f"{name} {what}, which a random graph cannot wire")
        span = lambda v, default: tuple(v) if isinstance(v, list) else (v, v) if v is not None else default
        nodes, leaves = span(r.get("nodes"), (5, 20)), span(r.get("leaves"), (1, 3))
        for key, (lo, hi) in (("nodes", nodes), ("leaves", leaves)):
            if lo > hi:
                self.b.error(path + ("random", key), f"the range [{lo}, {hi}] is empty")
        leaf = self.b.input("x", r.get("leaf", {}), path + ("random", "leaf"))
        if leaf.dtype != "float64":
            self.b.error(path + ("random", "leaf"), f"a random graph's leaves feed float inputs: its leaf "
                                                   f"cannot be {'class labels' if leaf.dtype == 'int64' else 'a boolean mask'}")
        merged = self.b.merged(spec)
        settings = self.b.settings(merged)
        if settings.cases > 0:
            self.b.check_dims([leaf], settings, path + ("random",))
        points = spec.get("points", self.b.defaults["points"]["graph"])
        self.b.warn_hidden_points(settings.visibility, points, path)
        random = RandomGraphs(nodes, leaves, tuple(r["types"]), float(r.get("chain", 0.6)), leaf)
        forward = random_mode(self.b, list(r["types"]), types, path)
        return GraphTest(gid, spec.get("title", gid), [], [], "", [], settings, points, path, random, forward)

    def graph_node(self, name: str, text: str, types: dict[str, NodeType], names: set[str],
                   path: tuple) -> GraphNode | None:
        try:
            parsed = parse_wiring(text, types, names)
        except ExprError as e:
            self.b.error(path, f"{e.message} (in {text.strip()!r})", column=e.column)
            return None
        if isinstance(parsed, Expression):
            return GraphNode(name, None, sorted(parsed.names), {}, parsed)
        node_type = types[parsed.type]
        if node_type.outputs:
            self.b.error(path, f"{parsed.type} has several outputs ({', '.join(node_type.outputs)}); "
                               "a graph wires nodes of one output")
            return None
        if node_type.random or any(i.is_param for i in node_type.inputs):
            self.b.error(path, f"{parsed.type} takes a dict of settings{' and is random' if node_type.random else ''}; "
                               "a graph wires nodes of arrays alone")
            return None
        if len(parsed.args) != len(node_type.inputs):
            wanted = ", ".join(i.name for i in node_type.inputs)
            self.b.error(path, f"{parsed.type} takes {len(node_type.inputs)} input(s) ({wanted}), "
                             f"got {len(parsed.args)}")
        for key in parsed.attributes:
            if key not in node_type.attributes:
                self.b.error(path, f"{parsed.type} has no attribute {key!r}")
        if node_type.reference is None:
            self.b.error(path, f"{parsed.type} has no reference, so the grader cannot compute this "
                             "graph's expected values")
        return GraphNode(name, parsed.type, parsed.args, {**node_type.attributes, **parsed.attributes}, None)
