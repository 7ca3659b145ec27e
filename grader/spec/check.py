"""The dry run: every reference is evaluated on one drawn case and on every example.

It catches what reading cannot: a reference whose shapes do not line up (``x @ W`` where
``x @ transpose(W)`` was meant), a draw that takes ``log`` out of its domain, kinks that
leave no room to draw, and examples whose expected output or gradients disagree with the
reference engine (the lecture's numbers, typed in by hand). In forward mode, an example's
``output_tangent`` is checked against the engine's JVP along its ``tangents``, and a jacobian
test's example ``jacobian`` against the Jacobian of its map.
"""

from __future__ import annotations

import zlib
from typing import Any, Callable

import numpy as np

from grader.spec.draw import DrawError, bind_dims, draw_case, example_case
from grader.errors import Problem
from grader.spec.maps import MAPS, draw as draw_map, expected as expected_jacobian
from grader.spec.forwardmode import tangents
from grader.spec.reference import NodeFailure, Result, graph_jvp, graph_result, node_jvp, node_result
from grader.spec.model import Assignment, Example, Input, Settings, Tolerance
from grader.spec.yamlsource import Document


def dry_run(assignment: Assignment, doc: Document) -> list[Problem]:
    """Problems found by evaluating every reference the spec relies on."""
    problems: list[Problem] = []

    def report(path: tuple, message: str) -> None:
        problems.append(doc.problem(path, message))

    for node in assignment.nodes.values():
        if node.reference is None:
            continue
        for test in node.tests:
            run = lambda case, node=node, test=test: node_result(node, test.attributes, case)
            jvp = lambda case, t, node=node, test=test: node_jvp(node, test.attributes, case, t).tangent
            _check_cases(test.inputs, test.settings, test.examples, run, node.path + ("reference",),
                         test.path, report, kinks=node.kinks, attributes=test.attributes,
                         finite=True, seed=test.title, kink_path=node.path + ("kinks",), jvp=jvp)
    for graph in assignment.graphs.values():
        if graph.random is not None:
            _check_random(graph, assignment, report)
            continue
        run = lambda case, graph=graph: graph_result(graph, assignment.nodes, case)
        jvp = lambda case, t, graph=graph: graph_jvp(graph, assignment.nodes, case, t).tangent
        _check_cases(graph.inputs, graph.settings, graph.examples, run, graph.path + ("nodes",),
                     graph.path, report, finite=True, seed=graph.id, jvp=jvp)
    for test in assignment.jacobian.tests if assignment.jacobian else []:
        _check_jacobian(test, report)
    return problems


def _check_jacobian(test, report) -> None:
    """A drawn case of a jacobian test's map, and each example's Jacobian, on the engine."""
    rng = np.random.default_rng(zlib.crc32(test.name.encode()))
    cases = []
    if test.settings.cases > 0 and all(d in test.settings.dims for d in MAPS[test.map].sizes):
        from grader.spec.draw import resolve_dims
        cases.append((None, draw_map(test.map, resolve_dims(test.settings, rng), rng)))
    cases += [(e, e.inputs) for e in test.examples]
    for example, inputs in cases:
        what = "a drawn case" if example is None else f"example {example.path[-1] + 1}"
        with np.errstate(all="ignore"):
            _, jacobian = expected_jacobian(test.map, inputs)
        if not np.all(np.isfinite(jacobian)):
            report(test.path, f"the {test.map} map's Jacobian is not finite on {what}")
        elif example is not None and example.output is not None:
            want = np.asarray(example.output, dtype=float)
            if want.shape != jacobian.shape:
                report(example.path + ("jacobian",), f"has shape {want.shape}, the Jacobian has shape {jacobian.shape} "
                                                     "(len(y), len(x))")
            elif not np.allclose(jacobian, want, rtol=test.settings.tolerance.rtol, atol=test.settings.tolerance.atol):
                report(example.path + ("jacobian",), f"the spec says {_show(want)}, the reference engine gives "
                                                     f"{_show(jacobian)}")


def _check_random(graph, assignment: Assignment, report) -> None:
    """A drawn graph must be drawable: one graph and case with moderate values."""
    from grader.spec.randomgraph import draw_graph_case

    rng = np.random.default_rng(zlib.crc32(graph.id.encode()))
    try:
        draw_graph_case(graph, assignment.nodes, rng)
    except DrawError as e:
        report(graph.path + ("random",), str(e))
    except Exception as e:  # a node type's reference that fails on the drawn shapes
        report(graph.path + ("random",), f"fails on a drawn graph: {_short(e)}")


