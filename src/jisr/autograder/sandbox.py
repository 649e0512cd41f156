"""Run untrusted student code in a bubblewrap (``bwrap``) sandbox.

One call to :func:`run` starts one throw-away sandbox:

* **Namespaces** -- private mount, PID, IPC, UTS, cgroup and network
  namespaces: no network at all (only a private loopback), the sandbox sees
  its own processes only, and its file system is built from nothing.
* **File system** -- read-only binds of the system (``/usr`` and the ``/bin``,
  ``/lib*`` links), of a few files of ``/etc`` that programs need
  (``ld.so.cache``, ``alternatives``, ...), and of the Python interpreter's
  prefixes (the virtualenv and the installation it points to), each at its
  host path so ``sys.executable`` works inside. ``/etc/passwd``, ``group`` and
  ``hosts`` are small generated files. ``/sandbox`` (the working directory and
  ``HOME``), ``/tmp`` and ``/dev/shm`` are fresh tmpfs capped in size and, for
  root runs, in number of files (``nr_inodes``, ``Limits.files``); ``/`` is
  read-only. (Not ``/work``: on the course's CI the virtualenv itself lives
  under ``/work``, and a tmpfs there would hide it.) Nothing else of the host
  is visible: no home folders, no course files, no host ``/tmp``, no gradebook.
* **Identity** -- as root (CI, a grading server) the code runs as a fresh
  unprivileged uid/gid, different for every concurrent run, with no
  capabilities and ``no_new_privs``. As an ordinary user it runs as that user
  inside a new user namespace (where nested user namespaces are disabled).
* **Limits** -- ``RLIMIT_CPU``, ``RLIMIT_AS``, ``RLIMIT_NPROC``,
  ``RLIMIT_FSIZE``, ``RLIMIT_NOFILE`` and ``RLIMIT_CORE=0`` set by ``prlimit``
  inside the sandbox, a wall-clock deadline, and caps on stdout/stderr.
  ``RLIMIT_NPROC`` counts per *real uid*, and the kernel never enforces it
  for uid 0, which is why root runs switch to a fresh uid: the limit then
  counts exactly the processes (and threads) of this one sandbox. As an
  ordinary user the count is kept per user namespace, again one sandbox.
* **Teardown** -- the sandbox's PID namespace is killed as a whole (SIGKILL
  to its init), so code that ignores SIGTERM, forks or daemonises cannot
  outlive :func:`run`; the function checks that no process of the namespace
  is left before it returns.

Files go in and out through the ``/sandbox`` tmpfs only: ``inputs`` are written
into it before the code starts, ``outputs`` are read back after everything
in the sandbox is dead, never following a symbolic link and never reading
more than ``Limits.file_size_mb``. How: bwrap is started with ``--block-fd``,
so it builds the sandbox and then waits; once a random marker link shows the
final root is in place, the trusted process opens the sandbox's working
directory through ``/proc/<pid>/root`` (checking it is a separate, empty
mount), writes the inputs, and lets the command start. That directory handle
keeps the tmpfs alive after the sandbox is gone, for reading the outputs.

There is no unsafe fallback: if bubblewrap is missing or blocked (some
containers forbid the namespaces it needs), :func:`run` raises
:class:`SandboxUnavailable` and nothing is executed.

* **Whole-run limits** -- where the machine allows it (root, or a delegated
  cgroup v2 subtree), each run gets its own control group
  (:mod:`jisr.autograder.cgroups`): ``Limits.memory_mb`` then caps the memory
  of all its processes together, kernel memory included (so a million empty
  files are capped too), and ``Limits.processes`` its tasks. Where it does
  not, :func:`jisr.autograder.cgroups.support` says so and the per-process
  limits hold alone: the worst case is then ``processes x memory_mb``.
* **Time** -- "too slow" is judged on processor time: the sum over the run's
  threads (exact with a control group) is checked against
  ``Limits.cpu_seconds`` while it runs. The wall clock is a safety net that
  stretches by the time the run waited for a processor (a busy machine does
  not make code slow), up to ten times ``Limits.wall_seconds``; a run it
  stops while it was mostly waiting is run once more before it counts.
* **Tag** -- every sandbox has ``JISR_GRADER`` (see
  :func:`jisr.autograder.cgroups.grader_tag`) in its environment, and its
  control group that tag in its name: one grader's runs can be told from
  another's on the same machine.
"""

from __future__ import annotations

import errno
import functools
import itertools
import json
import os
import secrets
import select
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

try:
    from . import cgroups
except ImportError:  # this file loaded on its own, outside the package: per-process limits only
    cgroups = None  # type: ignore[assignment]

