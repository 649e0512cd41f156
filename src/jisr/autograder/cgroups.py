"""One control group per sandbox run: memory, processes and processor time for the whole submission.

Resource limits (``setrlimit``) count per process: six processes of 400 MB
each pass a 1 GB ``RLIMIT_AS``, and 900,000 empty files cost kernel memory
that no rlimit sees. A control group counts the whole run, kernel memory
(inodes, dentries, tmpfs pages) included. :func:`create` makes one for a run,
under the grader's own group, so the machine's own limits still hold above it:

* **cgroup v2** (one unified hierarchy): used when the grader's group already
  delegates ``memory`` and ``pids`` to its children (``cgroup.subtree_control``),
  or lets the grader enable them. Limits: ``memory.max``, ``memory.swap.max=0``,
  ``pids.max``; processor time from ``cpu.stat``; ``cgroup.kill`` ends it.
* **cgroup v1** (one hierarchy per controller): the ``memory`` and ``pids``
  hierarchies are required, ``cpuacct`` is used when mounted. Limits:
  ``memory.limit_in_bytes`` (and ``memsw``), ``pids.max``.
* **neither** (no write access, e.g. an ordinary user without a delegated
  subtree, or a container without cgroup files): :func:`create` returns None
  and the sandbox keeps its per-process limits; :func:`support` says so in one line.

Each group's name carries the grader's tag (:func:`grader_tag`), so one
grader's runs can be told from another's on the same machine.
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from ..i18n import Message, N_

__all__ = ["Cgroup", "create", "grader_tag", "support"]

#: Set to False to never use control groups (the per-process limits then hold alone).
ENABLED = True

_counter = itertools.count()
_PREFIX = "jisr-"


@functools.lru_cache(maxsize=1)
def grader_tag() -> str:
    """A name for this grader process: ``JISR_GRADER_TAG`` if set, else one made from its pid.

    It is in the name of every control group and in the environment of every
    sandbox (``JISR_GRADER``), so a test or a teacher can find this grader's
    runs, and only them, among those of other graders.
    """
    tag = os.environ.get("JISR_GRADER_TAG", "")
    clean = "".join(c for c in tag if c.isalnum() or c in "-_")[:40]
    return clean or f"p{os.getpid()}"


def _own_groups() -> dict[str, str]:
    """Controller (or "" for v2) -> this process's group path, from /proc/self/cgroup."""
    groups = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            groups[controller] = path
    return groups


def _mounts() -> dict[str, Path]:
    """Controller (or "" for the v2 hierarchy) -> where its hierarchy is mounted."""
    found: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        fields = line.split(" - ", 1)
        if len(fields) != 2:
            continue
        left, right = fields[0].split(), fields[1].split()
        if len(left) < 5 or len(right) < 3 or left[3] != "/":
            continue
        kind, options = right[0], right[2].split(",")
        if kind == "cgroup2":
            found.setdefault("", Path(left[4]))
        elif kind == "cgroup":
            for option in options:
                if option in ("memory", "pids", "cpuacct"):
                    found.setdefault(option, Path(left[4]))
    return found


def _writable_parent(folder: Path) -> bool:
    """True if a child group can be made and removed under ``folder``."""
    probe = folder / f"{_PREFIX}probe-{os.getpid()}-{next(_counter)}"
    try:
        probe.mkdir()
        probe.rmdir()
        return True
    except OSError:
        return False


def _v2_parent(mount: Path, path: str) -> Path | None:
    """Where to make this grader's groups in the unified hierarchy, or None.

    The grader's own group if it delegates ``memory`` and ``pids`` to its
    children (or lets the grader switch them on: only possible while it holds
    no process, e.g. at the root); else its parent's, when the grader sits in
    a leaf of a delegated subtree (systemd ``Delegate=yes``: the service in
    ``<unit>/main``, its sandboxes beside it).
    """
    own = mount / path.lstrip("/")
    candidates = [own] + ([own.parent] if own != mount else [])
    for number, parent in enumerate(candidates):
        try:
            delegated = set((parent / "cgroup.subtree_control").read_text().split())
            if not {"memory", "pids"} <= delegated and number == 0:
                available = set((parent / "cgroup.controllers").read_text().split())
                if {"memory", "pids"} <= available:
                    wanted = "+memory +pids" + (" +cpu" if "cpu" in available else "")
                    (parent / "cgroup.subtree_control").write_text(wanted)  # EBUSY if it holds processes
                    delegated = set((parent / "cgroup.subtree_control").read_text().split())
        except OSError:
            continue
        if {"memory", "pids"} <= delegated and _writable_parent(parent):
            return parent
    return None