def _check_cases(inputs: list[Input], settings: Settings, examples: list[Example],
                 run: Callable[[dict], Result], code_path: tuple, test_path: tuple,
                 report: Callable[[tuple, str], None], *, kinks=(), attributes=None,
                 finite: bool, seed: str, kink_path: tuple = (), jvp=None) -> None:
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    if settings.cases > 0:
        try:
            case = draw_case(inputs, settings, rng, kinks, attributes)
        except DrawError as e:
            report(test_path, str(e))
        except Exception as e:  # a kink expression that fails on the drawn shapes
            report(kink_path or test_path, f"fails on the drawn shapes, so no case can be drawn: {_short(e)}")
        else:
            _evaluate(run, case, code_path, report, "a drawn case", finite)
    for example in examples:
        why = _misfit(inputs, settings, example)
        if why:
            report(example.path + ("inputs",), why)
            continue
        case = example_case(inputs, settings, example.inputs, rng)
        result = _evaluate(run, case, code_path, report, f"example {example.path[-1] + 1}", finite)
        wrong = next((k for k, t in example.tangents.items() if k in case and np.ndim(t) and
                      np.shape(t) != np.shape(case[k])), None)
        if wrong is not None:
            report(example.path + ("tangents", wrong), f"has shape {np.shape(example.tangents[wrong])}, its input "
                                                       f"{np.shape(case[wrong])}: give a number or a list of that shape")
            continue
        if result is not None and example.tangents and jvp is not None:
            given = tangents(inputs, case, example, rng)
            result.tangent = _evaluate(lambda c: jvp(c, given), case, code_path,
                                       report, f"example {example.path[-1] + 1}", False)
        if result is not None:
            _compare(result, example, settings.tolerance, report)


def _evaluate(run, case: dict, code_path: tuple, report, what: str, finite: bool) -> Result | None:
    shapes = ", ".join(f"{k} {v.shape}" for k, v in case.items() if isinstance(v, np.ndarray))
    try:
        with np.errstate(all="ignore"):
            result = run(case)
    except NodeFailure as e:
        report(code_path + (e.node,), f"fails on {what} ({shapes}): {_short(e.error)}")
        return None
    except Exception as e:  # the reference is the spec's code: any failure is a spec problem
        report(code_path, f"fails on {what} ({shapes}): {_short(e)}")
        return None
    if finite:
        outputs = result.output if isinstance(result.output, list) else [result.output]
        bad = [k for k, g in [*(("output", o) for o in outputs), *result.grads.items()] if not np.all(np.isfinite(g))]
        if bad:
            report(code_path, f"gives NaN or inf on {what} ({shapes}) in {', '.join(bad)}: "
                              "draw the inputs inside the domain (e.g. draw: positive) or add kinks")
            return None
    return result


def _misfit(inputs: list[Input], settings: Settings, example: Example) -> str | None:
    """Why an example's values do not fit its inputs' dtypes, shapes and label ranges."""
    dims: dict[str, int] = {}
    for inp in inputs:
        if inp.is_param:
            bad = next((k for k, v in example.inputs[inp.name].items() if isinstance(v, list)
                        and np.asarray(v, dtype=object).dtype == object), None)
            if bad is not None:
                return f"{inp.name}[{bad!r}] is not a rectangular list of numbers"
            continue
        given = example.inputs[inp.name]
        try:
            value = np.asarray(given, dtype=np.dtype(inp.dtype))
            raw = np.asarray(given, dtype=float)
        except (ValueError, TypeError):
            return (f"{inp.name} is not true, false or a rectangular list of them" if inp.dtype == "bool"
                    else f"{inp.name} is not a number or a rectangular list of numbers")
        flags = np.asarray(given).dtype == bool
        if inp.dtype == "bool" and not np.isin(raw, (0.0, 1.0)).all():
            return f"{inp.name} is a boolean mask: give true or false (or 1 and 0)"
        if inp.dtype != "bool" and flags:
            return f"{inp.name} is {'class labels' if inp.dtype == 'int64' else 'float64'}: give numbers, not true or false"
        if inp.dtype == "int64" and not np.array_equal(value, raw):
            return f"{inp.name} must hold whole numbers (class labels)"
        if value.ndim == 0 or isinstance(inp.shape, str):
            continue
        why = bind_dims(inp.shape, value.shape, dims)
        if why:
            return f"{inp.name} {why}"
    for inp in inputs:
        if inp.is_param or inp.draw.kind != "labels":
            continue
        classes = inp.draw.classes
        if isinstance(classes, str):
            fixed = settings.dims.get(classes)
            classes = dims.get(classes, fixed if isinstance(fixed, int) else None)
        labels = np.asarray(example.inputs[inp.name])
        if classes is not None and labels.size and (labels.min() < 0 or labels.max() >= classes):
            return f"{inp.name} holds a label outside [0, {classes})"
    return None


def _compare(result: Result, example: Example, tol: Tolerance, report) -> None:
    expected: list[tuple[tuple, str, Any, np.ndarray]] = []
    if example.output is not None:
        expected.append((example.path + ("output",), "the output", example.output, result.output))
    for name, value in example.grads.items():
        if name in result.grads:
            expected.append((example.path + ("grads", name), f"the gradient of {name}", value, result.grads[name]))
    if example.output_tangent is not None and result.tangent is not None:
        expected.append((example.path + ("output_tangent",), "the output's tangent", example.output_tangent,
                         result.tangent))
    for path, what, want, got in expected:
        want = np.asarray(want, dtype=float)
        if want.shape != got.shape and want.ndim != 0:
            report(path, f"has shape {want.shape}, {what} has shape {got.shape}")
        elif not np.allclose(got, want, rtol=tol.rtol, atol=tol.atol):
            report(path, f"the spec says {_show(want)}, the reference engine gives {_show(got)} "
                         f"for {what} (rtol {tol.rtol:g}, atol {tol.atol:g})")


def _show(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=10, threshold=12, separator=", ")


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."