__all__ = [
    "BWRAP",
    "Limits",
    "Result",
    "SandboxUnavailable",
    "Status",
    "available",
    "processes_in_namespace",
    "run",
    "unavailable_reason",
]

#: The bubblewrap executable. A module attribute so tests (and unusual
#: installations) can point it elsewhere; :func:`available` re-probes when it changes.
BWRAP: str = shutil.which("bwrap") or "/usr/bin/bwrap"

#: The working directory inside the sandbox (also ``HOME``): a fresh tmpfs.
WORKDIR = "/sandbox"

Status = Literal["ok", "error", "timeout", "memory", "output-limit", "killed", "sandbox-unavailable"]

MB = 1024 * 1024
_SETUP_TIMEOUT = 15.0  # seconds bwrap may take to build the sandbox
_DRAIN_TIMEOUT = 5.0  # seconds to wait for the pipes to close once everything was killed
_READY_LINK = "/.sandbox-ready"
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "nsswitch.conf", "fonts")
_RESERVED = ("/", "/proc", "/dev", "/etc", "/tmp", WORKDIR, _READY_LINK)
# Fresh uids for root runs: far above any real or subordinate (/etc/subuid) uid.
_UID_BASE = 1_600_000_000
_uid_counter = itertools.count()
_POLL = 0.25  # seconds between two looks at the run's processor time
_STRETCH = 10.0  # the wall limit stretches by the time spent waiting for a processor, up to this factor
_STARVED = 0.25  # a run that waited this share of its wall time for a processor was slowed by the machine
_MEMORY_HINTS = (b"MemoryError", b"std::bad_alloc", b"Cannot allocate memory", b"out of memory")


