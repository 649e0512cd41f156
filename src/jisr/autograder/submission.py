"""Turn an untrusted submitted notebook into a clean, trusted program to execute.

A submitted notebook is untrusted: the learner, a tool or a prankster may have
changed anything in the file. The instructor's nbgrader source notebook
(:func:`jisr.render.render` with target ``"nbgrader"``) is the truth; the
submission only gives the learner's answers.

:func:`read_submission`
    reads the file defensively: it refuses, with a :class:`SubmissionError`
    that says why in the learner's language, links, devices and pipes, files
    that are too large (before reading them), compressed archives (never
    unpacked, so no zip bomb), text that is not UTF-8 or not JSON, JSON nested
    too deeply, JSON that is not a format 4 notebook, and absurd numbers of
    cells.
:func:`build_program`
    pairs the submission with the source and returns a :class:`Program`: the
    code cells to run, in the source's order.

The rules of :func:`build_program`:

- The submission must carry the source's ``jisr.lesson`` metadata, otherwise
  it is the notebook of another lesson, or an old or foreign one.
- Locked and graded cells always come from the source, whatever the learner
  did to them (edited, deleted, retyped, moved, duplicated, metadata changed,
  cell type changed); each such change is noted in :attr:`Program.problems`.
- Hidden tests never enter the program: the lines between ``BEGIN HIDDEN
  TESTS`` and ``END HIDDEN TESTS`` are cut out of every instructor cell and
  returned in :attr:`Program.hidden`, for a trusted process only.
- Other instructor code cells come from the source too (the learner may play
  with them; grading does not depend on it), as they were released: solution
  regions replaced by the stub.
- Answer cells (nbgrader ``solution``) take the learner's code. A learner's
  cell is matched to an answer by its nbgrader ``grade_id``; if that metadata
  was removed or changed, by its cell id; then by its place between the cells
  around the answer. When several cells claim the same ``grade_id``, the
  first one is the answer; a later one that defines again a name the answer
  defines (or repeats it) is a duplicate and does not run; any other later one
  is a part of a split answer (JupyterLab's *Split Cell* copies the metadata
  into every part) and runs right after the answer. A missing answer is
  graded as not attempted: the released stub runs in its place.
- The learner's own code cells (not matched to any source cell) run right
  after the answer cell they follow in the learner's notebook, where learners
  define helpers; those placed before the first answer run just before the
  first answer, never between two instructor cells. A learner's cell that
  claims a ``grade_id`` the lesson does not have runs as the learner's own
  code and earns no points. A learner's cell that claims a locked cell's
  ``grade_id``, or repeats a locked cell, never runs.
- Markdown and raw cells, outputs and attachments never enter the program.

Every learner-facing text is a :class:`~jisr.i18n.Message` with an English
message id, translated when it is shown.
"""

from __future__ import annotations

import ast
import errno
import json
import math
import os
import re
import stat
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import nbformat

from ..i18n import Message, N_, Translator
from ..render import CODE_STUB, strip_solutions

MAX_BYTES = 5_000_000
"""Largest submission read, in bytes; a lesson notebook with its outputs is far smaller."""
MAX_CELLS = 2_000
"""Most cells accepted; a lesson has a few dozen, a learner adds a few."""
MAX_DEPTH = 64
"""Deepest JSON nesting accepted; a notebook with widget state needs about ten."""
HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
"""nbgrader's markers, matched as nbgrader does: anywhere in a line."""

Origin = Literal["instructor", "student"]

_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ARCHIVES: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PK\x07\x08", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
)

# --------------------------------------------------------------------------- messages
# Templates: the code fills in the parameters with :func:`_say`. Tests compare
# message ids with these constants.

