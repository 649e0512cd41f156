"""Per-learner CPU and memory limits that hold: one control group per hub user.

JupyterHub's ``mem_limit`` and ``cpu_limit`` are only wishes unless the
spawner enforces them. Where systemd runs the machine, ``systemdspawner``
would; a container or a small server without systemd has the kernel's control
groups, which this module uses directly (the same discovery as the grader's
:mod:`jisr.autograder.cgroups`):

* cgroup v1: ``memory.limit_in_bytes`` (and ``memsw`` where swap is
  accounted), ``pids.max``, ``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``;
* cgroup v2: ``memory.max``, ``memory.swap.max``, ``pids.max``, ``cpu.max``.

The group of user ``amina`` is ``jisr.hub.amina`` under the hub's own group:
the learner's server, kernels and terminals all count together. Where no
group can be made (no root, no delegated subtree), :func:`user_group` returns
None and the hub says so in its log: the limits are then *not* enforced.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..autograder import cgroups

PERIOD_US = 100_000


@dataclass
class UserGroup:
    version: int
    folders: dict[str, Path] = field(default_factory=dict)  # controller ("" for v2) -> folder
    enforced: list[str] = field(default_factory=list)  # what holds: "memory", "pids", "cpu"

    def add(self, pid: int) -> None:
        """Move ``pid`` (and so all it starts later) into the group; safe in a ``preexec_fn``."""
        for folder in dict.fromkeys(self.folders.values()):
            with open(folder / "cgroup.procs", "w") as handle:
                handle.write(str(pid))

    def memory_bytes(self) -> int | None:
        """The memory the group uses now (page cache included), or None."""
        folder = self.folders.get("memory") or self.folders.get("")
        name = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        try:
            return int((folder / name).read_text())
        except (OSError, ValueError, TypeError):
            return None


def _write(folder: Path, name: str, value: str) -> bool:
    try:
        (folder / name).write_text(value)
        return True
    except OSError:
        return False


def user_group(user: str, memory_bytes: int, cpus: float, processes: int = 512) -> UserGroup | None:
    """Make (or reuse) ``user``'s group with these limits; None where control groups cannot be used."""
    name = f"jisr.hub.{user}"
    own, mounts = cgroups._own_groups(), cgroups._mounts()
    if "" in mounts and "" in own and (mounts[""] / "cgroup.controllers").is_file():
        parent = cgroups._v2_parent(mounts[""], own[""])
        if parent is not None:
            folder = parent / name
            folder.mkdir(exist_ok=True)
            group = UserGroup(2, {"": folder})
            if memory_bytes and _write(folder, "memory.max", str(memory_bytes)):
                _write(folder, "memory.swap.max", "0")
                group.enforced.append("memory")
            if _write(folder, "pids.max", str(processes)):
                group.enforced.append("pids")
            if cpus and _write(folder, "cpu.max", f"{int(cpus * PERIOD_US)} {PERIOD_US}"):
                group.enforced.append("cpu")
            return group
    # cgroup v1: the controllers mounted apart (the "cpu" hierarchy may be shared with cpuacct)
    v1 = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines() if Path("/proc/self/mountinfo").exists() else []:
        left, _, right = line.partition(" - ")
        parts, kinds = left.split(), right.split()
        if len(kinds) >= 3 and kinds[0] == "cgroup" and len(parts) >= 5 and parts[3] == "/":
            for option in kinds[2].split(","):
                if option in ("memory", "pids", "cpu"):
                    v1.setdefault(option, Path(parts[4]))
    group = UserGroup(1)
    for controller, mount in v1.items():
        if controller not in own:
            continue
        folder = mount / own[controller].lstrip("/") / name
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            continue
        group.folders[controller] = folder
    if "memory" in group.folders and memory_bytes:
        folder = group.folders["memory"]
        if _write(folder, "memory.limit_in_bytes", str(memory_bytes)):
            _write(folder, "memory.memsw.limit_in_bytes", str(memory_bytes))  # no escape to swap, where accounted
            group.enforced.append("memory")
    if "pids" in group.folders and _write(group.folders["pids"], "pids.max", str(processes)):
        group.enforced.append("pids")
    if "cpu" in group.folders and cpus:
        folder = group.folders["cpu"]
        if _write(folder, "cpu.cfs_period_us", str(PERIOD_US)) and _write(folder, "cpu.cfs_quota_us", str(int(cpus * PERIOD_US))):
            group.enforced.append("cpu")
    return group if group.folders else None


def user_of(pid: int) -> str | None:
    """The hub user whose group holds ``pid`` (read from /proc), or None."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        tail = line.rsplit("/", 1)[-1]
        if tail.startswith("jisr.hub."):
            return tail[len("jisr.hub."):]
    return None


def pids_of(group: UserGroup) -> list[int]:
    folder = next(iter(group.folders.values()))
    try:
        return [int(p) for p in (folder / "cgroup.procs").read_text().split()]
    except OSError:
        return []


__all__ = ["UserGroup", "user_group", "user_of", "pids_of"]