class SandboxUnavailable(RuntimeError):
    """Bubblewrap cannot be used here, so untrusted code must not (and will not) run."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run. Per-process limits apply to every process of the sandbox."""

    cpu_seconds: int = 30  #: RLIMIT_CPU per process (SIGXCPU, then SIGKILL one second later)
    wall_seconds: float = 60  #: wall-clock deadline for the whole run
    memory_mb: int = 1024  #: RLIMIT_AS (address space) per process
    processes: int = 64  #: RLIMIT_NPROC: processes and threads of the sandbox together
    file_size_mb: int = 16  #: RLIMIT_FSIZE, and the largest output file read back
    output_bytes: int = 1_000_000  #: cap of stdout and of stderr, each
    open_files: int = 256  #: RLIMIT_NOFILE
    disk_mb: int = 64  #: size of each tmpfs: the working directory, /tmp and /dev/shm
    files: int = 10_000  #: most files and folders (inodes) in each tmpfs (runs as root: set with ``nr_inodes``)

    def __post_init__(self) -> None:
        for name in ("cpu_seconds", "memory_mb", "processes", "file_size_mb", "output_bytes", "open_files", "disk_mb",
                     "files"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, not {value!r}")
        if not self.wall_seconds > 0:
            raise ValueError(f"Limits.wall_seconds must be positive, not {self.wall_seconds!r}")


@dataclass
class Result:
    """What happened in one run.

    ``status`` is ``"ok"`` (exit code 0), ``"error"`` (any other exit, the
    file-size limit included), ``"timeout"`` (wall clock or CPU limit),
    ``"memory"`` (the address-space limit was hit), ``"output-limit"``
    (stdout or stderr exceeded ``Limits.output_bytes``; the run was stopped),
    ``"killed"`` (ended by another signal, e.g. a segfault) or
    ``"sandbox-unavailable"`` (bwrap failed while building this sandbox:
    the command never ran).
    """

    status: Status
    returncode: int | None  #: exit code, or -N if killed by signal N; None if stopped by run() or never started
    stdout: bytes  #: at most ``Limits.output_bytes``
    stderr: bytes  #: at most ``Limits.output_bytes``
    wall_seconds: float
    files: dict[str, bytes] = field(default_factory=dict)  #: declared outputs that were read back
    rejected: dict[str, str] = field(default_factory=dict)  #: declared outputs not read back, and why
    namespace: int | None = None  #: inode of the sandbox's PID namespace (see processes_in_namespace)
    stopped_by: str | None = None  #: for a timeout: "cpu" (processor time) or "wall" (wall clock)
    cpu_seconds: float | None = None  #: processor time of the whole run (cgroup, else the sum over its threads)
    waited_seconds: float = 0.0  #: time the run's threads were ready to run but waited for a processor
    overloaded: bool = False  #: the wall clock stopped it while it mostly waited for a busy machine
    retried: bool = False  #: this is the second attempt: the first was stopped on an overloaded machine
    cgroup: bool = False  #: the run had its own control group (limits on the whole submission)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# --------------------------------------------------------------------------- probing


def _tool(name: str) -> str:
    """Absolute path of a util-linux tool; it must live under /usr, which the sandbox sees."""
    path = shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
    if path is None:
        raise SandboxUnavailable(f"`{name}` (util-linux) is missing; install it with `apt-get install util-linux`.")
    real = os.path.realpath(path)
    if not real.startswith("/usr/"):
        raise SandboxUnavailable(f"`{name}` must live under /usr to be usable inside the sandbox, found {real}.")
    return real


def _install_hint(reason: str) -> str:
    return (
        f"The bubblewrap sandbox is unavailable: {reason}\n"
        "Student code is never run without it. Install it with `apt-get install bubblewrap` "
        "(Debian/Ubuntu; `dnf install bubblewrap` on Fedora). Inside a container it also needs user "
        "namespaces or, as root, mount namespaces: e.g. `docker run --security-opt seccomp=unconfined "
        "--security-opt apparmor=unconfined` (or --privileged); on Ubuntu 24.04+ unprivileged user "
        "namespaces may be restricted by AppArmor (sysctl kernel.apparmor_restrict_unprivileged_userns)."
    )


@functools.lru_cache(maxsize=8)
def _probe(bwrap: str, euid: int) -> str | None:
    """Start one minimal sandbox; return None if it works, else the reason. Cached per (bwrap, euid)."""
    if not os.path.isfile(bwrap) or not os.access(bwrap, os.X_OK):
        return f"{bwrap} does not exist or is not executable."
    try:
        args = [bwrap, *_namespace_args(euid == 0), *_system_args(), "--proc", "/proc", "--dev", "/dev",
                "--tmpfs", WORKDIR, "--chdir", WORKDIR, "--"]
        if euid == 0:  # exercise the switch to an unprivileged uid too
            args += [_tool("setpriv"), f"--reuid={_UID_BASE - 1}", f"--regid={_UID_BASE - 1}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        args += [_tool("prlimit"), "--core=0", "--", "/usr/bin/env", "true"]
    except SandboxUnavailable as err:
        return str(err)
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={"PATH": "/usr/bin:/bin"}, timeout=_SETUP_TIMEOUT, check=False, umask=0o022)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{bwrap} could not be started: {err}"
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
        return f"{bwrap} failed ({message})."
    return None


def unavailable_detail() -> str | None:
    """The system's own words for why the sandbox cannot start (no advice), or None if it can."""
    return _probe(BWRAP, os.geteuid())


def unavailable_reason() -> str | None:
    """Why the sandbox cannot be used here (with install advice), or None if it can."""
    reason = _probe(BWRAP, os.geteuid())
    return None if reason is None else _install_hint(reason)


def available() -> bool:
    """True if bubblewrap works here. The probe runs once per bwrap path and is cached."""
    return _probe(BWRAP, os.geteuid()) is None


# --------------------------------------------------------------------------- bwrap arguments


def _namespace_args(as_root: bool) -> list[str]:
    common = ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if as_root:
        # As root, --unshare-all would add a user namespace mapping the sandbox to host uid 0,
        # where RLIMIT_NPROC is never enforced. Unshare everything else, keep only the
        # capabilities setpriv needs to drop to a fresh uid, which then has none at all.
        return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                "--cap-add", "CAP_SETPCAP", *common]
    return ["--unshare-all", "--unshare-user", "--disable-userns", *common]


def _python_prefixes() -> list[str]:
    """The interpreter's prefixes (virtualenv and base installation), outside /usr, parents first."""
    paths: set[str] = set()
    for prefix in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix):
        for path in (os.path.abspath(prefix), os.path.realpath(prefix)):
            if path != "/" and os.path.isdir(path) and not _under(path, "/usr"):
                paths.add(path)
    return sorted(paths, key=lambda p: (p.count("/"), p))


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


@functools.lru_cache(maxsize=1)
def _system_args_cached() -> tuple[str, ...]:
    args: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    prefixes = _python_prefixes()
    for prefix in prefixes:
        if _under(prefix, WORKDIR) or _under(WORKDIR, prefix):
            raise SandboxUnavailable(f"Python lives in {prefix}, which clashes with the sandbox's {WORKDIR}.")
    etc = [f"/etc/{name}" for name in _ETC_FILES if os.path.exists(f"/etc/{name}")]
    args += _parent_dirs([*etc, *prefixes])
    for path in [*etc, *prefixes]:
        args += ["--ro-bind", path, path]
    return tuple(args)


