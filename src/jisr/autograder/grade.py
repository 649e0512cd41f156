"""Trusted grading: run a submission in the sandbox, decide verdicts outside it.

The steps, in order:

1. ``read_submission`` + ``build_program`` (``submission.py``): the instructor's
   cells are restored, the student's answers are taken by grade id, hidden
   tests are split off and never enter the sandbox.
2. ``public_root``: a folder with only what a learner may see (exercise specs
   without hidden cases, catalogs, lesson sources, data sets), mounted
   read-only in the sandbox together with the ``jisr`` package.
3. ``sandbox.run`` runs ``harness.py``: the cells, then each graded function
   on the visible and hidden *inputs*; results come back as plain JSON.
4. ``decide`` compares those results with the expected values, here, in the
   trusted process: an object that claims equality, a patched ``assert`` or a
   forged printout changes nothing.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exercises import SpecError, _results_match
from ..i18n import Message, N_
from ..paths import datasets_dir
from ..source import LessonSource
from . import sandbox
from .submission import Program

HARNESS = Path(__file__).with_name("harness.py")
PACKAGE = Path(__file__).resolve().parent.parent


@dataclass
class Verdict:
    """The grade of one graded exercise, and why."""

    qid: str
    points: float
    max_points: float
    messages: list[Message] = field(default_factory=list)


@dataclass
class Grade:
    """All verdicts of one submission, or the reason it could not be graded."""

    verdicts: list[Verdict]
    status: str = "graded"  # or a sandbox status: timeout, memory, output-limit, ...

    @property
    def score(self) -> float:
        return sum(v.points for v in self.verdicts)

    @property
    def max_score(self) -> float:
        return sum(v.max_points for v in self.verdicts)


def graded_points(lesson: LessonSource) -> dict[str, float]:
    """The points of each graded exercise of ``lesson``."""
    return {qid: float(spec.get("points", 1)) for qid, spec in lesson.exercises.items() if spec.get("graded")}


def graded_calls(lesson: LessonSource) -> dict[str, dict[str, Any]]:
    """For each graded function exercise: its target and all its cases (visible, then hidden)."""
    calls = {}
    for qid, spec in lesson.exercises.items():
        if spec.get("graded") and spec.get("kind") == "function":
            cases = list(spec.get("cases", [])) + list(lesson.grading.get(qid, {}).get("hidden_cases", []))
            calls[qid] = {"target": spec["target"], "cases": cases, "points": float(spec.get("points", 1)),
                          "tolerance": float(spec.get("tolerance", 1e-6))}
    return calls


def public_root(lesson: LessonSource, into: Path) -> Path:
    """Copy what a learner may see of ``lesson`` (never grading.yml) and the data sets."""
    folder = into / "courses" / lesson.meta["part"] / lesson.meta["id"]
    folder.mkdir(parents=True)
    for name in ("lesson.md", "exercises.yml"):
        shutil.copy2(lesson.folder / name, folder / name)
    if (lesson.folder / "locales").is_dir():
        shutil.copytree(lesson.folder / "locales", folder / "locales")
    shutil.copytree(datasets_dir(), into / "datasets")
    return into


def decide(calls: dict[str, dict[str, Any]], results: dict[str, Any]) -> list[Verdict]:
    """Compare the sandbox's plain results with the expected values; all or nothing per exercise."""
    verdicts = []
    for qid, call in calls.items():
        outcomes = results.get("calls", {}).get(qid, [])
        cases = call["cases"]
        passed = 0
        for case, outcome in zip(cases, outcomes if isinstance(outcomes, list) else []):
            if not isinstance(outcome, dict) or outcome.get("status") != "ok":
                continue
            try:
                if _results_match(outcome.get("value"), case["expected"], call["tolerance"]):
                    passed += 1
            except SpecError:
                continue
        full = passed == len(cases) and len(cases) > 0
        message = (Message(N_("All tests passed.")) if full else
                   Message(N_("{passed} test out of {total} passed."), plural=N_("{passed} tests out of {total} passed."),
                           n=passed, params={"passed": passed, "total": len(cases)}))
        verdicts.append(Verdict(qid, call["points"] if full else 0.0, call["points"], [message]))
    return verdicts


STOPPED = {
    "timeout": N_("Your notebook was stopped because it ran longer than the time allowed ({seconds:g} seconds). Look for a loop that never ends or a very long computation."),
    "memory": N_("Your notebook was stopped because it used more memory than allowed ({megabytes} MB). Look for a list or an array that grows without end."),
    "output-limit": N_("Your notebook was stopped because it printed too much (more than {kilobytes} KB). Look for a print inside a long loop."),
    "killed": N_("Your notebook stopped suddenly: the Python process crashed or was ended."),
    "error": N_("Your notebook stopped with an error before it could be graded. Run it from top to bottom (Restart and Run All) to find the error."),
    "ok": N_("Your notebook ended before it could be graded. Remove any exit() or quit() from your cells."),
    "sandbox-unavailable": N_("The safe grading space could not start. This is not your fault: your teacher will grade your work again."),
}


def stopped_message(status: str, limits: sandbox.Limits) -> Message:
    """Why a run gave no results, in words a learner can act on (never a bare status word)."""
    return Message(STOPPED.get(status, STOPPED["killed"]),
                   {"seconds": min(limits.wall_seconds, limits.cpu_seconds), "megabytes": limits.memory_mb,
                    "kilobytes": limits.output_bytes // 1000})


def grade_program(program: Program, lesson: LessonSource, limits: sandbox.Limits | None = None) -> Grade:
    """Run ``program`` in the sandbox and grade it against ``lesson``'s graded exercises."""
    calls = graded_calls(lesson)
    payload = {"cells": [cell.source for cell in program.cells],
               "calls": {qid: {"target": c["target"], "args": [case["args"] for case in c["cases"]]} for qid, c in calls.items()}}
    with tempfile.TemporaryDirectory(prefix="jisr-public-") as tmp:
        root = public_root(lesson, Path(tmp) / "root")
        result = sandbox.run(
            [sys.executable, "harness.py"],
            inputs={"program.json": json.dumps(payload).encode(), "harness.py": HARNESS.read_bytes()},
            outputs=["results.json"],
            limits=limits or sandbox.Limits(),
            read_only={root: "/jisr-root", PACKAGE.parent: "/jisr-src"},
            env={"JISR_ROOT": "/jisr-root", "PYTHONPATH": "/jisr-src", "MPLBACKEND": "Agg", "JISR_LANG": program.language},
        )
    raw = result.files.get("results.json")
    if raw is None:
        stopped = stopped_message(result.status, limits or sandbox.Limits())
        return Grade([Verdict(qid, 0.0, c["points"], [stopped]) for qid, c in calls.items()], status=result.status)
    try:
        results = json.loads(raw)
    except ValueError:
        results = {}
    return Grade(decide(calls, results if isinstance(results, dict) else {}), status="graded")
