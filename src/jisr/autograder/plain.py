"""Safe autograding for any nbgrader course, not only the ones ``jisr course`` writes.

A *plain* course is one made with nbgrader's own tools: its source notebooks
carry nbgrader cell metadata (answer cells, test cells with ``### BEGIN
HIDDEN TESTS``, manually graded answers) and no ``jisr`` metadata. The steps,
in order:

1. ``plain_program``: :func:`~jisr.autograder.submission.build_program`
   restores the program as for a Jisr lesson (locked and test cells from the
   instructor's source, answers from the student, by ``grade_id``); the
   assignment's name stands in for the lesson, on both sides.
2. ``run_cells``: the cells run in the sandbox, one at a time, under
   ``plain_harness.py`` (a supervisor that never runs student code); test
   cells are sent with their hidden tests, only when they run. Each cell's
   outcome comes back on the supervisor's output beside a random receipt
   that only the trusted side and the supervisor know.
3. ``decide``: here, outside the sandbox, nbgrader's rule per test cell: full
   points if it ran and raised no error, the number it shows as its last
   value for partial credit (as nbgrader's ``determine_grade``), else zero.
   An outcome without its receipt counts as not run.

The trust argument (what holds, and the one thing that does not) is in
``plain_harness.py``.
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ..i18n import Message, N_
from . import sandbox
from .grade import Grade, Verdict, stopped_message
from .submission import Program, build_program

HARNESS = Path(__file__).with_name("plain_harness.py")
CELL_SECONDS = 30.0
"""A cell's time limit when the course sets none (nbgrader's own ``Execute.timeout`` default)."""
PLAIN_LIMITS = sandbox.Limits(cpu_seconds=120, wall_seconds=240, memory_mb=2048)
"""A whole notebook's limits: processor time for all its cells, wall time, memory."""
MAX_FILES_BYTES = 8_000_000
"""Course files (data beside the notebook) copied into the sandbox, at most."""

PASSED = Message(N_("Test passed."))
FAILED = Message(N_("Test failed: {error}"))
PARTIAL = Message(N_("Partial credit: {points:g} of {max:g} points."))
NOT_RUN = Message(N_("Test not run: the notebook stopped before this cell (an exit, a crash or a limit)."))
TIMED_OUT = Message(N_("Test stopped: the cell ran longer than {seconds:g} seconds."))


def is_plain(source: nbformat.NotebookNode) -> bool:
    """True for a source notebook that ``jisr course`` did not write (no ``jisr.lesson``)."""
    jisr = source.get("metadata", {}).get("jisr")
    return not (isinstance(jisr, dict) and isinstance(jisr.get("lesson"), str))


def _stamped(notebook: nbformat.NotebookNode, lesson: str, language: str) -> nbformat.NotebookNode:
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    copy.setdefault("metadata", {})["jisr"] = {"lesson": lesson, "lang": language}
    return copy


def plain_program(source: nbformat.NotebookNode, submission: nbformat.NotebookNode, assignment: str,
                  language: str = "en") -> Program:
    """The program of a plain nbgrader submission (see the module's step 1).

    nbgrader itself never checks which notebook a student submitted, so the
    assignment's name is given to both sides; everything else is
    :func:`build_program`'s rules.
    """
    key = f"nbgrader:{assignment}"
    return build_program(_stamped(source, key, language), _stamped(submission, key, language))


@dataclass
class CellRun:
    """What one cell of the program did, as the supervisor reported it."""

    status: str  # ok, error, timeout, not-run, stopped
    error: str = ""
    output: str = ""
    value: str | None = None


@dataclass
class PlainRun:
    """The outcomes of every program cell, in order, and the sandbox's status."""

    cells: list[CellRun]
    status: str = "graded"
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    cell_seconds: float = CELL_SECONDS


def full_sources(source: nbformat.NotebookNode) -> dict[str, str]:
    """Each graded cell's code as the instructor wrote it, hidden tests included, by grade id."""
    cells = {}
    for cell in source.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and isinstance(grade_id, str):
            cells[grade_id] = cell.source
    return cells


def test_points(source: nbformat.NotebookNode) -> dict[str, float]:
    """The autograded test cells of a source notebook (grade id -> points): graded code cells that are not answers."""
    points = {}
    for cell in source.cells:
        info = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and info.get("grade") and not info.get("solution") and isinstance(info.get("grade_id"), str):
            points[info["grade_id"]] = float(info.get("points", 0) or 0)
    return points


def cell_timeout(course: Path) -> float:
    """A cell's time limit: the course's ``c.Execute.timeout`` (as ``nbgrader autograde``), else 30 s."""
    config = course / "nbgrader_config.py"
    if config.is_file():
        from traitlets.config.loader import PyFileConfigLoader

        value = PyFileConfigLoader(config.name, path=str(course)).load_config().get("Execute", {}).get("timeout")
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    return CELL_SECONDS


def test_cells(program: Program) -> dict[str, float]:
    """The autograded test cells of the program (grade id -> points), in order."""
    return dict(program.points)