def _parent_dirs(paths: Iterable[str]) -> list[str]:
    """``--dir`` operations creating the missing parents of bind targets world-readable.

    (bwrap would otherwise copy modes such as /root's 0700, hiding the bind from the sandbox's uid.)
    """
    parents: set[str] = set()
    for path in paths:
        parents.update(str(parent) for parent in PurePosixPath(path).parents if str(parent) != "/")
    args: list[str] = []
    for parent in sorted(parents, key=lambda p: (p.count("/"), p)):
        if not any(_under(parent, system) for system in _SYSTEM_DIRS):
            args += ["--perms", "0755", "--dir", parent]
    return args


def _system_args() -> list[str]:
    return list(_system_args_cached())


def _sandbox_path() -> str:
    bindir = os.path.dirname(os.path.abspath(sys.executable))
    return f"{bindir}:/usr/local/bin:/usr/bin:/bin"


def _check_env(env: Mapping[str, str]) -> None:
    for key, value in env.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key or "=" in key or "\0" in key + value:
            raise ValueError(f"invalid environment variable {key!r}")


def _sandbox_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {
        "PATH": _sandbox_path(),
        "HOME": WORKDIR,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    if extra:
        _check_env(extra)
        env.update(extra)
    return env


def _read_only_args(read_only: Mapping[Path | str, str] | None) -> list[str]:
    args: list[str] = []
    targets: list[str] = []
    for source, dest in (read_only or {}).items():
        src = os.path.realpath(source)
        if not os.path.exists(src):
            raise FileNotFoundError(f"read_only source {source} does not exist")
        target = str(PurePosixPath(dest))
        if not target.startswith("/") or ".." in PurePosixPath(dest).parts:
            raise ValueError(f"read_only destination must be an absolute path without '..': {dest!r}")
        if any(_under(target, reserved) for reserved in _RESERVED[1:]) or target == "/" or any(
                _under(target, system) for system in _SYSTEM_DIRS):
            raise ValueError(f"read_only destination {dest!r} would hide a part of the sandbox")
        args += ["--ro-bind", src, target]
        targets.append(target)
    return _parent_dirs(targets) + args


def _limit_args(limits: Limits) -> list[str]:
    cpu = limits.cpu_seconds
    memory = limits.memory_mb * MB
    fsize = limits.file_size_mb * MB
    return [f"--cpu={cpu}:{cpu + 1}", f"--as={memory}:{memory}", f"--nproc={limits.processes}:{limits.processes}",
            f"--fsize={fsize}:{fsize}", f"--nofile={limits.open_files}:{limits.open_files}", "--core=0:0"]


def _data_fd(data: bytes) -> int:
    """A pipe's read end already holding ``data`` (small: it must fit the pipe buffer)."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)
    finally:
        os.close(write_end)
    return read_end


# --------------------------------------------------------------------------- files in the working directory


def _parts(name: str) -> list[str]:
    """Split a relative file name; refuse absolute names, '..', '.', empty parts and NUL."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\0" in name:
        raise ValueError(f"invalid sandbox file name {name!r}: must be a relative path")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"invalid sandbox file name {name!r}")
    return parts


def descend(fd: int, part: str) -> int:
    """The directory ``part`` inside the one open as ``fd``, opened without following a link; closes ``fd``.

    On an error (a link: ELOOP or ENOTDIR) ``fd`` stays open, for the caller to close.
    """
    next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
    os.close(fd)
    return next_fd


def _open_dir(root_fd: int, parts: Sequence[str], create: bool, owner: tuple[int, int] | None) -> int:
    """Open (optionally create) the directory ``parts`` under ``root_fd`` without following symlinks."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, 0o755, dir_fd=fd)
                    if owner is not None:
                        os.chown(part, *owner, dir_fd=fd, follow_symlinks=False)
                except FileExistsError:
                    pass
            fd = descend(fd, part)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _write_inputs(root_fd: int, inputs: Mapping[str, bytes], owner: tuple[int, int] | None) -> None:
    for name, data in inputs.items():
        *dirs, base = _parts(name)
        dir_fd = _open_dir(root_fd, dirs, create=True, owner=owner)
        try:
            fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                         dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        try:
            if owner is not None:
                os.fchown(fd, *owner)
            view = memoryview(bytes(data))
            while view:
                view = view[os.write(fd, view):]
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EFBIG):
                raise ValueError(f"input {name!r} does not fit in the sandbox (Limits.disk_mb)") from err
            raise
        finally:
            os.close(fd)


def _read_output(root_fd: int, name: str, cap: int) -> tuple[bytes | None, str]:
    """Read one declared output: a regular file reached without any symlink, at most ``cap`` bytes."""
    *dirs, base = _parts(name)
    try:
        dir_fd = _open_dir(root_fd, dirs, create=False, owner=None)
    except FileNotFoundError:
        return None, "missing"
    except OSError as err:
        return None, "symlink or not a directory on the way" if err.errno in (errno.ELOOP, errno.ENOTDIR) else str(err)
    try:
        fd = os.open(base, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return None, "missing"
    except OSError as err:
        return None, "symlink" if err.errno == errno.ELOOP else str(err)
    finally:
        os.close(dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > cap:
            return None, f"too large ({info.st_size} bytes > {cap})"
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, cap + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                return None, f"too large (> {cap} bytes)"
        return b"".join(chunks), ""
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- processes


def _alive(pid: str) -> bool:
    """False for a zombie (dead, only waiting to be reaped by its parent) or a vanished process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _sandbox_processes(namespace: int | None, uid: int | None) -> list[int]:
    wanted = f"pid:[{namespace}]"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            match = (namespace is not None and os.readlink(f"/proc/{entry}/ns/pid") == wanted) or (
                uid is not None and os.stat(f"/proc/{entry}").st_uid == uid)
        except OSError:
            continue
        if match and _alive(entry):
            found.append(int(entry))
    return found


