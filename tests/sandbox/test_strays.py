"""Between node types the loaded worker kills what the last node left running, daemons
included. Its PID-namespace path (process 1) is covered by the attack suite; this covers the
other path: a subreaper that finds its children in /proc."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import os, sys, time
from grader.sandbox.processes import become_subreaper
from grader.sandbox.worker import end_strays
assert become_subreaper()
read, write = os.pipe()
if os.fork() == 0:                      # a node's process: it leaves a daemon and ends
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode().ljust(16))
            time.sleep(60)
        os._exit(0)
    os._exit(0)
daemon = int(os.read(read, 16))
time.sleep(0.2)                         # the daemon is an orphan now: ours, as the subreaper
end_strays()
try:
    os.kill(daemon, 0)
    print("alive")
except ProcessLookupError:
    print("gone")
"""


def test_a_daemon_left_by_a_node_is_killed_before_the_next():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30)
    assert proc.stdout.strip() == "gone", proc.stdout + proc.stderr
