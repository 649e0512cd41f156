"""How many learners a hub holds, from what one learner was measured to cost.

``benchmarks/learner_footprint.py`` measures a learner's Jupyter server and kernel
and writes ``benchmarks/results/learner-footprint.json``; this module turns it into
the book's page "Sizing a hub" and checks ``deploy/z2jh/values.yaml`` against it,
so that no figure on the page or in the chart's values is typed by hand.

Memory decides: a learner at work holds the server's memory plus the kernel's peak
while a lesson runs. Processor time is small beside it (a lesson's cells use
seconds of processor time over a lesson of 30 to 60 minutes); the page says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..i18n import N_, Message, Number, Translator
from ..paths import project_root

# what the node's own system and Kubernetes' pods keep for themselves
NODE_RESERVE_MB = 2048
NODES = [(2, 8), (4, 16), (8, 32), (16, 64)]  # cores, GB


def footprint_path() -> Path:
    return project_root() / "benchmarks" / "results" / "learner-footprint.json"


def values_path() -> Path:
    return project_root() / "deploy" / "z2jh" / "values.yaml"


@dataclass(frozen=True)
class Footprint:
    """One learner, measured: MB of memory (RSS, the conservative figure) and processor seconds."""

    measured: str
    machine: dict[str, Any]   # cores, memory_gib, arch, python
    idle_mb: float          # server with one kernel started and idle
    working_mb: float       # server alone + the heaviest lesson's kernel at its peak
    heaviest_lesson: str
    lesson_cpu_s: float     # the most processor time one lesson's cells took

    @classmethod
    def load(cls, path: Path | None = None) -> Footprint:
        data = json.loads((path or footprint_path()).read_text(encoding="utf-8"))
        heaviest = max(data["lessons"], key=lambda lesson: lesson["peak_rss_mb"])
        return cls(measured=data["measured"], machine=data["machine"], idle_mb=data["idle"]["idle_rss_mb"],
                   working_mb=data["idle"]["server_rss_mb"] + heaviest["peak_rss_mb"],
                   heaviest_lesson=heaviest["lesson"], lesson_cpu_s=max(lesson["cpu_s"] for lesson in data["lessons"]))

    def learners_per_node(self, node_gb: int) -> int:
        """Learners a node holds if every one of them runs the heaviest lesson at once."""
        return max(0, int((node_gb * 1024 - NODE_RESERVE_MB) // self.working_mb))


def _megabytes(quantity: str | int | float) -> float:
    """A Kubernetes quantity (``512M``, ``2G``, ``1Gi``) in MB (2**20 bytes)."""
    text = str(quantity)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    for suffix in sorted(units, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * units[suffix] / 2**20
    return float(text) / 2**20


def chart_memory(path: Path | None = None) -> tuple[float, float]:
    """(guarantee, limit) in MB of a learner's memory in the chart's values."""
    values = yaml.safe_load((path or values_path()).read_text(encoding="utf-8"))
    memory = values["singleuser"]["memory"]
    return _megabytes(memory["guarantee"]), _megabytes(memory["limit"])


def problems(footprint: Footprint, path: Path | None = None) -> list[str]:
    """What in the chart's values disagrees with the measurement (empty when they agree).

    The guarantee must hold an idle learner, the limit a learner at work with room
    (1.5 times the peak: another lesson, a larger data set).
    """
    guarantee, limit = chart_memory(path)
    found = []
    if guarantee < footprint.idle_mb:
        found.append(f"memory guarantee {guarantee:.0f} MB < an idle learner's {footprint.idle_mb:.0f} MB")
    if limit < 1.5 * footprint.working_mb:
        found.append(f"memory limit {limit:.0f} MB < 1.5 × a working learner's {footprint.working_mb:.0f} MB")
    return found


def sizing_page(language: str, translator: Translator, footprint: Footprint | None = None) -> str:
    """The book's page "Sizing a hub" in ``language``."""
    t = translator
    f = footprint or Footprint.load()
    guarantee, limit = chart_memory()

    def say(msgid: str, **params: Any) -> str:
        return Message(msgid, params).format(t)

    mb = lambda value: Number(round(value), 0)  # noqa: E731
    lines = [f"# {t(N_('Sizing a hub'))}", ""]
    lines += [say(N_("These figures were measured on {date} on a machine with {cores} cores and {gib} GB of memory, by running `python benchmarks/learner_footprint.py`: a real Jupyter server, as on the hub, with each lesson run in its kernel. Run it again on your own servers before you buy or rent one."),
                  date=f.measured, cores=f.machine["cores"], gib=f.machine["memory_gib"]), ""]
    lines += [f"## {t(N_('One learner'))}", ""]
    lines += [f"| {t(N_('Learner'))} | {t(N_('Memory'))} |", "|---|---|"]
    lines += [f"| {t(N_('Logged in, notebook open, kernel idle'))} | {say(N_('{mb} MB'), mb=mb(f.idle_mb))} |"]
    lines += [f"| {say(N_('Running the heaviest lesson ({lesson})'), lesson=f.heaviest_lesson)} | {say(N_('{mb} MB'), mb=mb(f.working_mb))} |", ""]
    lines += [say(N_("A lesson’s cells use at most {seconds} seconds of processor time in all, spread over a lesson of 30 to 60 minutes: memory, not the processor, decides how many learners a machine holds."),
                  seconds=Number(f.lesson_cpu_s, 1)), ""]
    lines += [f"## {t(N_('Learners per machine'))}", ""]
    lines += [say(N_("Count {reserve} MB for the system, then the memory of a learner at work for each learner: this is the number a machine holds when every learner runs the heaviest lesson at the same moment, which is what happens in a class."),
                  reserve=mb(NODE_RESERVE_MB)), ""]
    lines += [f"| {t(N_('Machine'))} | {t(N_('Learners at work at once'))} |", "|---|---|"]
    for cores, gb in NODES:
        lines += [f"| {say(N_('{cores} cores, {gb} GB'), cores=cores, gb=gb)} | {f.learners_per_node(gb)} |"]
    lines += ["", f"## {t(N_('What the chart asks for'))}", ""]
    lines += [say(N_("`deploy/z2jh/values.yaml` guarantees each learner {guarantee} MB (an idle learner fits) and stops a server above {limit} MB (a learner at work fits one and a half times). A test checks these figures against the measurement each time either changes."),
                  guarantee=mb(guarantee), limit=mb(limit)), ""]
    lines += [say(N_("Idle servers are stopped after an hour (`cull.timeout`), so a class that has left frees its memory for the next one.")), ""]
    return "\n".join(lines)