def processes_in_namespace(namespace: int) -> list[int]:
    """Host PIDs of the live processes (zombies excluded) of the PID namespace with inode ``namespace``."""
    return _sandbox_processes(namespace, None)


def _reap_leftovers(namespace: int | None, uid: int | None) -> None:
    """Make sure nothing of the sandbox survives (normally the kernel already saw to it).

    The sandbox's init may stay a zombie for a moment (it is reaped by the host's
    init, as bwrap exits first); a zombie runs nothing and holds nothing, so it is ignored.
    """
    deadline = time.monotonic() + 5
    while pids := _sandbox_processes(namespace, uid):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"sandbox processes survived SIGKILL: {sorted(pids)}")
        time.sleep(0.01)


def _read_info(fd: int, deadline: float) -> dict[str, int] | None:
    """Read bwrap's --info-fd JSON (None if bwrap exited first)."""
    data = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        data += chunk
        try:
            info = json.loads(data)
        except ValueError:
            continue
        return info if isinstance(info, dict) else None


def _classify(returncode: int, stderr: bytes, elapsed: float, limits: Limits, oom: bool = False) -> tuple[Status, int]:
    """Map bwrap's exit status (128+N when the command died of signal N) to a status.

    ``elapsed`` is the processor time when it is known (else the wall time);
    ``oom`` says the control group's memory limit killed a process of the run.
    """
    if oom:
        return "memory", returncode - 128 if returncode > 128 else returncode
    if returncode == 0:
        return "ok", 0
    memory = any(hint in stderr[-8192:] for hint in _MEMORY_HINTS)
    if returncode > 128 and returncode - 128 in signal.valid_signals():
        signum = returncode - 128
        if signum == signal.SIGXCPU:
            return "timeout", -signum
        if signum == signal.SIGKILL and elapsed >= limits.cpu_seconds:
            return "timeout", -signum  # the hard CPU limit (SIGXCPU was ignored)
        if signum == signal.SIGXFSZ:
            return "error", -signum
        return ("memory" if memory else "killed"), -signum
    return ("memory" if memory else "error"), returncode


# --------------------------------------------------------------------------- run


