"""The zygote: a process that has loaded the worker's modules (numpy with them) and forks,
for each request of its grader, a process that confines itself and becomes a worker.

Run by the grader as ``python -I -m grader.sandbox.zygote FD`` (see ``launcher``). A request
on the socket FD is a JSON message (the cell's configuration, the worker's command, its
environment) with three descriptors: the worker's request pipe, reply pipe and output. The
zygote forks; the fork forks the worker and reports its pid, then exits, so the worker is
reparented to the grader (a subreaper) and the zygote never waits for student code. The
worker closes the socket, takes its descriptors, starts a session of its own and goes on as
the launcher (``confine.enter``) would after reading its configuration. The zygote never
runs student code and exits when its grader closes the socket.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

from grader.sandbox.confine import enter

MESSAGE_BYTES = 1 << 20


def serve(sock: socket.socket) -> None:
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, MESSAGE_BYTES, 3)
        except OSError:
            return
        if not message:
            return  # the grader is done
        middle = os.fork()
        if middle == 0:
            _middle(sock, message, fds)
        for fd in fds:
            os.close(fd)
        os.waitpid(middle, 0)


def _middle(sock: socket.socket, message: bytes, fds: list[int]) -> None:
    """Fork the worker, tell the grader its pid, and exit: the worker is orphaned to the grader."""
    try:
        request = json.loads(message)
        if len(fds) != 3:
            raise ValueError("a fork request carries three descriptors")
        worker = os.fork()
    except (OSError, ValueError) as e:
        sock.send(json.dumps({"error": str(e)}).encode())
        os._exit(1)
    if worker == 0:
        sock.close()
        _become_worker(request, fds)
        os._exit(1)  # not reached: the worker exits by itself
    sock.send(json.dumps({"pid": worker}).encode())
    os._exit(0)


def _become_worker(request: dict, fds: list[int]) -> None:
    to_worker, from_worker, output = fds
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    for fd in (stdin, output):
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    command = request["command"]
    command[2:2] = [str(to_worker), str(from_worker)]
    os.chdir(request["config"]["cwd"])
    enter(request["config"], command)


def main(argv: list[str]) -> None:
    import grader.sandbox.worker  # noqa: F401  (loaded once, for every worker forked from here)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the grader's to handle
    serve(socket.socket(fileno=int(argv[1])))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
