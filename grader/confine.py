"""The worker's launcher: puts the process in its cell, then becomes the worker.

Run by the grader as ``python -I -m grader.confine CONFIG_JSON -- COMMAND...``. In a fresh,
single-threaded process it applies resource limits, and, when it runs as root, moves into
new network and mount namespaces (no network; the spec, results and original submission
folders hidden under empty mounts; only the paths Python needs left reachable), drops to
the dedicated unprivileged user, and finally becomes the command: ``-m grader.worker ...``
runs in this same interpreter (saving a second start-up), anything else is exec'ed. Every step that cannot be
taken is reported on stderr and skipped, so a student's laptop runs the same code with the
protections that are available there.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import stat
import sys
import tempfile

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 1, 2, 4, 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2
MS_NOEXEC = 8
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def umount(target: str) -> None:
    _check(_libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


LIMITS = {"cpu_seconds": resource.RLIMIT_CPU, "memory_mb": resource.RLIMIT_AS,
          "file_mb": resource.RLIMIT_FSIZE, "open_files": resource.RLIMIT_NOFILE,
          "processes": resource.RLIMIT_NPROC}


def apply_limits(limits: dict) -> list[str]:
    """Hard resource limits for this process and everything it starts."""
    done = []
    for key, which in LIMITS.items():
        value = limits.get(key)
        if value is None:
            continue
        amount = int(value * (1 << 20)) if key.endswith("_mb") else int(value)
        if key == "cpu_seconds":
            amount = max(1, amount)
        try:
            resource.setrlimit(which, (amount, amount))
            done.append(key)
        except (ValueError, OSError) as e:
            print(f"grader: could not set {key}: {e}", file=sys.stderr)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if first_to_end_when_memory_runs_out():
        done.append("oom_score_adj")
    return done


def first_to_end_when_memory_runs_out() -> bool:
    """Put this process and all it starts first in line for the kernel's OOM killer: when the
    machine or container runs out of memory (per-process limits do not bound the total where
    no cgroup can be made), student code is ended, never the grader, which then writes its
    results. Raising one's own score needs no privilege; lowering it again does."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
        return True
    except OSError:
        return False


def reachable_paths(needed: list[str], uid: int, gid: int) -> None:
    """Make each needed path reachable by the worker user: any directory on the way that
    'other' cannot enter is covered by an empty tmpfs in which only the next steps of the
    needed paths are bound back, so nothing else in that directory becomes visible."""
    paths = sorted({os.path.realpath(p) for p in needed if os.path.exists(p)})
    stage = tempfile.mkdtemp(prefix="grader-stage-")
    try:
        depth = 0
        while True:
            blocked: dict[str, set[str]] = {}
            for path in paths:
                parts = path.strip("/").split("/")
                if depth >= len(parts) or parts == [""]:
                    continue
                directory = "/" + "/".join(parts[:depth])
                st = os.stat(directory)
                if not (st.st_mode & stat.S_IXOTH or st.st_uid == uid):
                    blocked.setdefault(directory, set()).add(parts[depth])
            if not any(len(p.strip("/").split("/")) > depth for p in paths):
                break
            for directory, children in blocked.items():
                _expose_only(directory, sorted(children), stage)
            depth += 1
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _expose_only(directory: str, children: list[str], stage: str) -> None:
    original = os.path.join(stage, "original")
    os.makedirs(original, exist_ok=True)
    mount(directory, original, None, MS_BIND | MS_REC)
    mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0711,size=64k")
    for child in children:
        target = os.path.join(directory, child)
        source = os.path.join(original, child)
        if os.path.isdir(source):
            os.mkdir(target)
        else:
            open(target, "w").close()
        mount(source, target, None, MS_BIND | MS_REC)
    umount(original)


def private_tmp(workdir: str, needed: list[str] = ()) -> None:
    """Give the worker empty, private /tmp, /var/tmp, /dev/shm and /run/lock (its own folder, which
    lives in /tmp, is bound back in), so it cannot leave files where others would find them."""
    shared = [d for d in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock") if os.path.isdir(d) and not os.path.islink(d)]
    inside = lambda p: any(p == d or p.startswith(d + "/") for d in shared)
    keep: dict[str, int] = {}
    for path in sorted({os.path.realpath(p) for p in [workdir, *needed] if os.path.exists(p)}, key=len):
        if inside(path) and path not in shared and not any(path.startswith(k + "/") for k in keep):
            keep[path] = os.open(path, os.O_PATH)  # the worker's folder, or Python itself in a temp venv
    for directory in shared:
        mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")
    for path, fd in keep.items():
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)


