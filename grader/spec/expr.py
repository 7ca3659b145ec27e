"""Reference expressions: a small, safe language over the engine's ops.

A spec writes a node's reference as ``mean((pred - target) ** 2)`` and a graph's wiring as
``Pow(b, p=3)``. Both are parsed with ``ast`` and checked against a whitelist: names the
caller allows, numbers, the operators + - * / ** @ and comparisons, calls to registered ops
(tensor arguments positional, op parameters as keywords; the ops that join several tensors
take them as one tuple, ``concat((a, b), axis=1)``), and numpy's basic indexing,
``x[:, H:2 * H]``, whose bounds are whole numbers known before evaluation (numbers and
attributes), and a param dict's entries, ``conv_param['stride']``. Nothing is ever ``eval``-ed; an expression is evaluated by walking its tree and
calling the engine (an index becomes the ``getitem`` op).
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping

import numpy as np

from grader.engine import OPS, Var, apply

MAX_LENGTH = 2000

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
           ast.MatMult: "matmul"}
_COMPARE = {ast.Gt: "gt", ast.GtE: "ge", ast.Lt: "lt", ast.LtE: "le"}
_INDEX_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                     ast.FloorDiv: operator.floordiv}


class ExprError(Exception):
    """A located problem in an expression; ``column`` is 0-based within the expression."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass
class Expression:
    """A parsed, checked expression and the names it reads."""

    text: str
    tree: ast.expr
    names: set[str] = field(default_factory=set)

    def evaluate(self, env: Mapping[str, Any], replace: Mapping[str, Callable[..., Any]] | None = None) -> Var:
        """The expression's value as an engine Var; ``env`` maps names to Vars or numbers.

        ``replace`` swaps ops by name for numpy functions of the same arguments and
        parameters (to replay a known mistake); what they compute has no gradient.
        """
        out = _Evaluator(env, replace or {}).visit(self.tree)
        return out if isinstance(out, Var) else Var(out)

    @property
    def ops(self) -> set[str]:
        """The names of the ops the expression calls (``getitem`` for an index)."""
        nodes = list(ast.walk(self.tree))
        return {n.func.id for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)} | \
            ({"getitem"} if any(isinstance(n, ast.Subscript) for n in nodes) else set())


@dataclass
class NodeCall:
    """A graph wiring ``name: Type(arg, ..., attr=value)``: one instance of a node type."""

    type: str
    args: list[str | float]
    attributes: dict[str, Any]
    columns: list[int]  # column of each argument, for messages