# the file cannot be used (SubmissionError)
NOT_A_FILE = Message(N_("{name} is not a file."))
LINK = Message(N_("{name} is a link to another file, not a notebook. Submit the .ipynb file itself."))
UNREADABLE = Message(N_("{name} cannot be read ({error})."))
TOO_LARGE = Message(N_("{name} is too large ({size} MB): a submitted notebook may be at most {limit} MB. Clear all outputs, save and submit again."))
ARCHIVE = Message(N_("{name} is a compressed file ({kind}), not a notebook. Submit the .ipynb file itself."))
NOT_TEXT = Message(N_("{name} is not a notebook: a notebook is UTF-8 text."))
BROKEN_JSON = Message(N_("{name} is not a valid notebook: its JSON is broken at line {line}, column {column}."))
NOT_JSON = Message(N_("{name} is not a valid notebook: it is not valid JSON."))
TOO_DEEP = Message(N_("{name} is not a valid notebook: its JSON is nested more than {limit} levels deep."))
NOT_NOTEBOOK = Message(N_("{name} is JSON, but not a Jupyter notebook."))
OLD_FORMAT = Message(N_("{name} uses notebook format {version}; only format 4 is accepted. Open it in JupyterLab, save it and submit again."))
TOO_MANY_CELLS = Message(N_("{name} has {count} cells; a lesson notebook has at most {limit}."))
BAD_CELL = Message(N_("{name} is not a valid notebook: cell {number} is malformed."))
NO_LESSON = Message(N_("This is not the notebook of lesson {lesson}: it carries no lesson information, so it is an old or foreign notebook. Download the lesson’s notebook again, copy your answers into it and submit it."))
WRONG_LESSON = Message(N_("This is not the notebook of lesson {lesson}: it is the notebook of lesson {found}."))

# noticed, not fatal (Program.problems)
OTHER_LANGUAGE = Message(N_("The notebook is in language {found} and the lesson is graded in {language}; the answers are graded all the same."))
LOCKED_DELETED = Message(N_("The locked cell {cell} was deleted; the lesson’s original is used."))
LOCKED_EDITED = Message(N_("The locked cell {cell} was edited; the lesson’s original is used."))
LOCKED_RETYPED = Message(N_("The locked cell {cell} was turned into a {type} cell; the lesson’s original is used."))
LOCKED_METADATA = Message(N_("The grading information of the locked cell {cell} was changed; the lesson’s original is used."))
LOCKED_COPY = Message(N_("A copy of the locked cell {cell} was ignored."))
MOVED = Message(N_("Some cells were moved; the lesson’s order is used."))
ANSWER_MISSING = Message(N_("The answer cell {cell} was not found: it is graded as not attempted."))
ANSWER_BY_ID = Message(N_("The answer cell {cell} lost its grading information; it was recognised by its cell id."))
ANSWER_BY_PLACE = Message(N_("The answer cell {cell} lost its grading information; it was recognised by its place in the notebook."))
ANSWER_NOT_CODE = Message(N_("The answer cell {cell} was turned into a {type} cell; it was ignored."))
ANSWER_DUPLICATE = Message(N_("Several cells claim to be the answer {cell}: the first one is graded and a later copy was ignored."))
ANSWER_SPLIT = Message(N_("The answer {cell} is split over several cells; they run together, in your order."))
FOREIGN_GRADE_ID = Message(N_("The cell marked {cell} is not part of the lesson; it runs as your own code and earns no points."))
OWN_CELLS_AFTER = Message(N_("{count} cell of your own runs right after the answer {cell}."),
                          plural=N_("{count} cells of your own run right after the answer {cell}."))
OWN_CELLS_BEFORE = Message(N_("{count} cell of your own placed before the first answer runs just before the answer {cell}."),
                           plural=N_("{count} cells of your own placed before the first answer run just before the answer {cell}."))
OWN_CELLS_IGNORED = Message(N_("{count} cell of your own was not run: this lesson has no answer cell."),
                            plural=N_("{count} cells of your own were not run: this lesson has no answer cell."))


def _say(template: Message, n: int | None = None, **params: Any) -> Message:
    """``template`` with its parameters (and plural count) filled in."""
    if n is not None:
        params.setdefault("count", n)
    return replace(template, params=params, n=n if template.plural is not None else None)