def enter_user_namespace() -> None:
    """An unprivileged user's own namespaces (where the kernel allows them): the same uid
    inside, no network, and mounts of its own for a private /tmp."""
    uid, gid = os.getuid(), os.getgid()
    unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def hide(paths: list[str]) -> None:
    """Cover each folder with an empty, unreadable tmpfs."""
    for path in paths:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=000,size=4k")


def _become_child() -> None:
    """Continue as the first process of the new PID namespace, where no process outside it
    (the grader above all) can be seen or signalled; this process waits and passes on its
    exit status. If it dies, the child and its whole namespace die with it."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 1)


def own_proc() -> None:
    """A /proc of the worker's own PID namespace: the grader's processes (their command lines
    name the results file) are not in it."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def read_folder(path: str) -> dict[str, bytes]:
    """The regular files under ``path``, by relative name (to copy into a private folder)."""
    files = {}
    for root, _, names in os.walk(path):
        for name in names:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as f:
                    files[os.path.relpath(full, path)] = f.read()
    return files


def private_folder(path: str, files: dict[str, bytes], size_mb: int, owner: tuple[int, int] | None) -> None:
    """Cover the worker's folder with a tmpfs of ``size_mb`` holding a copy of ``files``: a
    bound on all it writes there, and nothing of it outlives the worker."""
    extra = f",uid={owner[0]},gid={owner[1]}" if owner else ""
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,size={int(size_mb)}m{extra}")
    for name, data in files.items():
        target = os.path.join(path, name)
        folder = os.path.dirname(target)
        if not os.path.isdir(folder):
            os.makedirs(folder)
            while owner and folder != path:  # the worker owns every folder it is given
                os.chown(folder, *owner)
                folder = os.path.dirname(folder)
        with open(target, "wb") as f:
            f.write(data)
        if owner:
            os.chown(target, *owner)


def private_mounts(config: dict, files: dict[str, bytes], owner: tuple[int, int] | None, *, strict: bool) -> None:
    """Inside the new mount namespace: the hidden folders, a private /tmp and the worker's own
    folder of ``disk_mb``. As root every step must work (``strict``); as an ordinary user
    each one that the system refuses is reported and skipped."""
    cwd, disk_mb = config["cwd"], config.get("disk_mb")
    steps = [("hidden folders", lambda: hide(config.get("hide", [])))]
    if config.get("private_tmp"):
        steps.append(("a private /tmp", lambda: private_tmp(cwd, config.get("needed", []))))
    if disk_mb:
        steps.append(("a disk limit", lambda: private_folder(cwd, files, disk_mb, owner)))
    for what, step in steps:
        try:
            step()
        except OSError as e:
            if strict:
                raise
            print(f"grader: the worker runs without {what} ({e})", file=sys.stderr)


def no_new_privileges() -> None:
    """setuid programs cannot raise the worker's privileges again."""
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("could not drop privileges")


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    command = argv[argv.index("--") + 1:]
    apply_limits(config.get("limits", {}))
    cwd, disk_mb = config["cwd"], config.get("disk_mb")
    files = read_folder(cwd) if disk_mb else {}
    if os.geteuid() == 0 and config.get("uid") is not None:
        owner = (config["uid"], config["gid"])
        if config.get("cgroups"):
            from grader.cgroup import join
            join(config["cgroups"])  # first: everything started from here on is inside
        unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID)
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        reachable_paths(config.get("needed", []), *owner)
        private_mounts(config, files, owner, strict=True)
        _become_child()
        own_proc()
        no_new_privileges()
        drop_privileges(*owner)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
    elif config.get("isolate_network", True):
        try:
            enter_user_namespace()
        except OSError as e:
            print(f"grader: no private namespaces for the worker ({e}); network, /proc and /tmp "
                  "stay shared", file=sys.stderr)
        else:
            private_mounts(config, files, None, strict=False)
            _become_child()  # whatever failed above: the PID namespace is entered
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            try:
                own_proc()
            except OSError as e:
                print(f"grader: the worker shares /proc ({e.strerror})", file=sys.stderr)
        no_new_privileges()
    os.chdir(cwd)
    if command[:2] == ["-m", "grader.worker"]:
        import runpy
        sys.argv = ["grader.worker", *command[2:]]
        runpy.run_module("grader.worker", run_name="__main__", alter_sys=True)
        return
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
