"""A node type's fork is pipelined (``Sandbox.isolate`` waits for nothing; ``settle`` reads
its replies before the next reply): each node still gets a fresh fork, requests sent before
the fork's reply go to it, and a worker that did not fork is restarted and gets them again."""

from __future__ import annotations

import numpy as np

from grader.sandbox import host
from grader.sandbox.host import Sandbox

NODES = '''
import os
import numpy as np

CALLS = []


class Add:
    def forward(self, x, y):
        CALLS.append(1)  # state a fork keeps to itself
        return np.array([float(os.getpid()), float(len(CALLS))])

    def backward(self, g):
        return g, g
'''

STEPS = [{"do": "new", "as": 0, "cls": "Add", "arity": 2},
         {"do": "forward", "handle": 0, "inputs": [np.ones(2), np.ones(2)]}]


def _pid_and_calls(sandbox: Sandbox, pending) -> tuple[int, int]:
    reply = sandbox.receive(pending)
    pid, calls = reply["results"][1]["ok"]["out"].tolist()
    return int(pid), int(calls)


def test_each_fork_is_fresh_and_gets_what_was_sent_before_its_reply(tmp_path):
    (tmp_path / "nodes.py").write_text(NODES)
    with Sandbox({"nodes.py": tmp_path / "nodes.py"}) as sandbox:
        sandbox.load({"Add": "nodes.py"})
        seen = []
        for _ in range(3):
            sandbox.isolate()
            first = sandbox.send({"op": "run", "steps": STEPS})
            second = sandbox.send({"op": "run", "steps": STEPS})  # both before the fork's reply is read
            seen.append((_pid_and_calls(sandbox, first), _pid_and_calls(sandbox, second)))
        for (pid, calls), (same_pid, more_calls) in seen:
            assert (calls, more_calls) == (1, 2) and pid == same_pid
        assert len({pid for (pid, _), _ in seen}) == 3


def test_a_worker_that_did_not_fork_is_restarted_and_sent_the_requests_again(tmp_path, monkeypatch):
    (tmp_path / "nodes.py").write_text(NODES)
    real = host.encode
    spoiled = []

    def no_fork_once(message):
        if message == {"op": "fork"} and not spoiled:
            spoiled.append(message)
            message = {"op": "no such op"}  # the worker answers with an error, not "forked"
        return real(message)

    with Sandbox({"nodes.py": tmp_path / "nodes.py"}) as sandbox:
        sandbox.load({"Add": "nodes.py"})
        before = sandbox.generation
        monkeypatch.setattr(host, "encode", no_fork_once)
        sandbox.isolate()
        pending = sandbox.send({"op": "run", "steps": STEPS})
        pid, calls = _pid_and_calls(sandbox, pending)
        assert spoiled and sandbox.generation == before + 1  # restarted once
        assert calls == 1 and sandbox.answers(pending)
        sandbox.isolate()  # the new worker forks as usual
        other, calls = _pid_and_calls(sandbox, sandbox.send({"op": "run", "steps": STEPS}))
        assert calls == 1 and other != pid


def test_a_worker_that_never_forks_still_serves_the_node_unforked(tmp_path, monkeypatch):
    (tmp_path / "nodes.py").write_text(NODES)
    real = host.encode

    def never_fork(message):
        return real({"op": "no such op"} if message == {"op": "fork"} else message)

    with Sandbox({"nodes.py": tmp_path / "nodes.py"}) as sandbox:
        sandbox.load({"Add": "nodes.py"})
        monkeypatch.setattr(host, "encode", never_fork)
        sandbox.isolate()
        pending = sandbox.send({"op": "run", "steps": STEPS})
        _, calls = _pid_and_calls(sandbox, pending)
        assert calls == 1 and not sandbox.isolated  # a fresh worker of its own, unforked


def test_a_request_sent_before_the_next_fork_gets_its_own_reply(tmp_path):
    (tmp_path / "nodes.py").write_text(NODES)
    with Sandbox({"nodes.py": tmp_path / "nodes.py"}) as sandbox:
        sandbox.load({"Add": "nodes.py"})
        sandbox.isolate()
        first = sandbox.send({"op": "run", "steps": STEPS})
        sandbox.isolate()  # reads the first fork's replies, not the request's
        pid, calls = _pid_and_calls(sandbox, first)
        other, again = _pid_and_calls(sandbox, sandbox.send({"op": "run", "steps": STEPS}))
        assert (calls, again) == (1, 1) and pid != other
