"""The worker's forward-mode steps, run in this process: a node's jvp on copies of the tangents
(one array back; inputs and tangents changed in place are reported), tangents wired from
earlier jvps, finite-difference forwards along the tangents, and a student's jacobian called
with one of the grader's maps, which counts its calls and notes its tangents."""

from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox.calls import Worker


class Sin:
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def jvp(self, x_dot):
        return np.cos(self.x) * x_dot


class SinInPlace(Sin):
    def jvp(self, x_dot):
        x_dot *= np.cos(self.x)
        return x_dot


class Pair(Sin):
    def jvp(self, x_dot):
        return x_dot, x_dot


class Nothing(Sin):
    def jvp(self, x_dot):
        pass


def worker(**symbols) -> Worker:
    w = Worker()
    w.symbols.update(symbols)
    return w


def sin_steps(cls: str, x, t, handle: int = 0) -> list[dict]:
    return [{"do": "new", "as": handle, "cls": cls, "arity": 1, "convention": {"kind": "jvp", "forward": cls}},
            {"do": "forward", "handle": handle, "inputs": [x]},
            {"do": "jvp", "handle": handle, "tangents": [t], "where": f"{cls}.jvp"}]


def test_jvp_returns_the_output_tangent_and_leaves_its_arguments_alone():
    x, t = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    results = worker(Sin=Sin).run({"steps": sin_steps("Sin", x, t)})["results"]
    reply = results[2]["ok"]
    np.testing.assert_allclose(reply["tangent"], np.cos(x) * t)
    assert reply["modified"] == [] and reply["tangents_modified"] == []


def test_a_tangent_changed_in_place_is_reported():
    x, t = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    reply = worker(Sin=SinInPlace).run({"steps": sin_steps("Sin", x, t)})["results"][2]["ok"]
    assert reply["tangents_modified"] == [0]


@pytest.mark.parametrize("cls, said", [(Pair, "returned a tuple of 2"), (Nothing, "returned None")])
def test_jvp_must_return_one_array(cls, said):
    results = worker(Sin=cls).run({"steps": sin_steps("Sin", np.array(1.0), np.array(1.0))})["results"]
    error = results[2]["error"]
    assert error["kind"] == "bad_return" and said in error["message"] and error["where"] == "Sin.jvp"


def test_tangents_are_wired_from_earlier_jvps():
    x, t = np.array([0.3, 1.2]), np.array([1.0, -2.0])
    steps = sin_steps("Sin", x, t, 0) + sin_steps("Sin", {"$out": 0}, {"$tangent": 0}, 1)
    results = worker(Sin=Sin).run({"steps": steps})["results"]
    np.testing.assert_allclose(results[5]["ok"]["tangent"], np.cos(np.sin(x)) * np.cos(x) * t)


def test_a_tangent_from_a_failed_jvp_is_not_wired():
    steps = sin_steps("Sin", np.array(1.0), np.array(1.0), 0) + sin_steps("Sin", {"$out": 0}, {"$tangent": 0}, 1)
    results = worker(Sin=Nothing).run({"steps": steps})["results"]
    assert results[5]["error"]["kind"] == "skipped" and "before it" in results[5]["error"]["message"]


def test_finite_difference_forwards_move_every_input_along_its_tangent():
    x, y = np.array([1.0, 2.0]), np.array(3.0)
    tx, ty = np.array([0.5, -1.0]), np.array(2.0)

    class Mul:
        def forward(self, a, b):
            return a * b

    step = {"do": "forward_many", "cls": "Mul", "arity": 2, "convention": {"kind": "jvp", "forward": "Mul"},
            "inputs": [x, y], "perturb": [{"along": [tx, ty], "step": 0.1}]}
    outs = worker(Mul=Mul).run({"steps": [step]})["results"][0]["ok"]["outs"]
    np.testing.assert_allclose(outs, [(x + 0.1 * tx) * (y + 0.1 * ty), (x - 0.1 * tx) * (y - 0.1 * ty)])


def jacobian_step(x, params=None, mapping="affine") -> dict:
    return {"do": "jacobian", "function": "jacobian", "map": mapping, "x": np.asarray(x, dtype=float),
            "params": params or {}, "where": "jacobian"}


AFFINE = {"A": np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]), "b": np.array([0.5, 0.0])}


def test_jacobian_is_called_with_f_that_counts_its_calls_and_notes_its_tangents():
    def jacobian(f, x):
        y, _ = f(x, np.zeros(3))             # an extra call
        x[0] += 1.0                          # x changed in place, and f called there
        columns = [f(x, e)[1] for e in np.eye(3)]
        return np.stack(columns, axis=1)

    reply = worker(jacobian=jacobian).run({"steps": [jacobian_step([1, 2, 3], AFFINE)]})["results"][0]["ok"]
    np.testing.assert_allclose(reply["jacobian"], AFFINE["A"])
    assert reply["calls"] == 4 and reply["moved"] == 3 and reply["modified"]
    np.testing.assert_array_equal(reply["tangents"], np.vstack([np.zeros(3), np.eye(3)]))


def test_f_takes_one_tangent_per_call():
    def jacobian(f, x):
        return f(x, np.eye(len(x)))[1]     # a batch of tangents at once: refused

    error = worker(jacobian=jacobian).run({"steps": [jacobian_step([1, 2, 3], AFFINE)]})["results"][0]["error"]
    assert "one tangent per call" in error["message"] and "(3, 3)" in error["message"]


def test_a_jacobian_that_returns_nothing_is_told_so():
    reply = worker(jacobian=lambda f, x: None).run({"steps": [jacobian_step([2, 5], mapping="lecture")]})
    assert "returned None" in reply["results"][0]["error"]["message"]


def test_the_worker_describes_a_jvp_method():
    info = Worker._describe(Sin)
    assert info["jvp"]["positional"] == ["x_dot"] and info["forward"]["positional"] == ["x"]