def course_files(folder: Path) -> dict[str, bytes]:
    """Files beside the notebook in the instructor's source folder (data), never notebooks or hidden files."""
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (path.is_symlink() or not path.is_file() or path.suffix == ".ipynb"
                or any(part.startswith(".") or part in ("__pycache__", "feedback") for part in relative.parts)):
            continue
        total += path.stat().st_size
        if total > MAX_FILES_BYTES:
            break
        files[relative.as_posix()] = path.read_bytes()
    return files


def run_cells(codes: list[str], limits: sandbox.Limits, cell_seconds: float = CELL_SECONDS,
              files: dict[str, bytes] | None = None, trusted: list[int] | None = None) -> PlainRun:
    """Run ``codes`` in one sandboxed interpreter, one cell at a time; outcomes checked by receipt.

    ``trusted`` cells (the instructor's) bypass IPython's input and AST
    transformers, which a student's cell could have extended.
    """
    receipts = [secrets.token_hex(16) for _ in codes]
    total = max(1.0, limits.wall_seconds - 5)
    payload = {"cells": codes, "receipts": receipts, "cell_seconds": cell_seconds, "total_seconds": total,
               "trusted": trusted or []}
    inputs = {name: data for name, data in (files or {}).items() if name not in ("program.json", "harness.py")}
    inputs.update({"program.json": json.dumps(payload).encode(), "harness.py": HARNESS.read_bytes()})
    result = sandbox.run([sys.executable, "harness.py"], inputs=inputs, limits=limits,
                         env={"MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    by_receipt = _receipted(result.stdout)
    cells = []
    for receipt in receipts:
        found = by_receipt.get(receipt)
        cells.append(CellRun(found["status"], _text(found.get("error")), _text(found.get("output")),
                             _text(found.get("value")) or None) if found else CellRun("not-run"))
    reported = any(receipt in by_receipt for receipt in receipts)
    return PlainRun(cells, "graded" if reported or not codes else result.status, limits, cell_seconds)


def _receipted(stdout: bytes) -> dict[str, dict[str, Any]]:
    """Outcomes by receipt, from every line of the supervisor's output that parses; anything else is ignored."""
    found: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        outcomes = document.get("outcomes") if isinstance(document, dict) else None
        for outcome in outcomes if isinstance(outcomes, list) else []:
            if (isinstance(outcome, dict) and isinstance(outcome.get("receipt"), str)
                    and outcome.get("status") in ("ok", "error", "timeout", "not-run", "stopped")):
                found.setdefault(outcome["receipt"], outcome)
    return found


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def partial_points(value: str | None, max_points: float) -> float | None:
    """nbgrader's partial credit: a last value that reads as a number between 0 and the points."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number < 0:  # NaN or negative: no credit, as nbgrader clamps
        return 0.0
    return min(number, max_points)


def program_codes(program: Program, source: nbformat.NotebookNode) -> list[str]:
    """The code to run for each program cell: test cells get their hidden tests back."""
    full = full_sources(source)
    tests = test_cells(program)
    return [full.get(cell.grade_id, cell.source) if cell.origin == "instructor" and cell.grade_id in tests else cell.source
            for cell in program.cells]


def decide(program: Program, run: PlainRun) -> Grade:
    """nbgrader's points per test cell, from the receipted outcomes only."""
    tests = test_cells(program)
    if run.status != "graded":
        stopped = stopped_message(run.status, run.limits)
        return Grade([Verdict(gid, 0.0, points, [stopped], cell=gid) for gid, points in tests.items()], status=run.status)
    verdicts = []
    outcome_of = {cell.grade_id: outcome for cell, outcome in zip(program.cells, run.cells)
                  if cell.origin == "instructor" and cell.grade_id in tests}
    for gid, points in tests.items():
        outcome = outcome_of.get(gid, CellRun("not-run"))
        if outcome.status == "ok":
            partial = partial_points(outcome.value, points)
            if partial is None or partial >= points:
                verdicts.append(Verdict(gid, points, points, [PASSED], cell=gid))
            else:
                verdicts.append(Verdict(gid, partial, points, [Message(PARTIAL.msgid, {"points": partial, "max": points})], cell=gid))
        elif outcome.status == "error":
            verdicts.append(Verdict(gid, 0.0, points, [Message(FAILED.msgid, {"error": last_line(outcome.error)})], cell=gid))
        elif outcome.status == "timeout":
            verdicts.append(Verdict(gid, 0.0, points, [Message(TIMED_OUT.msgid, {"seconds": run.cell_seconds})], cell=gid))
        else:
            verdicts.append(Verdict(gid, 0.0, points, [NOT_RUN], cell=gid))
    return Grade(verdicts)


def last_line(error: str, limit: int = 200) -> str:
    """The last line of a traceback (``AssertionError: ...``), short."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    text = lines[-1].strip() if lines else "error"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def grade_plain(source: nbformat.NotebookNode, program: Program, limits: sandbox.Limits,
                cell_seconds: float = CELL_SECONDS, files: dict[str, bytes] | None = None) -> tuple[Grade, PlainRun]:
    """Run ``program`` in the sandbox and decide its test cells' points outside it."""
    trusted = [index for index, cell in enumerate(program.cells) if cell.origin == "instructor"]
    run = run_cells(program_codes(program, source), limits, cell_seconds, files, trusted)
    return decide(program, run), run
