"""The assignment model: what a spec means once defaults are applied and names resolved.

The YAML is for people; these dataclasses are for the grader. Every test carries its own
fully merged settings (dims, tolerance, points, visibility...), so code that runs a test
never looks back at defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.spec.convention import Convention
from grader.spec.expr import Expression
from grader.spec.pyref import PythonReference

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
CHECKS = ("forward", "backward", "jvp", "numeric", "no_mutation", "independence", "state", "random")
JACOBIAN_CHECKS = ("jacobian", "calls", "no_mutation")

BUILTIN_DEFAULTS: dict[str, Any] = {
    "cases": 5,
    "visibility": "visible",
    "tolerance": {"rtol": 1e-6, "atol": 1e-8},
    "margin": 1e-2,
    "points": {"forward": 1, "backward": 2, "jvp": 2, "numeric": 1, "no_mutation": 0.5,
               "independence": 0.5, "state": 1, "random": 1, "range": 1, "graph": 2,
               "jacobian": 2, "calls": 1},
    "partial": True,
    "draw": "normal",
    "dtype": "float64",
    "shape": [],
    "dims": {},
    "shapes": {},
}


@dataclass(frozen=True)
class Draw:
    """How an input's values are drawn: normal(a=mean, b=std), uniform or positive in [a, b],
    constant (every entry a), integer labels in [0, classes), or bernoulli (a boolean mask,
    each entry True with probability a)."""

    kind: str
    a: float = 0.0
    b: float = 1.0
    classes: int | str | None = None


@dataclass(frozen=True)
class Input:
    """One argument of forward (or one leaf of a graph). A param input (``bn_param``) is a
    dict of settings: each entry a fixed value, or an Input drawn like one (shape ``[D]``, or
    ``[]`` for a number); ``state`` names the entries the node updates in place."""

    name: str
    shape: tuple[int | str, ...] | str  # dims, or the name of a shape variable
    dtype: str
    draw: Draw
    graded: bool
    param: tuple[tuple[str, Any], ...] | None = None  # a param dict's entries: (key, value or Input)
    state: tuple[str, ...] = ()

    @property
    def is_param(self) -> bool:
        return self.param is not None

    def keys(self) -> set[str]:
        """The entries a param dict may hold: its settings and its state."""
        return {k for k, _ in self.param or ()} | set(self.state)


@dataclass(frozen=True)
class RandomMask:
    """A random node (dropout): its output keeps each entry of ``input`` with the probability
    in ``param[keep]`` (or drops it with ``param[drop]``) and zeroes the rest; ``param[seed]``
    fixes the mask. It is random only when the param's entries match ``when``."""

    input: str
    param: str
    keep: str | None
    drop: str | None
    seed: str | None
    when: tuple[tuple[str, Any], ...] = ()

    def applies(self, settings: dict[str, Any]) -> bool:
        """Whether a case with these param entries is random."""
        return all(settings.get(k) == v for k, v in self.when)

    def keep_probability(self, settings: dict[str, Any]) -> float:
        return float(settings[self.keep]) if self.keep else 1.0 - float(settings[self.drop])


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


@dataclass
class Example:
    """A fixed case: input values, and optionally the output and gradients the spec expects;
    in forward mode, the inputs' tangents and the output's tangent along them."""

    inputs: dict[str, Any]
    output: Any = None
    grads: dict[str, Any] = field(default_factory=dict)
    path: tuple = ()
    tangents: dict[str, Any] = field(default_factory=dict)
    output_tangent: Any = None


@dataclass
class Settings:
    """What a node test, range test or graph test inherits from defaults and may override."""

    cases: int
    visibility: str
    tolerance: Tolerance
    margin: float
    dims: dict[str, int | tuple[int, int]]
    shapes: dict[str, list[tuple[int | str, ...]]]
    partial: bool = True   # score the fraction of passing cases, or all-or-nothing


@dataclass
class NodeTest:
    """A group of cases on one node type: random ones and the spec's examples."""

    node: str
    name: str
    kind: str                      # "node" (value and gradient checks) or "range" (finiteness)
    attributes: dict[str, Any]
    inputs: list[Input]
    settings: Settings
    points: dict[str, float]       # per check for "node"; {"range": p} for "range"
    examples: list[Example]
    path: tuple = ()

    @property
    def title(self) -> str:
        return f"{self.node}: {self.name}"