def _parse(text: str) -> ast.expr:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"is longer than {MAX_LENGTH} characters")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        hint = ""
        if "never closed" in e.msg or "unmatched" in e.msg:
            hint = "; inside a YAML [...] list, quote an expression that has commas"
        raise ExprError(f"is not a valid expression ({e.msg}){hint}", max((e.offset or 1) - 1, 0)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("is too deeply nested or not text") from None


def parse_expression(text: str, names: Collection[str], static_names: Collection[str] = (),
                     params: Mapping[str, Collection[str]] | None = None) -> Expression:
    """Parse ``text`` allowing reads of ``names``; ``static_names`` (attributes) may also set
    op parameters such as ``alpha=alpha``, and so may the entries of ``params`` (param dicts
    by name, with their keys), read as ``bn_param['eps']``. Raises ExprError on anything not
    whitelisted."""
    tree = _parse(text)
    checker = _Checker(set(names), set(static_names), params=params or {})
    _walk(checker, tree)
    return Expression(text, tree, checker.used)


def _walk(checker: "_Checker", tree: ast.expr) -> None:
    try:
        checker.visit(tree)
    except RecursionError:
        raise ExprError("is too deeply nested; split it into smaller steps") from None


def parse_wiring(text: str, node_types: Collection[str], names: Collection[str]) -> NodeCall | Expression:
    """Parse one graph entry: a call of a node type, or an expression over earlier ``names``."""
    tree = _parse(text)
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id in node_types:
        args: list[str | float] = []
        for arg in tree.args:
            if isinstance(arg, ast.Name):
                if arg.id not in names:
                    raise ExprError(_unknown_name(arg.id, names), arg.col_offset)
                args.append(arg.id)
            else:
                args.append(_number(arg, "an argument of a node must be a name or a number"))
        attributes = {}
        for kw in tree.keywords:
            if kw.arg is None:
                raise ExprError("'**' is not allowed", kw.value.col_offset)
            attributes[kw.arg] = _number(kw.value, f"attribute {kw.arg!r} must be a number", allow_bool=True)
        return NodeCall(tree.func.id, args, attributes, [a.col_offset for a in tree.args])
    checker = _Checker(set(names), set(), node_types=set(node_types))
    _walk(checker, tree)
    return Expression(text, tree, checker.used)


def _number(node: ast.expr, message: str, allow_bool: bool = False) -> float:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _number(node.operand, message)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
            (allow_bool or not isinstance(node.value, bool)):
        return node.value
    raise ExprError(message, node.col_offset)


def _closest(name: str, names: Collection[str]) -> list[str]:
    """The known name most like a misspelt one (difflib is imported only for a misspelling)."""
    from difflib import get_close_matches
    return get_close_matches(name, sorted(names), n=1)


def _unknown_name(name: str, names: Collection[str]) -> str:
    close = _closest(name, names)
    known = f"did you mean {close[0]!r}?" if close else \
        (f"known names: {', '.join(sorted(names))}" if names else "no names are defined here")
    return f"unknown name {name!r}; {known}"


class _Checker(ast.NodeVisitor):
    """Walks a parsed expression and refuses every form outside the whitelist."""

    def __init__(self, names: set[str], static_names: set[str], node_types: set[str] = frozenset(),
                 params: Mapping[str, Collection[str]] | None = None):
        self.names = names
        self.static_names = static_names
        self.node_types = node_types
        self.params = params or {}
        self.used: set[str] = set()

    def _entry(self, node: ast.expr) -> bool:
        """Whether ``node`` reads a param dict's entry (``bn_param['eps']``); refuses other
        reads of a param dict."""
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in self.params):
            return False
        name, key = node.value.id, node.slice
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            raise ExprError(f"{name} is a dict of settings: read one entry by its name, {name}['key']", node.col_offset)
        if key.value not in self.params[name]:
            known = ", ".join(sorted(self.params[name])) or "none"
            raise ExprError(f"{name} has no entry {key.value!r} (its entries: {known})", key.col_offset)
        self.used.add(name)
        return True

    def generic_visit(self, node: ast.AST) -> None:
        what = type(node).__name__
        friendly = {"Attribute": "attribute access (x.T)", "Lambda": "lambda", "BoolOp": "and/or",
                    "IfExp": "if/else", "JoinedStr": "f-strings", "ListComp": "comprehensions",
                    "List": "a list here (only concat and stack take a tuple of tensors)",
                    "Tuple": "a tuple here (only concat and stack take a tuple of tensors)",
                    "Dict": "mappings", "Starred": "'*'"}.get(what, what)
        raise ExprError(f"{friendly} is not allowed in an expression; use the ops "
                        f"({', '.join(sorted(OPS)[:6])}, ...)", getattr(node, "col_offset", 0))

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.params:
            raise ExprError(f"{node.id} is a dict of settings: read an entry, {node.id}['key']", node.col_offset)
        if node.id not in self.names:
            raise ExprError(_unknown_name(node.id, self.names | self.static_names), node.col_offset)
        self.used.add(node.id)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExprError(f"{node.value!r} is not allowed: only numbers are", node.col_offset)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in _BINARY:
            raise ExprError(f"the operator {type(node.op).__name__} is not allowed; "
                            "use + - * / ** @", node.col_offset)
        self.visit(node.left)
        self.visit(node.right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExprError("only unary - and + are allowed", node.col_offset)
        self.visit(node.operand)

    def visit_Compare(self, node: ast.Compare) -> None:
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise ExprError("only single comparisons with > >= < <= are allowed", node.col_offset)
        self.visit(node.left)
        self.visit(node.comparators[0])

    def visit_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            raise ExprError("only ops can be called, by name", node.col_offset)
        name = node.func.id
        if name in self.node_types:
            raise ExprError(f"the node type {name} must stand alone: give {name}(...) its own "
                            "name in the graph and use that name here", node.col_offset)
        if name not in OPS:
            close = _closest(name, [*OPS, *self.node_types])
            hint = f"did you mean {close[0]!r}?" if close else f"known ops: {', '.join(sorted(OPS))}"
            what = "node type or op" if self.node_types else "op"
            raise ExprError(f"unknown {what} {name!r}; {hint}", node.col_offset)
        op = OPS[name]
        if op.variadic:
            self._sequence(node, op)
        elif len(node.args) != op.arity:
            hint = ""
            if len(node.args) > op.arity and op.params:
                hint = f"; its parameters are keywords: {name}(x, {next(iter(op.params))}=...)"
            raise ExprError(f"{name} takes {op.arity} argument{'s' if op.arity != 1 else ''}, "
                            f"got {len(node.args)}{hint}", node.col_offset)
        else:
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    raise ExprError("'*' is not allowed", arg.col_offset)
                self.visit(arg)
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in op.params:
                params = ", ".join(op.params) or "none"
                raise ExprError(f"{name} has no parameter {kw.arg!r} (its parameters: {params})",
                                kw.value.col_offset)
            self._static(kw.value, kw.arg)

    def _sequence(self, node: ast.Call, op) -> None:
        """concat and stack take one tuple (or list) of tensor expressions."""
        items = node.args[0] if len(node.args) == 1 else None
        if not isinstance(items, (ast.Tuple, ast.List)) or len(items.elts) < op.arity:
            raise ExprError(f"{op.name} takes one tuple of tensors: {op.name}((a, b), axis=0)",
                            node.col_offset)
        for item in items.elts:
            if isinstance(item, ast.Starred):
                raise ExprError("'*' is not allowed", item.col_offset)
            self.visit(item)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        """Basic indexing: whole numbers, slices, None (a new axis) and ... in any mix; or a
        param dict's entry."""
        if self._entry(node):
            return
        self.visit(node.value)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        ellipses = [item for item in items if isinstance(item, ast.Constant) and item.value is Ellipsis]
        if len(ellipses) > 1:
            raise ExprError("an index can hold only one ...", ellipses[1].col_offset)
        for item in items:
            if isinstance(item, ast.Slice):
                for part in (item.lower, item.upper, item.step):
                    if part is not None:
                        self._whole(part)
            elif not (isinstance(item, ast.Constant) and (item.value is None or item.value is Ellipsis)):
                self._whole(item)

    def _whole(self, node: ast.expr) -> None:
        """A whole number known before evaluation: an int, an attribute, or + - * // of them."""
        col = getattr(node, "col_offset", 0)
        if isinstance(node, ast.Constant) and type(node.value) is int or self._entry(node):
            return
        if isinstance(node, ast.Name) and node.id in self.static_names:
            self.used.add(node.id)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self._whole(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _INDEX_ARITHMETIC:
            self._whole(node.left)
            self._whole(node.right)
            return
        fancy = "; take(x, idx) selects rows at an array of integer indices"
        if isinstance(node, ast.Name) and node.id in self.names:
            raise ExprError(f"indexing with the tensor {node.id!r} (fancy indexing) is not allowed, "
                            f"only whole numbers, attributes, slices, None and ...{fancy}", col)
        if isinstance(node, ast.Name):
            raise ExprError(_unknown_name(node.id, self.names | self.static_names), col)
        if isinstance(node, (ast.List, ast.Tuple)):
            raise ExprError(f"indexing with a list (fancy indexing) is not allowed{fancy}", col)
        if isinstance(node, ast.Compare):
            raise ExprError("indexing with a mask is not allowed; where(cond, x, y) selects by a mask", col)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            raise ExprError("an index must be a whole number: use // to divide in an index", col)
        if isinstance(node, ast.Constant) and type(node.value) is float:
            raise ExprError(f"an index must be a whole number, got {node.value!r}", col)
        if isinstance(node, ast.Constant):
            raise ExprError(f"{node.value!r} is not allowed in an index", col)
        raise ExprError("an index may hold only whole numbers (numbers, attributes and + - * // "
                        "of them), slices a:b:c, None and ...", col)

    def _static(self, node: ast.expr, param: str) -> None:
        """Op parameters are fixed when the expression is evaluated: numbers, tuples of them,
        None, or an attribute's name."""
        if isinstance(node, ast.Name) and node.id in self.static_names:
            self.used.add(node.id)
            return
        if isinstance(node, ast.Constant) and node.value is None or self._entry(node):
            return
        if isinstance(node, ast.Tuple):
            for item in node.elts:
                _number(item, f"{param} must be a tuple of numbers")
            return
        setting = f" or an entry of a dict of settings ({next(iter(self.params))}['key'])" if self.params else ""
        _number(node, f"{param} must be a number, true/false, a tuple of numbers, None, an attribute "
                      f"name{setting}", allow_bool=True)


class _Evaluator(ast.NodeVisitor):
    """Evaluates a checked expression by calling the engine."""

    def __init__(self, env: Mapping[str, Any], replace: Mapping[str, Callable[..., Any]]):
        self.env = env
        self.replace = replace

    def visit_Name(self, node: ast.Name) -> Any:
        return self.env[node.id]

    def visit_Constant(self, node: ast.Constant) -> Any:
        return Var(float(node.value))

    def visit_BinOp(self, node: ast.BinOp) -> Var:
        return apply(_BINARY[type(node.op)], self.visit(node.left), self.visit(node.right))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Var:
        operand = self.visit(node.operand)
        return apply("neg", operand) if isinstance(node.op, ast.USub) else operand

    def visit_Compare(self, node: ast.Compare) -> Var:
        return apply(_COMPARE[type(node.ops[0])], self.visit(node.left), self.visit(node.comparators[0]))

    def visit_Call(self, node: ast.Call) -> Var:
        if OPS[node.func.id].variadic:
            args = [self.visit(a) for a in node.args[0].elts]
        else:
            args = [self.visit(a) for a in node.args]
        params = {kw.arg: self._static(kw.value) for kw in node.keywords}
        if node.func.id in self.replace:
            values = [a.value if isinstance(a, Var) else np.asarray(a) for a in args]
            return Var(self.replace[node.func.id](*values, **params))
        return apply(node.func.id, *args, **params)

    def _static(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            value = self.env[node.id]
            return value.value.item() if isinstance(value, Var) else value
        if isinstance(node, ast.Subscript):  # a param dict's entry
            return self.env[node.value.id][node.slice.value]
        return ast.literal_eval(node)

    def visit_Subscript(self, node: ast.Subscript) -> Var:
        if isinstance(node.value, ast.Name) and isinstance(self.env.get(node.value.id), dict):
            value = self.env[node.value.id][node.slice.value]
            return value if isinstance(value, Var) else Var(np.asarray(value, dtype=np.float64))
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        index = tuple(self._index(item) for item in items)
        return apply("getitem", self.visit(node.value), index=index)

    def _index(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            return slice(*(None if part is None else self._whole(part)
                           for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis):
            return node.value
        return self._whole(node)

    def _whole(self, node: ast.expr) -> int:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.Name, ast.Subscript)):
            value = self.visit(node) if isinstance(node, ast.Subscript) else self.env[node.id]
            number = np.asarray(value.value if isinstance(value, Var) else value)
            if number.ndim != 0 or number.dtype.kind not in "iuf" or not float(number).is_integer():
                raise ValueError(f"the index {ast.unparse(node)} = {value!r} is not a whole number")
            return int(number)
        if isinstance(node, ast.UnaryOp):
            value = self._whole(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        return _INDEX_ARITHMETIC[type(node.op)](self._whole(node.left), self._whole(node.right))
