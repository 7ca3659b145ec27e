"""The worker's launcher: puts the process in its cell, then becomes the worker.

The grader's zygote forks a process that goes on here (``enter``); tests also run it as
``python -I -m grader.sandbox.confine CONFIG_JSON -- COMMAND...``. In a single-threaded
process it applies resource limits; as root it then joins the worker's
cgroup, moves into new mount, network, PID, IPC and UTS namespaces, makes a root holding
only what the worker needs (``rootfs``: no spec, results, submission or anything else of
the host's), and drops to the dedicated unprivileged user. As an ordinary user it does the
same inside a user namespace where the kernel allows one, and then gives up the
capabilities that namespace granted. Finally it becomes the command: ``-m grader.sandbox.worker``
runs in this same interpreter (saving a second start-up), loaded before the root is made,
so the root need not hold the grader's own package (it holds none of it); anything else is
exec'ed.

As root every step must work: if one fails, the launcher says why on stderr and exits with
CONFINE_FAILED, and the grader reports its own failure (never a student's 0). As an
ordinary user each step the system refuses is reported and skipped, so a student's laptop
runs the same code with the protections available there.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys

from grader.sandbox.limits import apply_limits
from grader.sandbox.rootfs import build, check, libc, interpreter_paths, mount, package_folders, plan, \
    read_folder, umount
from grader.sandbox.rootfs import enter as enter_root

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT = 1, 38, 24, 47
ROOT_MOUNT = "/tmp"  # where the new root is built, in the private mount namespace only
CONFINE_FAILED = 71  # the launcher could not set up the cell: a fault of the grader, not the student
CELL: dict[str, list[str]] = {"on": [], "off": []}  # what was (not) enforced, for the worker's report


def unshare(flags: int) -> None:
    check(libc.unshare(flags), "unshare")


def enter_user_namespace() -> None:
    """An unprivileged user's own namespaces (where the kernel allows them): the same uid
    inside, no network, no IPC or process view shared with others, mounts of its own."""
    uid, gid = os.getuid(), os.getgid()
    unshare(CLONE_NEWUSER | NAMESPACES)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def drop_capabilities() -> None:
    """Give up the capabilities a new user namespace grants, so student code cannot undo the
    mounts that hide things (a root of its own is detached, but masks could be unmounted)."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (two words each): none
    check(libc.capset(header, data), "capset")


def _become_child() -> None:
    """Continue as the first process of the new PID namespace, where no process outside it
    (the grader above all) can be seen or signalled; this process waits and passes on its
    exit status. If it dies, the child and its whole namespace die with it."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 1)


def private_root(config: dict, owner: tuple[int, int] | None, worker_loaded: bool) -> None:
    """Give the worker a root of its own holding only what it needs (see ``rootfs``): the
    forbidden packages masked, the grader's own too once the worker's modules are loaded."""
    cwd, disk_mb = config["cwd"], config.get("disk_mb")
    files = read_folder(cwd) if disk_mb else {}
    forbidden = [m for m in config.get("forbidden", []) if m != "grader" or worker_loaded]
    hidden = list(config.get("hide", [])) + package_folders(forbidden)
    needed = interpreter_paths() + list(config.get("needed", []))
    if not worker_loaded:  # a command that runs the grader itself (tests run it as a student would)
        import grader
        needed.append(os.path.dirname(os.path.realpath(grader.__file__)))
    steps = plan(needed, hidden, cwd, writable=config.get("writable", []))
    try:
        build(ROOT_MOUNT, steps, files, disk_mb=disk_mb, owner=owner)
    except OSError:
        try:
            umount(ROOT_MOUNT)
        except OSError:
            pass
        raise
    enter_root(ROOT_MOUNT)


def no_new_privileges() -> None:
    """setuid programs cannot raise the worker's privileges again."""
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("could not drop privileges")


def _name_host() -> None:
    try:
        socket.sethostname("grader")
    except OSError:
        pass


def main(argv: list[str]) -> None:
    enter(json.loads(argv[1]), argv[argv.index("--") + 1:])


def enter(config: dict, command: list[str]) -> None:
    """Confine this process by ``config``, then become ``command``."""
    apply_limits(config.get("limits", {}))
    cwd = config["cwd"]
    as_root = os.geteuid() == 0 and config.get("uid") is not None
    if as_root and config.get("cgroups"):
        from grader.sandbox.cgroup import join
        if join(config["cgroups"]):  # everything from here on, student code above all, is inside
            CELL["on"].append("one memory and process budget for all its processes (cgroup)")
    worker = None
    if command[:2] == ["-m", "grader.sandbox.worker"]:
        # loaded now, with numpy: the worker's root holds no file of the grader's package, so
        # student code that gets past the import guard finds no engine to import
        import grader.sandbox.worker as worker
    if as_root:
        owner = (config["uid"], config["gid"])
        try:
            unshare(NAMESPACES)
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            _become_child()
            _name_host()
            private_root(config, owner, worker is not None)
        except OSError as e:
            print(f"grader: could not confine the worker: {e}", file=sys.stderr)
            os._exit(CONFINE_FAILED)
        no_new_privileges()
        drop_privileges(*owner)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
        CELL["on"][:0] = ["unprivileged user", *_NAMESPACES, *_own_root(config)]
    elif config.get("isolate_network", True):
        CELL["off"].append("unprivileged user (needs root)")
        try:
            enter_user_namespace()
        except OSError as e:
            print(f"grader: no private namespaces for the worker ({e}); network, /proc, /tmp and "
                  "the file system stay shared", file=sys.stderr)
            CELL["off"].append(f"namespaces (the system refused a user namespace: {e.strerror or e})")
        else:
            _become_child()  # whatever fails below: the PID namespace is entered
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            _name_host()
            CELL["on"] += _NAMESPACES
            try:
                private_root(config, None, worker is not None)
                CELL["on"] += _own_root(config)
            except OSError as e:
                print(f"grader: the worker sees the whole file system ({e})", file=sys.stderr)
                CELL["off"].append(f"{', '.join(_own_root(config))} ({e})")
            drop_capabilities()
        no_new_privileges()
    os.environ["GRADER_CELL"] = json.dumps(CELL)
    os.chdir(cwd)
    if worker is not None:
        sys.argv = ["grader.sandbox.worker"]
        worker.main(["grader.sandbox.worker", *command[2:]])
        return
    os.execv(command[0], command)


_NAMESPACES = ["no network", "own process, IPC and host-name namespaces"]


def _own_root(config: dict) -> list[str]:
    return ["own root file system: only Python, numpy, the grader and its own folder", "own /proc",
            "private /tmp"] + (["disk limit"] if config.get("disk_mb") else [])


if __name__ == "__main__":
    main(sys.argv)