def run(
    command: Sequence[str],
    workdir: Path | str | None = None,
    *,
    limits: Limits | None = None,
    inputs: Mapping[str, bytes] | None = None,
    outputs: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    read_only: Mapping[Path | str, str] | None = None,
) -> Result:
    """Run ``command`` in a fresh sandbox and return what happened.

    ``command`` is executed inside the sandbox with :data:`WORKDIR`
    (``/sandbox``) as working directory and ``HOME``; its first word is looked up in the sandbox's ``PATH`` (the
    interpreter's ``bin`` folder, then ``/usr/local/bin:/usr/bin:/bin``), so
    ``[sys.executable, "-c", code]`` works. ``inputs`` maps relative names to
    contents written into it first. ``outputs`` are relative names read
    back from it afterwards into ``Result.files`` (or listed in
    ``Result.rejected`` with the reason: missing, symlink, not a regular
    file, too large). If ``workdir`` (a host folder) is given, the outputs
    read back are also saved there. ``env`` adds variables to the minimal
    environment. ``read_only`` maps host folders or files to absolute paths
    where they appear read-only inside.

    stdin is ``/dev/null``. Raises :class:`SandboxUnavailable` if bubblewrap
    cannot be used; never runs the command any other way.
    """
    limits = limits or Limits()
    command = list(command)
    if not command or not all(isinstance(word, str) and "\0" not in word for word in command):
        raise ValueError("command must be a non-empty list of strings")
    inputs = dict(inputs or {})
    for name, data in inputs.items():
        _parts(name)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"input {name!r} must be bytes")
    wanted = list(outputs)
    for name in wanted:
        _parts(name)
    sandbox_env = _sandbox_env(env)
    extra_binds = _read_only_args(read_only)

    euid = os.geteuid()
    reason = _probe(BWRAP, euid)
    if reason is not None:
        raise SandboxUnavailable(_install_hint(reason))

    sandbox_env["JISR_GRADER"] = cgroups.grader_tag() if cgroups else f"p{os.getpid()}"  # tells this grader's runs from any other's

    def attempt() -> Result:
        as_root = euid == 0
        if as_root:
            uid = gid = _UID_BASE + (os.getpid() % (1 << 22)) * 128 + next(_uid_counter) % 128
        else:
            uid, gid = os.getuid(), os.getgid()
        prlimit = _tool("prlimit")
        chain = [prlimit, *_limit_args(limits), "--"]
        if as_root:
            chain = [_tool("setpriv"), f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all",
                     "--bounding-set=-all", "--no-new-privs", "--", *chain]

        token = secrets.token_hex(16)
        disk = str(limits.disk_mb * MB)
        fds: list[int] = []
        passwd = f"root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:{uid}:{gid}:sandbox:{WORKDIR}:/bin/sh\n"
        group = f"root:x:0:\nsandbox:x:{gid}:\n"
        hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tsandbox\n"
        try:
            data_args: list[str] = []
            for path, text in (("/etc/passwd", passwd), ("/etc/group", group), ("/etc/hosts", hosts)):
                fds.append(_data_fd(text.encode()))
                data_args += ["--perms", "0644", "--ro-bind-data", str(fds[-1]), path]
            info_r, info_w = os.pipe()
            fds += [info_r, info_w]
            block_r, block_w = os.pipe()
            fds += [block_r, block_w]
            args = [
                BWRAP, *_namespace_args(as_root),
                "--proc", "/proc", "--dev", "/dev",
                "--perms", "1777", "--size", disk, "--tmpfs", "/dev/shm",
                "--perms", "1777", "--size", disk, "--tmpfs", "/tmp",
                *_system_args(), *data_args, *extra_binds,
                "--perms", "0755", "--size", disk, "--tmpfs", WORKDIR,
                "--symlink", token, _READY_LINK,
                "--remount-ro", "/dev", "--remount-ro", "/",
                "--chdir", WORKDIR, "--clearenv",
            ]
            for key, value in sandbox_env.items():
                args += ["--setenv", key, value]
            args += ["--info-fd", str(info_w), "--block-fd", str(block_r), "--", *chain, *command]
            return _supervise(args, fds, info_r, info_w, block_r, block_w, token, limits, inputs, wanted,
                              (uid, gid) if as_root else None, Path(workdir) if workdir is not None else None)
        finally:
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass

    result = attempt()
    if result.stopped_by == "wall" and result.overloaded:
        # the machine, not the code, was slow: the verdict must not depend on that
        result = attempt()
        result.retried = True
    return result


def _cap_inodes(child: int, files: int) -> None:
    """Cap the number of inodes of the sandbox's three tmpfs (bwrap sets only their size).

    Empty files cost no bytes, so ``--size`` alone lets a run make millions of
    them. As root, the grader remounts each tmpfs inside the sandbox's mount
    namespace with ``nr_inodes`` before the command starts.
    """
    for path in (WORKDIR, "/tmp", "/dev/shm"):
        for attempt in range(3):
            # --root: the sandbox's own root (its mount namespace may still show bwrap's old root for a moment)
            done = subprocess.run([_tool("nsenter"), f"--target={child}", "--mount", "--root", "--", _tool("mount"),
                                   "-o", f"remount,nr_inodes={files}", path], stdin=subprocess.DEVNULL,
                                  capture_output=True, env={"PATH": "/usr/bin:/bin"}, timeout=_SETUP_TIMEOUT, check=False)
            if done.returncode == 0:
                break
            time.sleep(0.05 * (attempt + 1))
        else:
            raise RuntimeError(f"could not cap the files of {path} in the sandbox: {done.stderr.decode(errors='replace')}")


def _close(fds: list[int], fd: int) -> None:
    if fd in fds:
        fds.remove(fd)
        os.close(fd)


