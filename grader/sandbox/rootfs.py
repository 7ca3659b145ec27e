"""The worker's file system: a new, empty root holding only what the worker needs.

Hiding folders one by one breaks the worker whenever a hidden folder also holds something
it needs (a virtual environment in the repository root, a venv or the worker's own folder
under /tmp), and leaves everything not on the list readable. So the worker gets the
opposite: an empty tmpfs as its root, into which the launcher binds, read-only, the system
folders (/usr, /etc and the top-level links into /usr), the Python installation with its
packages, and the grader's own package; then the worker's folder (read-write), fresh
/tmp, /var/tmp and /dev/shm, a minimal /dev and a /proc of its own. Anything that is not
bound in (the instructor's checkout, solutions, other assignments, home folders) does not
exist there. Folders that must stay hidden but lie inside a bound tree (a spec kept under
/usr, the forbidden packages in site-packages) are covered with empty read-only mounts, and
needed paths inside those are bound back in.

``plan`` decides the mounts from paths alone (testable anywhere); ``build`` makes them
inside a private mount namespace; ``enter`` makes the result the root (``pivot_root``).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from dataclasses import dataclass

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
MNT_DETACH = 2
# the flags of a mount that a read-only remount of its bind must keep (in a user namespace
# the kernel refuses to drop them): statvfs bit -> mount flag
_KEPT_FLAGS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 16: 16, 64: 64,
               1024: 1024, 2048: 2048, 4096: 1 << 21}

SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
SCRATCH_MB = 8  # each of /tmp, /var/tmp and /dev/shm: held in memory, so counted in the memory budget
SCRATCH_SIZE = f"{SCRATCH_MB}m"

libc = ctypes.CDLL(None, use_errno=True)
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "i686": 217, "i386": 217, "armv7l": 218,
               "ppc64le": 203, "s390x": 217}  # glibc has no wrapper for it


def check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None
    check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def umount(target: str) -> None:
    check(libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


@dataclass(frozen=True)
class Mount:
    """One step of building the root: at ``target`` (a path as the worker will see it),
    ``bind`` a host path read-only, ``rw`` bind it writable, ``mask`` it with an empty
    read-only tmpfs, mount a fresh ``tmpfs``, a ``proc``, the worker's ``folder``, a
    ``device`` node, or a symbolic ``link`` (``source`` is then the link's text)."""

    kind: str
    target: str
    source: str | None = None


_RANK = {"link": 0, "tmpfs": 0, "proc": 0, "folder": 1, "rw": 1, "device": 1, "bind": 2, "mask": 3}


def interpreter_paths() -> list[str]:
    """What this interpreter needs to run the worker: its installations and the folders on its
    module path that hold installed packages. Not a checkout on the path (an editable
    install's): the worker's modules are loaded before the root is entered."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths = set(prefixes)
    for entry in sys.path:
        if not entry or not os.path.exists(entry):
            continue
        real = os.path.realpath(entry)
        inside = any(real == p or real.startswith(p.rstrip("/") + "/") for p in prefixes)
        if inside or os.path.basename(real) in ("site-packages", "dist-packages"):
            paths.add(entry)
    return sorted(paths)


def package_folders(modules: list[str]) -> list[str]:
    """Where these top-level packages live for this interpreter, to be masked (so that
    removing the import hook does not make them importable)."""
    folders = []
    for name in modules:
        try:
            spec = importlib.util.find_spec(name.split(".")[0])
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            if os.path.isdir(location):
                folders.append(os.path.realpath(location))
    return folders


def _links(path: str, depth: int = 0) -> list[Mount]:
    """The symbolic links on the way to ``path``, to recreate them in the new root (so the
    path the interpreter knows still leads to the bound real folder)."""
    links, walked = [], ""
    if depth > 40:  # a loop of links: the kernel gives up there too
        return links
    for part in os.path.abspath(path).strip("/").split("/"):
        walked = f"{walked}/{part}"
        if os.path.islink(walked):
            links.append(Mount("link", walked, os.readlink(walked)))
            links += _links(os.path.join(os.path.dirname(walked), os.readlink(walked)), depth + 1)
            rest = os.path.relpath(os.path.abspath(path), walked)
            if rest != ".":
                links += _links(os.path.join(os.path.realpath(walked), rest), depth + 1)
            break
    return links


def plan(needed: list[str], hidden: list[str], folder: str, *, writable: list[str] = ()) -> list[Mount]:
    """The mounts of the worker's root, in the order they must be made.

    ``needed`` paths are bound read-only (with the links that lead to them), ``writable``
    ones read-write, the worker's ``folder`` gets its copy of the submission, and each
    ``hidden`` path that a bound tree would show is masked. A step is kept only where it
    changes what the worker sees: a bind inside a tree already bound is left out, a mask
    outside every bound tree too (there is nothing to hide there)."""
    steps: list[Mount] = []
    for path in [*SYSTEM, *needed]:
        if os.path.lexists(path):
            steps += _links(path)
            real = os.path.realpath(path)
            if real != "/" and os.path.exists(real):
                steps.append(Mount("bind", real, real))
    for path in writable:
        if os.path.exists(path):
            steps.append(Mount("rw", os.path.realpath(path), os.path.realpath(path)))
    steps += [Mount("mask", os.path.realpath(p)) for p in hidden if os.path.isdir(p)]
    steps += [Mount("tmpfs", "/dev"), Mount("proc", "/proc"), Mount("link", "/dev/fd", "/proc/self/fd")]
    steps += [Mount("link", f"/dev/{n}", f"/proc/self/fd/{i}") for i, n in enumerate(("stdin", "stdout", "stderr"))]
    steps += [Mount("device", f"/dev/{d}", f"/dev/{d}") for d in DEVICES if os.path.exists(f"/dev/{d}")]
    steps += [Mount("tmpfs", d) for d in SCRATCH]
    steps.append(Mount("folder", os.path.realpath(folder), os.path.realpath(folder)))
    ordered = sorted(set(steps), key=lambda m: (_depth(m.target), _RANK[m.kind], m.target))
    kept: list[Mount] = []
    for step in ordered:
        shown = _shown(step.target, kept)
        if step.kind == "bind" and shown:
            continue  # already in view
        if step.kind == "mask" and not shown:
            continue  # not in view: nothing to hide
        if step.kind == "link" and (shown or any(m.target == step.target for m in kept)):
            continue
        kept.append(step)
    return kept


def _depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


def _shown(target: str, kept: list[Mount]) -> bool:
    """Whether ``target`` is in view through a bound tree (the deepest step above it, or at
    it, is a bind)."""
    above = [m for m in kept if m.kind != "link" and (target == m.target or target.startswith(m.target.rstrip("/") + "/"))]
    if not above:
        return False
    return max(above, key=lambda m: _depth(m.target)).kind in ("bind", "rw", "device")


def build(root: str, steps: list[Mount], files: dict[str, bytes], *, disk_mb: int | None,
          owner: tuple[int, int] | None) -> None:
    """Make the mounts of ``steps`` under ``root``, a fresh tmpfs mounted there first. Sources
    are opened before anything is mounted, so a source that the new root covers (a venv
    under /tmp, when the root is built on /tmp) is still reached through its descriptor."""
    sources = {m.source: os.open(m.source, os.O_PATH | os.O_CLOEXEC)
               for m in steps if m.kind in ("bind", "rw", "device") or (m.kind == "folder" and not disk_mb)}
    try:
        mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
        masks = []
        for step in steps:
            target = root + step.target
            if step.kind == "link":
                os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
                os.symlink(step.source, target)
            elif step.kind in ("bind", "rw", "device") or (step.kind == "folder" and not disk_mb):
                fd = sources[step.source]
                _mount_point(target, os.path.isdir(f"/proc/self/fd/{fd}"))
                mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
                if step.kind == "bind":
                    _read_only(target)
            elif step.kind == "folder":
                _mount_point(target, True)
                _private_folder(target, files, disk_mb, owner)
            elif step.kind == "proc":
                _mount_point(target, True)
                mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            elif step.kind == "mask":
                mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16k")
                masks.append(target)
            else:  # a fresh tmpfs: /dev (its nodes are bound in), /tmp and the like
                _mount_point(target, True)
                mode = "0755" if step.target == "/dev" else "1777"
                mount("tmpfs", target, "tmpfs", MS_NOSUID | (0 if step.target == "/dev" else MS_NODEV),
                      f"mode={mode},size={'64k' if step.target == '/dev' else SCRATCH_SIZE}")
        for target in masks:
            _check_empty_mask(target, steps, root)
            mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        for fd in sources.values():
            os.close(fd)


def _check_empty_mask(target: str, steps: list[Mount], root: str) -> None:
    """A mask with nothing bound back inside it is also made unreadable."""
    inside = [m for m in steps if (root + m.target).startswith(target + "/")]
    if not inside:
        os.chmod(target, 0)


def _mount_point(target: str, directory: bool) -> None:
    if os.path.lexists(target):
        return
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if directory:
        os.mkdir(target, 0o755)
    else:
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))


def _read_only(target: str) -> None:
    """Remount a bind read-only, keeping the flags the original mount has (a user namespace
    may not drop them)."""
    have = os.statvfs(target).f_flag
    flags = sum(flag for bit, flag in _KEPT_FLAGS.items() if have & bit)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)


def _private_folder(path: str, files: dict[str, bytes], size_mb: int, owner: tuple[int, int] | None) -> None:
    """The worker's folder as a tmpfs of ``size_mb`` holding a copy of ``files``: a bound on
    all it writes there, and nothing of it outlives the worker."""
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


def read_folder(path: str) -> dict[str, bytes]:
    """The regular files under ``path``, by relative name (to copy into a private folder)."""
    files = {}
    for base, _, names in os.walk(path):
        for name in names:
            full = os.path.join(base, name)
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as f:
                    files[os.path.relpath(full, path)] = f.read()
    return files


def enter(root: str) -> None:
    """Make ``root`` this mount namespace's root and detach the old one, so no path leads
    back to the host's file system (``pivot_root``, not ``chroot``: a chroot can be left)."""
    import platform
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(root)
    check(libc.syscall(number, b".", b"."), "pivot_root")  # the old root ends up on top
    umount(".")
    os.chdir("/")