@functools.lru_cache(maxsize=1)
def _layout() -> tuple[int, dict[str, Path]] | None:
    """(version, controller -> the folder where this grader makes its groups), or None."""
    if not ENABLED:
        return None
    groups, mounts = _own_groups(), _mounts()
    if "" in mounts and "" in groups and (mounts[""] / "cgroup.controllers").is_file():
        parent = _v2_parent(mounts[""], groups[""])
        if parent is not None:
            return 2, {"": parent}
    parents: dict[str, Path] = {}
    for controller in ("memory", "pids", "cpuacct"):
        if controller in mounts and controller in groups:
            folder = mounts[controller] / groups[controller].lstrip("/")
            if _writable_parent(folder):
                parents[controller] = folder
    if "memory" in parents and "pids" in parents:
        return 1, parents
    return None


WHOLE = N_("Limits: each submission has its own control group (cgroup v{version}): its memory (kernel memory included) and its processes are limited as a whole.")
PER_PROCESS = N_("Limits: no control group can be made here, so memory and processor time are limited per process only (a submission may use up to {processes} processes of {megabytes} MB each). Run the grader as root or in a delegated cgroup v2 subtree to limit each submission as a whole.")


def support(processes: int = 64, megabytes: int = 1024) -> Message:
    """One line for the teacher: what limits a whole submission on this machine."""
    layout = _layout() if ENABLED else None
    if layout is None:
        return Message(PER_PROCESS, {"processes": processes, "megabytes": megabytes})
    return Message(WHOLE, {"version": layout[0]})


@dataclass
class Cgroup:
    """The control group(s) of one run."""

    version: int
    folders: dict[str, Path]  # controller ("" for v2) -> the group's folder

    def _file(self, controller: str, name: str) -> Path:
        return self.folders["" if self.version == 2 else controller] / name

    def add(self, pid: int) -> None:
        """Move process ``pid`` (and so everything it starts later) into the group."""
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(pid))

    def cpu_seconds(self) -> float | None:
        """Processor time used by every process of the run so far (None without accounting)."""
        try:
            if self.version == 2:
                for line in self._file("", "cpu.stat").read_text().splitlines():
                    if line.startswith("usage_usec "):
                        return int(line.split()[1]) / 1e6
                return None
            if "cpuacct" in self.folders:
                return int(self._file("cpuacct", "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return None
        return None

    def oom_killed(self) -> bool:
        """True if the kernel killed a process of the run for going over the memory limit."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in self._file("memory", name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in self._file("pids", "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill(self) -> None:
        """SIGKILL every process of the group."""
        if self.version == 2:
            try:
                self._file("", "cgroup.kill").write_text("1")
                return
            except OSError:
                pass
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def remove(self) -> None:
        """Kill what is left and remove the group's folders."""
        deadline = time.monotonic() + 5
        for folder in self.folders.values():
            while True:
                self.kill()
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break  # left for the next grader's sweep
                    time.sleep(0.01)


def _sweep(parent: Path) -> None:
    """Remove the empty groups that killed graders left behind (their pid is gone)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not name.startswith(_PREFIX) or name.startswith(_PREFIX + "probe"):
            continue
        try:
            owner = int(name.rsplit("-", 2)[1])
        except (IndexError, ValueError):
            continue
        if owner != os.getpid() and not Path(f"/proc/{owner}").exists():
            try:
                entry.rmdir()  # fails, harmlessly, while processes are still in it
            except OSError:
                pass


_swept = False


def create(memory_bytes: int, processes: int) -> Cgroup | None:
    """A new group for one run with these limits, or None where control groups cannot be used."""
    global _swept
    layout = _layout()
    if layout is None:
        return None
    version, parents = layout
    if not _swept:
        _swept = True
        for parent in parents.values():
            _sweep(parent)
    name = f"{_PREFIX}{grader_tag()}-{os.getpid()}-{next(_counter)}"
    folders: dict[str, Path] = {}
    group = Cgroup(version, folders)
    try:
        for controller, parent in parents.items():
            folder = parent / name
            folder.mkdir()
            folders[controller] = folder
        if version == 2:
            folder = folders[""]
            (folder / "memory.max").write_text(str(memory_bytes))
            try:
                (folder / "memory.swap.max").write_text("0")
            except OSError:
                pass  # no swap accounting: nothing to cap
            (folder / "pids.max").write_text(str(processes))
        else:
            (folders["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
            try:
                (folders["memory"] / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
            except OSError:
                pass  # swap accounting off: there is no swap to escape to
            (folders["pids"] / "pids.max").write_text(str(processes))
    except OSError:
        group.remove()
        raise
    return group
