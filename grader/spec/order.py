"""A graph's nodes in dependency order (each after the nodes it reads), or the cycle that
makes one impossible: an iterative walk, so a chain thousands deep is fine."""

from __future__ import annotations

from grader.spec.model import GraphNode


def dependency_order(nodes: dict[str, GraphNode]) -> tuple[list[GraphNode] | None, list[str]]:
    """(the nodes in order, []) or (None, the cycle as a list of names ending where it began)."""
    order: list[GraphNode] = []
    state: dict[str, str] = {}
    for start in nodes:
        if start in state:
            continue
        stack = [(start, iter(_deps(nodes[start], nodes)))]
        state[start] = "open"
        while stack:
            name, pending = stack[-1]
            for dep in pending:
                if state.get(dep) == "open":
                    trail = [n for n, _ in stack]
                    return None, trail[trail.index(dep):] + [dep]
                if dep not in state:
                    state[dep] = "open"
                    stack.append((dep, iter(_deps(nodes[dep], nodes))))
                    break
            else:
                stack.pop()
                state[name] = "done"
                order.append(nodes[name])
    return order, []


def _deps(node: GraphNode, nodes: dict[str, GraphNode]) -> list[str]:
    return [a for a in node.args if isinstance(a, str) and a in nodes]
