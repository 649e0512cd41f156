"""Trusted grading: run a submission in the sandbox, decide verdicts outside it.

The steps, in order:

1. ``read_submission`` + ``build_program`` (``submission.py``): the instructor's
   cells are restored, the student's answers are taken by grade id, hidden
   tests are split off and never enter the sandbox.
2. ``public_root``: a folder with only what a learner may see (exercise specs
   without hidden cases or solutions, catalogs, the lesson with its solution
   regions cut out as in the released notebook, data sets), mounted read-only
   in the sandbox together with the ``jisr`` package (nothing else of the
   source tree: never ``grading.yml``, never the course folder).
3. ``sandbox.run`` runs ``harness.py``: the cells, then each graded function
   on the visible and hidden *inputs*; results come back as plain JSON.
4. ``decide`` compares those results with the expected values, here, in the
   trusted process: an object that claims equality, a patched ``assert`` or a
   forged printout changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..exercises import Outcome, SpecError, _results_match, evaluate, function_cases, same_data
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
    cell: str | None = None  #: the nbgrader grade cell it fills (default: ``<qid>-tests``, a Jisr lesson's test cell)

    @property
    def grade_cell(self) -> str:
        return self.cell or f"{self.qid}-tests"


@dataclass
class Grade:
    """All verdicts of one submission, or the reason it could not be graded."""

    verdicts: list[Verdict]
    status: str = "graded"  # or a sandbox status: timeout, memory, output-limit, ...; "malformed"
    teacher_notes: list[Message] = field(default_factory=list)  # details for the teacher only

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
    """For each graded exercise: its target and points; for a function, all its cases
    (visible, probes, then hidden); for a choice or a number, its spec, judged on the
    plain value of its target (the users' track never writes code)."""
    calls: dict[str, dict[str, Any]] = {}
    for qid, spec in lesson.exercises.items():
        if spec.get("graded") and spec.get("kind") == "function":
            cases = function_cases(spec) + list(lesson.grading.get(qid, {}).get("hidden_cases", []))
            calls[qid] = {"target": spec["target"], "cases": cases, "points": float(spec.get("points", 1)),
                          "tolerance": float(spec.get("tolerance", 1e-6))}
        elif spec.get("graded") and spec.get("kind") in ("choice", "number"):
            calls[qid] = {"target": spec["target"], "cases": [], "points": float(spec.get("points", 1)), "value_spec": spec}
    return calls


def public_root(lesson: LessonSource, into: Path) -> Path:
    """Write what a learner may see of ``lesson`` and the data sets: never grading.yml, never a solution.

    ``lesson.md`` loses its solution regions (as the released notebook does) and
    its hidden tests; ``exercises.yml`` loses the ``solution`` of graded exercises.
    """
    from ..render import strip_solutions
    from .submission import split_hidden_tests

    folder = into / "courses" / lesson.meta["part"] / lesson.meta["id"]
    folder.mkdir(parents=True)
    text = (lesson.folder / "lesson.md").read_text(encoding="utf-8")
    (folder / "lesson.md").write_text(split_hidden_tests(strip_solutions(text))[0], encoding="utf-8")
    specs = yaml.safe_load((lesson.folder / "exercises.yml").read_text(encoding="utf-8")) or {}
    for spec in specs.values():
        if isinstance(spec, dict) and spec.get("graded"):
            spec.pop("solution", None)
    (folder / "exercises.yml").write_text(yaml.safe_dump(specs, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if (lesson.folder / "locales").is_dir():
        shutil.copytree(lesson.folder / "locales", folder / "locales")
    shutil.copytree(datasets_dir(), into / "datasets")
    return into


def _covers(tmp: Path) -> dict[Path, str]:
    """Empty folders laid over the lessons the package bundles for learners' installs (``_bundle``):
    they keep their solution regions, so the sandbox must not see them, neither in the package
    mounted at /jisr-src nor where the interpreter's own prefix (an installed wheel) shows them."""
    bundle = PACKAGE / "_bundle"
    covers: dict[Path, str] = {}
    if not bundle.is_dir():
        return covers
    places = ["/jisr-src/jisr/_bundle"]
    real = os.path.realpath(bundle)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix, sys.base_prefix)}
    if any(real.startswith(prefix.rstrip("/") + "/") for prefix in prefixes) and not real.startswith("/usr/"):
        places.append(real)  # an installed package: the interpreter's prefix is mounted as it is
    for number, place in enumerate(places):
        empty = tmp / f"cover-{number}"
        empty.mkdir()
        covers[empty] = place
    return covers


def decide(calls: dict[str, dict[str, Any]], results: dict[str, Any]) -> list[Verdict]:
    """Compare the sandbox's plain results with the expected values; all or nothing per exercise."""
    verdicts = []
    for qid, call in calls.items():
        if "value_spec" in call:
            verdicts.append(_decide_value(qid, call, results))
            continue
        outcomes = results.get("calls", {}).get(qid, [])
        cases = call["cases"]
        passed = 0
        for case, outcome in zip(cases, outcomes if isinstance(outcomes, list) else []):
            if not isinstance(outcome, dict) or outcome.get("status") != "ok":
                continue
            # a function that changes its inputs fails the case, as in the learner's check
            if "args_after" in outcome and not same_data(outcome["args_after"], json.loads(json.dumps(case["args"]))):
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


def _decide_value(qid: str, call: dict[str, Any], results: dict[str, Any]) -> Verdict:
    """A graded choice or number: the learner's plain value judged here with the exercise's own logic."""
    values = results.get("values", {})
    outcome = values.get(qid) if isinstance(values, dict) else None
    if not isinstance(outcome, dict) or outcome.get("status") != "ok":
        return Verdict(qid, 0.0, call["points"], [Message(N_("No answer was found for this question: run its cell and save the notebook."))])
    evaluation = evaluate(call["value_spec"], {call["target"]: outcome.get("value")}, qid=qid)
    full = evaluation.outcome is Outcome.CORRECT
    return Verdict(qid, call["points"] if full else 0.0, call["points"], evaluation.messages)


STOPPED = {
    "timeout": N_("Your notebook was stopped because it ran longer than the time allowed ({seconds:g} seconds). Look for a loop that never ends or a very long computation."),
    "timeout-wall": N_("Your notebook was stopped because it took longer than the {seconds:g} seconds allowed from start to finish, while using little processor time. Look for code that waits or sleeps, or a loop that never ends."),
    "malformed": N_("Your notebook could not be graded: the grader did not get a usable result from it. Your teacher has been told and will look at it with you."),
    "memory": N_("Your notebook was stopped because it used more memory than allowed ({megabytes} MB). Look for a list or an array that grows without end."),
    "output-limit": N_("Your notebook was stopped because it printed too much (more than {kilobytes} KB). Look for a print inside a long loop."),
    "killed": N_("Your notebook stopped suddenly: the Python process crashed or was ended."),
    "error": N_("Your notebook stopped with an error before it could be graded. Run it from top to bottom (Restart and Run All) to find the error."),
    "ok": N_("Your notebook ended before it could be graded. Remove any exit() or quit() from your cells."),
    "sandbox-unavailable": N_("The safe grading space could not start. This is not your fault: your teacher will grade your work again."),
}


MALFORMED_DETAIL = N_("The sandbox returned a malformed result ({detail}); the student was given 0 and told that you will look at it.")


def stopped_message(status: str, limits: sandbox.Limits, stopped_by: str | None = None) -> Message:
    """Why a run gave no results, in words a learner can act on (never a bare status word).

    A timeout names the limit that stopped it: the processor time
    (``Limits.cpu_seconds``) or the wall clock (``Limits.wall_seconds``).
    """
    if status == "timeout" and stopped_by == "wall":
        status, seconds = "timeout-wall", limits.wall_seconds
    else:
        seconds = limits.cpu_seconds
    return Message(STOPPED.get(status, STOPPED["killed"]),
                   {"seconds": seconds, "megabytes": limits.memory_mb, "kilobytes": limits.output_bytes // 1000})


def _malformed(raw: bytes) -> str | None:
    """What is wrong with the harness's results.json, or None if it has the harness's shape."""
    try:
        results = json.loads(raw)
    except (ValueError, RecursionError) as err:
        return f"results.json is not JSON: {type(err).__name__}"
    if not isinstance(results, dict):
        return f"results.json holds a {type(results).__name__}, not an object"
    calls = results.get("calls", {})
    if not isinstance(calls, dict):
        return f"'calls' is a {type(calls).__name__}, not an object"
    for qid, outcomes in calls.items():
        if not isinstance(outcomes, list) or not all(isinstance(o, dict) for o in outcomes):
            return f"the results of {qid!r} are not a list of objects"
    return None


def grade_program(program: Program, lesson: LessonSource, limits: sandbox.Limits | None = None) -> Grade:
    """Run ``program`` in the sandbox and grade it against ``lesson``'s graded exercises."""
    calls = graded_calls(lesson)
    payload = {"cells": [cell.source for cell in program.cells],
               "calls": {qid: {"target": c["target"], "args": [case["args"] for case in c["cases"]]} for qid, c in calls.items()
                         if "value_spec" not in c},
               "values": {qid: c["target"] for qid, c in calls.items() if "value_spec" in c}}
    with tempfile.TemporaryDirectory(prefix="jisr-public-") as tmp:
        root = public_root(lesson, Path(tmp) / "root")
        result = sandbox.run(
            [sys.executable, "harness.py"],
            inputs={"program.json": json.dumps(payload).encode(), "harness.py": HARNESS.read_bytes()},
            outputs=["results.json"],
            limits=limits or sandbox.Limits(),
            read_only={root: "/jisr-root", PACKAGE: "/jisr-src/jisr", **_covers(Path(tmp))},  # the package only
            env={"JISR_ROOT": "/jisr-root", "PYTHONPATH": "/jisr-src", "MPLBACKEND": "Agg", "JISR_LANG": program.language},
        )
    raw = result.files.get("results.json")
    if raw is None:
        stopped = stopped_message(result.status, limits or sandbox.Limits(), getattr(result, "stopped_by", None))
        return Grade([Verdict(qid, 0.0, c["points"], [stopped]) for qid, c in calls.items()], status=result.status)
    problem = _malformed(raw)
    if problem is not None:  # the student sees a kind word; the teacher the detail
        from .safe import visible

        told = Message(STOPPED["malformed"])
        return Grade([Verdict(qid, 0.0, c["points"], [told]) for qid, c in calls.items()], status="malformed",
                     teacher_notes=[Message(MALFORMED_DETAIL, {"detail": visible(problem)[:200]})])
    return Grade(decide(calls, json.loads(raw)), status="graded")