@dataclass
class NodeType:
    """A class students implement (or the grader provides), and how it is tested."""

    name: str
    file: str | None
    provided: bool
    description: str
    attributes: dict[str, Any]
    inputs: list[Input]
    reference: Expression | PythonReference | None
    kinks: list[Expression]
    output_shape: tuple[int | str, ...] | str | None
    tests: list[NodeTest]
    path: tuple = ()
    convention: Convention = Convention()  # how students write it (a class, unless the spec says)
    outputs: tuple[str, ...] = ()  # names of several outputs (an LSTM step's next_h, next_c); () for one
    random: RandomMask | None = None  # a dropout-like node, whose mask is read off its output
    show_reference: bool = True  # false: the student template leaves the reference out (see withheld)

    @property
    def withheld(self) -> bool:
        """A node of a public spec whose reference the template left out (``show_reference:
        false`` and no reference): ``grade check`` runs only the checks that need none."""
        return not self.show_reference and self.reference is None and not self.provided


@dataclass
class GraphNode:
    """One entry of a graph: an instance of a node type, or a grader-computed expression."""

    name: str
    type: str | None
    args: list[str | float]
    attributes: dict[str, Any]
    expression: Expression | None


@dataclass(frozen=True)
class RandomGraphs:
    """How a graph test draws a new DAG per case (see grader.spec.randomgraph)."""

    nodes: tuple[int, int]
    leaves: tuple[int, int]
    types: tuple[str, ...]
    chain: float
    leaf: Input


@dataclass
class GraphTest:
    """A graph wired from named nodes, with the output whose gradients are checked."""

    id: str
    title: str
    inputs: list[Input]
    nodes: list[GraphNode]         # in topological order
    output: str
    examples: list[Example]
    settings: Settings
    points: float
    path: tuple = ()
    random: RandomGraphs | None = None  # set for drawn graphs; nodes and inputs then come per case
    forward: bool = False  # run forward mode (its nodes have the jvp convention): values and tangents

    @property
    def types(self) -> set[str]:
        """The node types it wires: for a drawn graph, every type it may draw."""
        if self.random is not None:
            return set(self.random.types)
        return {n.type for n in self.nodes if n.type}


@dataclass
class JacobianTest:
    """Cases of the student's ``jacobian(f, x)`` on one of the grader's smooth maps: its
    parameters and x drawn per case (sizes from ``settings.dims``), or given by examples."""

    name: str
    map: str
    settings: Settings
    points: dict[str, float]       # per check: jacobian (values), calls (exactly len(x)), no_mutation
    examples: list[Example]
    path: tuple = ()


@dataclass
class JacobianSpec:
    """The student's forward-mode Jacobian function and its tests."""

    function: str
    file: str
    tests: list[JacobianTest]


@dataclass
class Assignment:
    """A whole validated spec."""

    id: str
    title: str
    description: str
    root: Path
    spec_file: Path
    files: list[str]
    provided: list[str]
    driver_file: str | None
    solution: Path
    nodes: dict[str, NodeType]
    graphs: dict[str, GraphTest]
    limits: dict[str, float] = field(default_factory=dict)
    forbidden_imports: list[str] = field(default_factory=list)
    references: str | None = None  # the instructor's module of Python references, when a node uses one
    jacobian: JacobianSpec | None = None  # the student's jacobian(f, x), when the spec grades one
    graded_later: float = 0.0  # points of tests a public spec left out (written by grade template)
    install: str = ""  # what students pip install to get `grade` (empty: this grader's package)

    @property
    def shipped(self) -> list[str]:
        """The assignment folder's files that go with the spec to students and to Gradescope:
        the provided files and the module of Python references."""
        return self.provided + ([self.references] if self.references else [])

    @property
    def node_tests(self) -> list[NodeTest]:
        return [t for node in self.nodes.values() for t in node.tests]

    def max_points(self, visible_only: bool = False) -> float:
        """All the points of the spec's tests, or those of its visible tests."""
        def counted(test) -> bool:
            return not visible_only or test.settings.visibility == "visible"
        total = sum(sum(t.points.values()) for t in self.node_tests if counted(t))
        total += sum(sum(t.points.values()) for t in (self.jacobian.tests if self.jacobian else []) if counted(t))
        return total + sum(g.points for g in self.graphs.values() if counted(g))

    def points_later(self) -> float:
        """Points graded on tests students do not see before the deadline: those this spec
        holds that are not visible, and those its public version left out."""
        return self.max_points() - self.max_points(visible_only=True) + self.graded_later
