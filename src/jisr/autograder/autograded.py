"""The notebook nbgrader's formgrader shows for a submission Jisr graded.

``nbgrader autograde`` leaves ``autograded/<student>/<assignment>/<notebook>.ipynb``:
the instructor's cells restored, the student's answers, the outputs of the
run. The formgrader lists a submission as autograded only when that folder
exists, shows that notebook with the gradebook's scores beside each grade
cell, and lets the teacher grade free-text answers and comment on top.
:func:`autograded_notebook` builds the same notebook from what Jisr graded:

- cells in the instructor's order, each with the instructor's nbgrader
  metadata (whatever the student did to theirs); answers are the student's
  (code from the restored program, text answers from the submission);
- test cells *without* their hidden tests, so that ``nbgrader
  generate_feedback`` made from this folder never shows them to students;
- outputs: for a plain nbgrader course, what each cell printed and its error,
  as a kernel shows them; for a Jisr lesson, each test cell shows its verdict
  in the course's language. A failed test cell carries an error output, so
  nbgrader's own rule (``determine_grade``) reads the same score as Jisr's.

Everything that came from the student is data in a JSON file: the formgrader
escapes it when it renders.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from ..i18n import Translator
from .submission import HIDDEN_BEGIN, split_hidden_tests

if TYPE_CHECKING:
    from .batch import Outcome
    from .plain import CellRun, PlainRun
    from .submission import Program

AUTOGRADED_DIRECTORY = "autograded"
"""nbgrader's ``CourseDirectory.autograded_directory``."""


def _nbgrader(cell: nbformat.NotebookNode) -> dict:
    data = cell.get("metadata", {}).get("nbgrader")
    return data if isinstance(data, dict) else {}


def _stream(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _error(text: str) -> nbformat.NotebookNode:
    lines = [line for line in text.strip().splitlines() if line.strip()] or ["Error"]
    name, _, value = lines[-1].partition(":")
    return nbformat.v4.new_output("error", ename=name.strip()[:100] or "Error", evalue=value.strip()[:500],
                                  traceback=lines[-40:])


def unchanged_answers(submission: nbformat.NotebookNode) -> list[str]:
    """Answer cells the student left as released: nbgrader's own test (the cell's checksum still matches)."""
    from nbgrader.utils import compute_checksum

    unchanged = []
    for cell in submission.get("cells", []):
        info = _nbgrader(cell) if isinstance(cell, dict) else {}
        if info.get("solution") and isinstance(info.get("grade_id"), str) and "checksum" in info:
            try:
                if info["checksum"] == compute_checksum(cell):
                    unchanged.append(info["grade_id"])
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # a malformed cell: leave it to the teacher
    return unchanged


def cell_outputs(run: CellRun) -> list[nbformat.NotebookNode]:
    """What a kernel would have shown under a cell, from the supervisor's outcome."""
    outputs = [_stream(run.output)] if run.output else []
    if run.status == "ok" and run.value is not None:
        outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": run.value}, execution_count=None))
    elif run.status == "error":
        outputs.append(_error(run.error or "Error"))
    elif run.status == "timeout":
        outputs.append(_error("TimeoutError: the cell ran longer than its time limit"))
    elif run.status in ("not-run", "stopped"):
        outputs.append(_error("NotRun: the notebook stopped before this cell"))
    return outputs


def _program_slots(program: Program) -> tuple[list[int], dict[int, list[int]]]:
    """Program cell indexes that stand for source cells, and the student's extra cells after each."""
    slots: list[int] = []
    extras: dict[int, list[int]] = {-1: []}
    for index, cell in enumerate(program.cells):
        if cell.origin == "instructor" or cell.grade_id is not None:
            slots.append(index)
            extras[index] = []
        else:
            extras[slots[-1] if slots else -1].append(index)
    return slots, extras


def autograded_notebook(source: nbformat.NotebookNode, submission: nbformat.NotebookNode, program: Program,
                        outcome: Outcome, run: PlainRun | None = None) -> nbformat.NotebookNode:
    """The autograded notebook of one submission (see the module docstring)."""
    t = Translator.for_package(outcome.language)
    answers_text = {(_nbgrader(c).get("grade_id")): c.get("source", "") for c in submission.get("cells", [])
                    if isinstance(c, dict) and c.get("cell_type") == "markdown" and _nbgrader(c).get("solution")}
    verdicts = {v.grade_cell: v for v in (outcome.grade.verdicts if outcome.grade else [])}
    slots, extras = _program_slots(program)
    nb = nbformat.v4.new_notebook(metadata=json.loads(json.dumps(source.get("metadata", {}))))
    pending = iter(slots)

    def code_cell(index: int, metadata: dict) -> nbformat.NotebookNode:
        cell = program.cells[index]
        text = split_hidden_tests(cell.source)[0] if HIDDEN_BEGIN in cell.source else cell.source
        made = nbformat.v4.new_code_cell(text, metadata=metadata)
        if run is not None and index < len(run.cells):
            made.outputs = cell_outputs(run.cells[index])
            if cell.grade_id in program.hidden:  # a traceback would quote the hidden test's line
                for output in made.outputs:
                    if output.output_type == "error":
                        output.traceback = [f"{output.ename}: {output.evalue}".rstrip(": ")]
        return made

    def own_cells(after: int) -> list[nbformat.NotebookNode]:
        return [code_cell(i, {}) for i in extras.get(after, [])]

    nb.cells += own_cells(-1) if not slots else []
    for cell in source.cells:
        metadata = json.loads(json.dumps(cell.get("metadata", {})))
        metadata.pop("jisr", None)
        info = _nbgrader(cell)
        if cell.cell_type != "code":
            text = answers_text.get(info.get("grade_id"), cell.source) if info.get("solution") else cell.source
            nb.cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata) if cell.cell_type == "markdown"
                            else nbformat.v4.new_raw_cell(text, metadata=metadata))
            continue
        index = next(pending, None)
        if index is None:
            continue
        if index == slots[0]:
            nb.cells += own_cells(-1)
        made = code_cell(index, metadata)
        verdict = verdicts.get(info.get("grade_id", ""))
        if run is None and verdict is not None:  # a Jisr lesson: the verdict is the test cell's output
            text = "\n".join(m.format(t) for m in verdict.messages) + "\n"
            made.outputs = [_stream(text)] if verdict.points >= verdict.max_points else [_error(f"AssertionError: {text.strip()}")]
        nb.cells.append(made)
        nb.cells += own_cells(index)
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"
    return nb


def autograded_path(course: Path, assignment: str, student: str) -> Path:
    return course / AUTOGRADED_DIRECTORY / student / assignment / f"{assignment}.ipynb"


def write_autograded(course: Path, assignment: str, student: str, notebook: nbformat.NotebookNode) -> Path:
    """Write the notebook where the formgrader looks for it, atomically (never half a file)."""
    if not student or student.startswith(".") or "/" in student or "\\" in student or student in (".", ".."):
        raise ValueError(f"{student!r} cannot name a folder")
    path = autograded_path(course, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".autograded-", suffix=".ipynb")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            nbformat.write(notebook, fh)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