def _supervise(args: list[str], fds: list[int], info_r: int, info_w: int, block_r: int, block_w: int, token: str,
               limits: Limits, inputs: dict[str, bytes], wanted: list[str], owner: tuple[int, int] | None,
               workdir: Path | None) -> Result:
    passed = [fd for fd in fds if fd not in (info_r, block_w)]
    # limits on the whole run (memory with kernel memory, processes), where the machine allows it
    cgroup = cgroups.create(limits.memory_mb * MB, limits.processes) if cgroups else None
    started = time.monotonic()
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=passed, env={"PATH": "/usr/bin:/bin"}, start_new_session=True, umask=0o022)
    except BaseException:
        if cgroup is not None:
            cgroup.remove()
        raise
    for fd in passed:
        _close(fds, fd)
    child_pidfd: int | None = None
    root_fd: int | None = None
    namespace: int | None = None
    def kill() -> None:
        if cgroup is not None:
            cgroup.kill()
        if child_pidfd is not None:  # the PID namespace's init: the kernel kills the whole namespace
            try:
                signal.pidfd_send_signal(child_pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            proc.kill()

    try:
        # 1. wait until bwrap has built the sandbox and blocks before running the command
        info = _read_info(info_r, started + _SETUP_TIMEOUT)
        if info is not None:
            child = int(info["child-pid"])
            namespace = int(info["pid-namespace"])
            try:
                pidfd = os.pidfd_open(child)
            except ProcessLookupError:
                pidfd = None
            if pidfd is not None:
                # Only ever signal bwrap's own child: check its parent, then that the pidfd's
                # process is alive (so the PID was not reused in between).
                try:
                    with open(f"/proc/{child}/stat", "rb") as fh:
                        parent = int(fh.read().rsplit(b")", 1)[1].split()[1])
                    signal.pidfd_send_signal(pidfd, 0)
                except (OSError, ValueError, IndexError):
                    parent = -1
                if parent == proc.pid:
                    child_pidfd = pidfd
                else:
                    os.close(pidfd)
                    info = None
        ready = False
        delay = 0.0002
        while info is not None and not ready and proc.poll() is None:
            try:
                ready = os.readlink(f"/proc/{child}/root{_READY_LINK}") == token
            except OSError:
                pass
            if not ready:
                if time.monotonic() - started > _SETUP_TIMEOUT:
                    break
                time.sleep(delay)
                delay = min(delay * 2, 0.01)
        if not ready or proc.poll() is not None:
            kill()
            _, err = proc.communicate()
            message = err[-limits.output_bytes:] or b"bwrap did not finish building the sandbox in time\n"
            return Result("sandbox-unavailable", None, b"", message, 0.0, {}, {}, namespace)

        # 2. open the sandbox's working directory (a fresh, empty tmpfs) and put the inputs in it
        root_fd = os.open(f"/proc/{child}/root{WORKDIR}", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        if os.fstat(root_fd).st_dev == os.stat(f"/proc/{child}/root/").st_dev or os.listdir(root_fd):
            kill()
            raise RuntimeError("the sandbox's working directory is not the fresh tmpfs it should be")
        if owner is not None:
            os.fchown(root_fd, *owner)
            _cap_inodes(child, limits.files)
        _write_inputs(root_fd, inputs, owner)
        if cgroup is not None:
            try:
                cgroup.add(child)  # before the command starts: everything it starts is in the group
            except OSError as err:
                kill()
                return Result("sandbox-unavailable", None, b"", f"control group: {err}\n".encode(), 0.0, {}, {}, namespace)

        # 3. let it run, collect capped stdout/stderr until exit, deadline or output limit
        os.write(block_w, b"x")
        _close(fds, block_w)
        begun = time.monotonic()
        monitor = _Monitor(namespace, owner[0] if owner else None, cgroup)
        status, stdout, stderr = _collect(proc, kill, begun, limits, monitor)
        returncode = proc.wait()
        elapsed = time.monotonic() - begun
        cpu = monitor.cpu
        kill()  # the command's exit does not end its daemons: end the namespace (idempotent)
        _reap_leftovers(namespace, owner[0] if owner else None)
        oom = cgroup is not None and cgroup.oom_killed()

        code: int | None = None  # stopped by us: no meaningful exit code
        if status is None:
            status, code = _classify(returncode, stderr, cpu if cgroup is not None else elapsed, limits, oom)
            if status == "timeout":
                monitor.stopped_by = "cpu"
        elif oom and status == "timeout":
            status = "memory"  # the memory limit, not the clock, ended it

        # 4. read the outputs back, now that nothing in the sandbox runs any more
        files: dict[str, bytes] = {}
        rejected: dict[str, str] = {}
        for name in wanted:
            data, why = _read_output(root_fd, name, limits.file_size_mb * MB)
            if data is None:
                rejected[name] = why
            else:
                files[name] = data
        if workdir is not None:
            _save(workdir, files)
        return Result(status, code, stdout, stderr, elapsed, files, rejected, namespace, monitor.stopped_by, cpu,
                      monitor.waited, monitor.overloaded, cgroup=cgroup is not None)
    finally:
        if proc.poll() is None or child_pidfd is not None:
            kill()
        try:
            proc.wait(timeout=_DRAIN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        for handle in (child_pidfd, root_fd):
            if handle is not None:
                os.close(handle)
        if cgroup is not None:
            cgroup.remove()


class _Monitor:
    """Processor time and waiting time of the run, sampled while it runs.

    Each thread's ``/proc/<pid>/task/<tid>/schedstat`` gives the time it ran
    and the time it was ready to run but waited for a processor (the machine
    was busy). With a control group, its own processor time is exact.
    """

    def __init__(self, namespace: int | None, uid: int | None, cgroup: cgroups.Cgroup | None) -> None:  # type: ignore[name-defined]
        self.namespace, self.uid, self.cgroup = namespace, uid, cgroup
        self.seen: dict[int, tuple[int, int]] = {}
        self.stopped_by: str | None = None
        self.overloaded = False

    def sample(self) -> None:
        pids = self.cgroup.pids() if self.cgroup is not None else _sandbox_processes(self.namespace, self.uid)
        for pid in pids:
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                try:
                    with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as fh:
                        ran, waited, _ = fh.read().split()
                    self.seen[int(tid)] = (int(ran), int(waited))
                except (OSError, ValueError):
                    continue

    @property
    def cpu(self) -> float:
        measured = self.cgroup.cpu_seconds() if self.cgroup is not None else None
        return measured if measured is not None else sum(ran for ran, _ in self.seen.values()) / 1e9

    @property
    def waited(self) -> float:
        return sum(waited for _, waited in self.seen.values()) / 1e9


def _collect(proc: subprocess.Popen[bytes], kill: Callable[[], None], begun: float, limits: Limits,
             monitor: _Monitor) -> tuple[Status | None, bytes, bytes]:
    """Read stdout and stderr together, each up to ``Limits.output_bytes``; stop on a limit or overflow.

    The run is stopped when its processor time (all its processes together)
    passes ``Limits.cpu_seconds``, or when the wall clock passes
    ``Limits.wall_seconds`` plus the time it spent waiting for a processor
    (at most ``_STRETCH`` times the limit): a busy machine does not make code slow.
    """
    assert proc.stdout is not None and proc.stderr is not None
    cap = limits.output_bytes
    buffers = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    received = dict.fromkeys(buffers, 0)
    status: Status | None = None
    deadline = begun + limits.wall_seconds
    next_sample = begun + _POLL
    exit_fd = os.pidfd_open(proc.pid)

    def stop(why: Status) -> None:
        nonlocal status, deadline
        status = why
        kill()
        deadline = time.monotonic() + _DRAIN_TIMEOUT

    with selectors.DefaultSelector() as selector:
        for fd in buffers:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        selector.register(exit_fd, selectors.EVENT_READ)
        open_streams = len(buffers)
        exited = False
        try:
            while open_streams or not exited:
                now = time.monotonic()
                if status is None and not exited and now >= next_sample:
                    monitor.sample()
                    next_sample = now + _POLL
                    if monitor.cpu > limits.cpu_seconds:
                        monitor.stopped_by = "cpu"
                        stop("timeout")
                        continue
                if now >= deadline:
                    if status is not None:
                        break  # killed, yet the pipes stay open: give up on them
                    monitor.sample()
                    elapsed = now - begun
                    stretched = begun + min(limits.wall_seconds + monitor.waited, limits.wall_seconds * _STRETCH)
                    if now < stretched:
                        deadline = stretched
                        continue
                    monitor.stopped_by = "wall"
                    monitor.overloaded = monitor.waited >= _STARVED * elapsed
                    stop("timeout")
                    continue
                wait = max(0.0, min(deadline, next_sample if status is None else deadline) - now)
                for key, _ in selector.select(timeout=wait):
                    fd = key.fd
                    if fd == exit_fd:
                        exited = True
                        selector.unregister(fd)
                        kill()  # the main command ended: end its background processes too
                        continue
                    try:
                        chunk = os.read(fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        selector.unregister(fd)
                        open_streams -= 1
                        continue
                    buffer = buffers[fd]
                    received[fd] += len(chunk)
                    if len(buffer) < cap:
                        buffer += chunk[: cap - len(buffer)]
                    if received[fd] > cap and status is None:
                        stop("output-limit")
        finally:
            os.close(exit_fd)
    return status, bytes(buffers[proc.stdout.fileno()]), bytes(buffers[proc.stderr.fileno()])


def _save(workdir: Path, files: Mapping[str, bytes]) -> None:
    """Write the outputs read back into the host folder ``workdir``."""
    for name, data in files.items():
        target = workdir.joinpath(*_parts(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