def _shown(text: str, limit: int = 80) -> str:
    """A learner-chosen string, shortened and on one line, to quote in a message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SubmissionError(Exception):
    """A submission that cannot be graded at all; the message says why.

    It carries a :class:`~jisr.i18n.Message`, so the learner and the teacher
    read it in their language; ``str()`` gives the English.
    """

    def __init__(self, message: Message) -> None:
        super().__init__(message.format(Translator("en")))
        self.message = message


# --------------------------------------------------------------------------- the program


@dataclass(frozen=True)
class ProgramCell:
    """One code cell of the program.

    ``origin`` is ``"instructor"`` for a cell taken from the source and
    ``"student"`` for the learner's code. An answer cell has the answer's
    ``grade_id`` and is always ``"student"``, even when it holds the released
    stub because the answer was missing. A learner's own cell has no
    ``grade_id``; ``follows`` names the answer it runs after (``None`` for the
    cells moved before the first answer).
    """

    source: str
    origin: Origin
    grade_id: str | None = None
    follows: str | None = None


@dataclass
class Program:
    """What to execute for one submission, and what was noticed on the way.

    ``cells`` are in the source's order and never contain hidden tests;
    ``hidden`` maps the ``grade_id`` of each instructor cell that had hidden
    tests (or its cell id if it has no ``grade_id``) to their code, for a trusted
    process only. ``answers`` maps each answer's ``grade_id`` to the learner's
    code (the released stub when the answer was not found, see ``not_found``).
    ``points`` maps each graded cell's ``grade_id`` to its points, from the
    source.
    """

    lesson: str
    language: str
    cells: list[ProgramCell]
    answers: dict[str, str]
    hidden: dict[str, str] = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)

    def to_notebook(self) -> nbformat.NotebookNode:
        """The program as a notebook of code cells, ready for a kernel (e.g. nbclient).

        Each cell says in ``metadata.jisr`` where it comes from; no cell carries
        nbgrader metadata, so nothing in it can pass for a graded cell.
        """
        nb = nbformat.v4.new_notebook(metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "jisr": {"lang": self.language, "lesson": self.lesson},
        })
        for number, cell in enumerate(self.cells):
            origin: dict[str, Any] = {"origin": cell.origin}
            if cell.grade_id is not None:
                origin["grade_id"] = cell.grade_id
            if cell.follows is not None:
                origin["follows"] = cell.follows
            nb.cells.append(nbformat.v4.new_code_cell(cell.source, metadata={"jisr": origin}, id=f"program-{number}"))
        return nb


# --------------------------------------------------------------------------- reading


def read_submission(path: Path | str, *, max_bytes: int = MAX_BYTES, max_cells: int = MAX_CELLS,
                    max_depth: int = MAX_DEPTH) -> nbformat.NotebookNode:
    """Read a submitted notebook, refusing anything that is not a sane notebook.

    See :func:`read_submitted_file` for how the file is read and
    :func:`parse_submission` for the rest. Raises :class:`SubmissionError`.
    """
    data, _ = read_submitted_file(path, max_bytes=max_bytes)
    return parse_submission(data, name=_shown(Path(path).name), max_bytes=max_bytes, max_cells=max_cells, max_depth=max_depth)


def read_submitted_file(path: Path | str, *, max_bytes: int = MAX_BYTES) -> tuple[bytes, os.stat_result]:
    """The bytes of a submitted file (a notebook, its timestamp.txt...), and its status as it was while they were read.

    Only a regular file is read: not a link (it could point to the
    instructor's source, hidden tests and all), not a device or a pipe (they
    could be endless). Its size is checked before reading, and it is never read
    past ``max_bytes``. Raises :class:`SubmissionError`.
    """
    path = Path(path)
    name = _shown(path.name)
    if path.is_symlink():
        raise SubmissionError(_say(LINK, name=name))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)  # no link followed, no wait on a pipe, even if the file changed
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise SubmissionError(_say(LINK, name=name)) from err
        if err.errno == errno.ENOENT:
            raise SubmissionError(_say(NOT_A_FILE, name=name)) from err
        raise SubmissionError(_say(UNREADABLE, name=name, error=err.strerror or type(err).__name__)) from err
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(_say(NOT_A_FILE, name=name))
        if info.st_size > max_bytes:
            raise SubmissionError(_say(TOO_LARGE, name=name, size=_megabytes(info.st_size), limit=_megabytes(max_bytes)))
        chunks: list[bytes] = []
        left = max_bytes + 1  # the file may have grown since fstat(): never read past the limit
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), info
    except OSError as err:
        raise SubmissionError(_say(UNREADABLE, name=name, error=err.strerror or type(err).__name__)) from err
    finally:
        os.close(descriptor)


def _megabytes(size: int) -> str:
    """Megabytes with one decimal, rounded up: 5,000,001 bytes are more than 5 MB."""
    return f"{math.ceil(size / 100_000) / 10:g}"


def parse_submission(data: bytes, *, name: str = "notebook.ipynb", max_bytes: int = MAX_BYTES,
                     max_cells: int = MAX_CELLS, max_depth: int = MAX_DEPTH) -> nbformat.NotebookNode:
    """Check and parse the bytes of a submitted notebook (e.g. an upload).

    Returns a clean format 4 notebook: each cell keeps only its type, id,
    metadata and source (outputs and attachments are dropped: grading never
    trusts them), a missing or invalid cell id is replaced by ``submitted-<n>``.
    Raises :class:`SubmissionError`.
    """
    if len(data) > max_bytes:
        raise SubmissionError(_say(TOO_LARGE, name=name, size=_megabytes(len(data)), limit=_megabytes(max_bytes)))
    for magic, kind in _ARCHIVES:
        if data.startswith(magic):  # never unpacked: a zip bomb stays a few harmless bytes
            raise SubmissionError(_say(ARCHIVE, name=name, kind=kind))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SubmissionError(_say(NOT_TEXT, name=name)) from err
    try:
        raw = json.loads(text)
    except RecursionError as err:  # the C parser counts its depth and stops cleanly
        raise SubmissionError(_say(TOO_DEEP, name=name, limit=max_depth)) from err
    except json.JSONDecodeError as err:
        raise SubmissionError(_say(BROKEN_JSON, name=name, line=err.lineno, column=err.colno)) from err
    except ValueError as err:  # e.g. an integer with too many digits
        raise SubmissionError(_say(NOT_JSON, name=name)) from err
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        raise SubmissionError(_say(NOT_NOTEBOOK, name=name))
    version = raw.get("nbformat")
    if version != 4 or isinstance(version, bool):
        if isinstance(version, int) and not isinstance(version, bool):
            raise SubmissionError(_say(OLD_FORMAT, name=name, version=version))
        raise SubmissionError(_say(NOT_NOTEBOOK, name=name))
    cells, metadata = raw.get("cells"), raw.get("metadata", {})
    if not isinstance(cells, list) or not isinstance(metadata, dict):
        raise SubmissionError(_say(NOT_NOTEBOOK, name=name))
    if len(cells) > max_cells:  # before walking them all
        raise SubmissionError(_say(TOO_MANY_CELLS, name=name, count=len(cells), limit=max_cells))
    if _deeper_than(raw, max_depth):
        raise SubmissionError(_say(TOO_DEEP, name=name, limit=max_depth))
    clean: list[nbformat.NotebookNode] = []
    seen: set[str] = set()
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise SubmissionError(_say(BAD_CELL, name=name, number=number))
        source, cell_metadata = cell.get("source", ""), cell.get("metadata", {})
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str) or not isinstance(cell_metadata, dict):
            raise SubmissionError(_say(BAD_CELL, name=name, number=number))
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.match(cell_id) or cell_id in seen:
            cell_id = f"submitted-{number}"
            while cell_id in seen:
                cell_id += "-"
        seen.add(cell_id)
        make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}.get(
            cell["cell_type"], nbformat.v4.new_raw_cell)  # an unknown type never runs: keep it as raw
        clean.append(make(source, metadata=cell_metadata, id=cell_id))
    return nbformat.v4.new_notebook(cells=clean, metadata=metadata)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON data nests more than ``limit`` levels (without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


# --------------------------------------------------------------------------- building


def split_hidden_tests(code: str) -> tuple[str, str]:
    """Return ``(visible, hidden)``: ``code`` without its hidden-test regions, and those regions.

    Markers are matched as nbgrader matches them (anywhere in a line); the
    marker lines belong to neither part. A region left open hides the rest of
    the cell, so that a broken marker never leaks a hidden test.

    >>> split_hidden_tests("a()\\n### BEGIN HIDDEN TESTS\\nb()\\n### END HIDDEN TESTS\\nc()")
    ('a()\\nc()', 'b()')
    """
    visible: list[str] = []
    hidden: list[str] = []
    inside = False
    for line in code.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    return "\n".join(visible), "\n".join(hidden)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return ""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _normal(code: str) -> str:
    """Code compared without line-ending and trailing-space differences."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _defined_names(code: str) -> frozenset[str] | None:
    """Top-level names that ``code`` defines, or ``None`` if it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return frozenset(names)


def _grading(nbgrader: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """The fields of nbgrader metadata that decide how a cell is graded."""
    if nbgrader is None:
        return None
    points = nbgrader.get("points") if nbgrader.get("grade") else None
    return (nbgrader.get("grade_id"), bool(nbgrader.get("grade")), bool(nbgrader.get("locked")),
            bool(nbgrader.get("solution")), float(points) if isinstance(points, (int, float)) else points)


@dataclass
class _Slot:
    """One code cell of the source: where the program puts instructor code or an answer."""

    position: int
    kind: Literal["answer", "locked", "plain"]
    grade_id: str | None
    cell_id: str | None
    text: str  # what runs: the visible code, or for an answer the released stub
    nbgrader: dict[str, Any] | None
    names: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return self.grade_id or self.cell_id or f"cell-{self.position + 1}"


@dataclass
class _Cell:
    """One cell of the submission, as far as grading cares."""

    index: int
    cell_type: str
    source: str
    cell_id: str | None
    grade_id: str | None
    nbgrader: dict[str, Any] | None

    @property
    def runnable(self) -> bool:
        return self.cell_type == "code" and bool(self.source.strip())


def _source_slots(source: nbformat.NotebookNode) -> tuple[list[_Slot], dict[str, str]]:
    slots: list[_Slot] = []
    hidden: dict[str, str] = {}
    for cell in source.get("cells", []):
        if _mapping(cell).get("cell_type") != "code":
            continue
        metadata = _mapping(cell.get("metadata"))
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else None
        grade_id = (nbgrader or {}).get("grade_id")
        grade_id = grade_id if isinstance(grade_id, str) else None
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) else None
        code = _text(cell.get("source"))
        visible, secret = split_hidden_tests(code)
        position = len(slots)
        tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
        if not (nbgrader and nbgrader.get("solution")) and any(isinstance(t, str) and t.startswith("answer-") for t in tags):
            # a graded choice or number: a plain cell that nbgrader releases as it is (jisr.render);
            # named like a solution cell so that reports say "q1-answer"
            qid = next(t[7:] for t in tags if isinstance(t, str) and t.startswith("answer-"))
            slot = _Slot(position, "answer", grade_id or f"{qid}-answer", cell_id, visible, nbgrader,
                         _defined_names(code) or frozenset())
        elif nbgrader and nbgrader.get("solution"):
            stub = strip_solutions(visible)
            # nbgrader replaces a whole solution cell that has no solution region
            slot = _Slot(position, "answer", grade_id, cell_id, stub if stub != visible else CODE_STUB, nbgrader,
                         _defined_names(code) or frozenset())
        elif nbgrader and (nbgrader.get("grade") or nbgrader.get("locked")):
            slot = _Slot(position, "locked", grade_id, cell_id, visible, nbgrader)
        else:
            slot = _Slot(position, "plain", grade_id, cell_id, strip_solutions(visible), nbgrader)
        if HIDDEN_BEGIN in code:
            hidden[slot.label] = secret
        slots.append(slot)
    grade_ids = [s.grade_id for s in slots if s.grade_id]
    if len(grade_ids) != len(set(grade_ids)):
        raise ValueError("the source notebook has several cells with the same nbgrader grade_id")
    return slots, hidden


def _submitted_cells(submission: nbformat.NotebookNode) -> list[_Cell]:
    cells = []
    for index, cell in enumerate(submission.get("cells", [])):
        cell = _mapping(cell)
        metadata = _mapping(cell.get("metadata"))
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else None
        grade_id = (nbgrader or {}).get("grade_id")
        cell_id = cell.get("id")
        cells.append(_Cell(index, str(cell.get("cell_type", "")), _text(cell.get("source")),
                           cell_id if isinstance(cell_id, str) else None,
                           grade_id if isinstance(grade_id, str) else None, nbgrader))
    return cells


def _check_lesson(source: nbformat.NotebookNode, submission: nbformat.NotebookNode) -> tuple[str, str, list[Message]]:
    jisr = _mapping(_mapping(source.get("metadata")).get("jisr"))
    lesson, language = jisr.get("lesson"), jisr.get("lang")
    if not isinstance(lesson, str) or not isinstance(language, str):
        raise ValueError("the source notebook has no jisr.lesson and jisr.lang metadata: "
                         "render it with jisr.render.render(lesson, language, 'nbgrader')")
    found = _mapping(_mapping(submission.get("metadata")).get("jisr"))
    if not isinstance(found.get("lesson"), str) or not found["lesson"]:
        raise SubmissionError(_say(NO_LESSON, lesson=lesson))
    if found["lesson"] != lesson:
        raise SubmissionError(_say(WRONG_LESSON, lesson=lesson, found=_shown(found["lesson"])))
    problems = []
    if isinstance(found.get("lang"), str) and found["lang"] != language:
        problems.append(_say(OTHER_LANGUAGE, found=_shown(found["lang"], 16), language=language))
    return lesson, language, problems


def build_program(source: nbformat.NotebookNode, submission: nbformat.NotebookNode) -> Program:
    """Pair a submission with the instructor's source notebook and return the program to run.

    ``source`` is trusted (rendered with target ``"nbgrader"``); ``submission``
    is not, and should come from :func:`read_submission`. Raises
    :class:`SubmissionError` when the submission is the notebook of another
    lesson or carries no lesson at all; everything else that was changed is
    repaired and noted in :attr:`Program.problems`. The rules are in the
    module's documentation.
    """
    lesson, language, problems = _check_lesson(source, submission)
    slots, hidden = _source_slots(source)
    cells = _submitted_cells(submission)
    if len(cells) > MAX_CELLS:
        raise SubmissionError(_say(TOO_MANY_CELLS, name="notebook", count=len(cells), limit=MAX_CELLS))

    claims: dict[int, list[_Cell]] = defaultdict(list)  # slot position -> learner's cells, in their order
    how: dict[int, str] = {}  # slot position -> how its first claim was made
    taken: set[int] = set()  # learner's cells matched to a slot
    ignored: set[int] = set()  # learner's cells that never run

    def claim(slot: _Slot, cell: _Cell, way: str) -> None:
        claims[slot.position].append(cell)
        how.setdefault(slot.position, way)
        taken.add(cell.index)

    # 1. by nbgrader grade_id
    by_grade_id = {s.grade_id: s for s in slots if s.grade_id}
    for cell in cells:
        if cell.grade_id in by_grade_id:
            claim(by_grade_id[cell.grade_id], cell, "grade_id")
    # 2. by cell id, for slots nobody claimed
    by_id = {s.cell_id: s for s in slots if s.cell_id}
    for cell in cells:
        slot = by_id.get(cell.cell_id) if cell.cell_id else None
        if cell.index not in taken and slot is not None and not claims[slot.position]:
            claim(slot, cell, "id")
    # 3. by text: instructor cells that lost their metadata and id, copies of locked cells
    by_text: dict[str, list[_Slot]] = defaultdict(list)
    for slot in slots:
        by_text[_normal(slot.text)].append(slot)
    for cell in cells:
        if cell.index in taken or not cell.runnable:
            continue
        same = by_text.get(_normal(cell.source), [])
        free = [s for s in same if not claims[s.position]]
        if free:
            claim(free[0], cell, "text")
        elif any(s.kind == "locked" for s in same):
            locked = next(s for s in same if s.kind == "locked")
            claims[locked.position].append(cell)  # reported as a copy below
            taken.add(cell.index)
    # 4. by place: an answer still unclaimed is looked for between the nearest claimed cells around it
    for slot in slots:
        if slot.kind != "answer" or claims[slot.position]:
            continue
        before = [claims[s.position][0].index for s in slots[: slot.position] if claims[s.position]]
        after = [claims[s.position][0].index for s in slots[slot.position + 1:] if claims[s.position]]
        low, high = (before[-1] if before else -1), (after[0] if after else len(cells))
        candidates = [c for c in cells if low < c.index < high and c.index not in taken and c.runnable]
        if candidates:
            named = [c for c in candidates if (_defined_names(c.source) or frozenset()) & slot.names]
            claim(slot, (named or candidates)[0], "place")

    # resolve each slot: what runs, what is reported
    answers: dict[str, str] = {}
    not_found: list[str] = []
    answer_of: dict[int, str] = {}  # learner's cell index -> the answer it claims (the answer, its parts, its copies)
    parts: dict[str, list[_Cell]] = defaultdict(list)  # answer -> split parts that run after it
    part_indexes: set[int] = set()
    anchors: list[int] = []  # learner's index of each locked cell and answer, in the source's order
    for slot in slots:
        claimed = claims[slot.position]
        if slot.kind == "locked":
            if not claimed:
                problems.append(_say(LOCKED_DELETED, cell=slot.label))
                continue
            intact = [c for c in claimed if c.cell_type == "code" and _normal(c.source) == _normal(slot.text)]
            # of several intact claims, the one with the original cell id is the original, the others copies
            intact.sort(key=lambda c: c.cell_id != slot.cell_id)
            main = intact[0] if intact else claimed[0]
            if main.cell_type != "code":
                problems.append(_say(LOCKED_RETYPED, cell=slot.label, type=_shown(main.cell_type, 16)))
            elif not intact:
                problems.append(_say(LOCKED_EDITED, cell=slot.label))
            if _grading(main.nbgrader) != _grading(slot.nbgrader):
                problems.append(_say(LOCKED_METADATA, cell=slot.label))
            for copy in claimed:
                if copy is not main:
                    problems.append(_say(LOCKED_COPY, cell=slot.label))
            ignored.update(c.index for c in claimed)
            anchors.append(main.index)
        elif slot.kind == "answer":
            label = slot.label
            code_claims = [c for c in claimed if c.cell_type == "code"]
            for cell in claimed:
                if cell.cell_type != "code":
                    problems.append(_say(ANSWER_NOT_CODE, cell=label, type=_shown(cell.cell_type, 16)))
                    ignored.add(cell.index)
            if not code_claims:
                answers[label] = slot.text
                not_found.append(label)
                problems.append(_say(ANSWER_MISSING, cell=label))
                continue
            first = code_claims[0]
            answers[label] = first.source
            answer_of[first.index] = label
            anchors.append(first.index)
            if how.get(slot.position) == "id" and slot.nbgrader:  # a plain answer cell has only its id
                problems.append(_say(ANSWER_BY_ID, cell=label))
            elif how.get(slot.position) == "place":
                problems.append(_say(ANSWER_BY_PLACE, cell=label))
            first_names = _defined_names(first.source)
            for later in code_claims[1:]:
                answer_of[later.index] = label
                later_names = _defined_names(later.source)
                repeats = _normal(later.source) == _normal(first.source) or bool(
                    first_names and later_names and first_names & later_names)
                if repeats:
                    problems.append(_say(ANSWER_DUPLICATE, cell=label))
                    ignored.add(later.index)
                else:
                    parts[label].append(later)
                    part_indexes.add(later.index)
            if parts[label]:
                problems.append(_say(ANSWER_SPLIT, cell=label))
    if anchors != sorted(anchors):
        problems.append(MOVED)

    # the learner's own cells follow the answer before them, in the learner's order
    answer_slots = [s for s in slots if s.kind == "answer"]
    own: dict[str, list[_Cell]] = defaultdict(list)
    before_first: list[_Cell] = []
    current: str | None = None
    for cell in cells:
        if cell.index in answer_of:
            current = answer_of[cell.index]
            if cell.index in part_indexes:
                own[current].append(cell)
            continue
        if cell.index in taken or cell.index in ignored or not cell.runnable:
            continue
        if cell.grade_id is not None:
            problems.append(_say(FOREIGN_GRADE_ID, cell=_shown(cell.grade_id, 40)))
        (own[current] if current is not None else before_first).append(cell)
    for label, followers in own.items():
        count = sum(1 for c in followers if c.index not in part_indexes)
        if count:
            problems.append(_say(OWN_CELLS_AFTER, n=count, cell=label))
    if before_first:
        if answer_slots:
            problems.append(_say(OWN_CELLS_BEFORE, n=len(before_first), cell=answer_slots[0].label))
        else:
            problems.append(_say(OWN_CELLS_IGNORED, n=len(before_first)))

    program: list[ProgramCell] = []
    for slot in slots:
        if slot.kind != "answer":
            program.append(ProgramCell(slot.text, "instructor", slot.grade_id))
            continue
        if slot is answer_slots[0]:
            program += [ProgramCell(c.source, "student") for c in before_first]
        program.append(ProgramCell(answers[slot.label], "student", slot.label))
        program += [ProgramCell(c.source, "student", follows=slot.label) for c in own[slot.label]]
    points = {s.label: float(s.nbgrader.get("points", 0) or 0) for s in slots
              if s.kind == "locked" and s.nbgrader and s.nbgrader.get("grade")}
    return Program(lesson, language, program, answers, hidden, points, not_found, problems)
