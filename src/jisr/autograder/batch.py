"""Grade every submission of an assignment in an nbgrader course, in parallel.

The steps for each submission, in order:

1. ``intake.snapshot``: the notebook and its timestamp.txt, read as one
   consistent snapshot; ``intake.submission_time`` decides which time to trust.
2. ``submission.build_program`` and ``grade.grade_program``: a trusted program
   runs in its own sandbox; verdicts are decided here, outside it.
3. ``gradebook.record``: the verdicts and the time, one transaction in
   nbgrader's gradebook, so the teacher's usual tools (formgrader,
   ``nbgrader export``, ``release_feedback``) see them.
4. ``feedback.write_feedback``: a page in the student's language, without
   hidden tests, where ``nbgrader release_feedback`` looks for it.

One broken or hostile submission never stops the others: it gets zero and a
reason. A submission that could not be *recorded* (gradebook locked, disk
full) keeps its old state and is reported, so the teacher grades again.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat

from ..i18n import Message, N_
from ..source import lesson_by_key
from . import gradebook as book
from .grade import Grade, grade_program, graded_points
from .intake import CHANGING, LINKED, released_time, snapshot, submission_time
from .autograded import autograded_notebook, unchanged_answers, write_autograded
from .safe import is_text, visible
from .sandbox import Limits
from .submission import SubmissionError, build_program, parse_submission
from . import plain as plain_course

GRADER_FAULT = Message(N_("This submission could not be graded: {error}"))
BAD_FOLDER_NAME = Message(N_("The student folder name {name} is not valid UTF-8 text, so the gradebook cannot hold it; rename the folder (for example to the student’s id) and grade again."))
AUTOGRADED_FAILED = Message(N_("The notebook for nbgrader’s formgrader could not be written ({error}); the grade is recorded."))
FEEDBACK_FAILED = Message(N_("The feedback page could not be written ({error}); the grade is recorded."))


@dataclass
class Outcome:
    """What happened to one student's submission."""

    student: str
    grade: Grade | None = None
    error: Message | None = None
    problems: list[Message] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # answer grade id -> the student's code
    language: str = "en"  # the notebook's language: feedback is written in it
    timestamp: datetime | None = None  # the submission time recorded (naive UTC)
    not_recorded: Message | None = None  # why it could not be written to the gradebook, if so
    teacher_notes: list[Message] = field(default_factory=list)  # for the teacher only, never on the student's page
    plain: bool = False  # a plain nbgrader course: grades are by test cell, not by Jisr exercise
    unanswered: list[str] = field(default_factory=list)  # answer cells not found in the submission
    autograded: nbformat.NotebookNode | None = None  # the notebook the formgrader shows, written once recorded

    @property
    def score(self) -> float:
        return self.grade.score if self.grade else 0.0

    @property
    def recorded(self) -> bool:
        """Written to the gradebook (``grade_assignment`` returns outcomes only once it has tried)."""
        return self.not_recorded is None


def submissions(course: Path, assignment: str) -> list[tuple[str, Path]]:
    """(student, submission folder) for every submitted copy of ``assignment``."""
    return [(folder.parent.name, folder) for folder in sorted((course / "submitted").glob(f"*/{assignment}"))
            if not folder.parent.name.startswith(".")]


def course_language(source: nbformat.NotebookNode) -> str:
    """The language of the course's source notebook: feedback is written in it."""
    return str(source.metadata.get("jisr", {}).get("lang", "en"))


def grade_one(source: nbformat.NotebookNode, folder: Path, assignment: str, limits: Limits,
              previous: datetime | None = None, released: datetime | None = None, *,
              language: str | None = None, cell_seconds: float = plain_course.CELL_SECONDS,
              files: dict[str, bytes] | None = None) -> Outcome:
    """Grade one submission folder ``<course>/submitted/<student>/<assignment>`` (nothing is written anywhere).

    A plain nbgrader course (see :mod:`.plain`) is graded test cell by test
    cell; ``language`` (default: the course's, else English) is the one its
    notes are written in, ``cell_seconds`` a cell's time limit and ``files``
    the course files copied beside the notebook.
    """
    student = folder.parent.name
    plain = plain_course.is_plain(source)
    # a Jisr lesson speaks its course's language; a plain course the teacher's (its notes only)
    language = (language or "en") if plain else course_language(source)
    try:
        taken = snapshot(folder, f"{assignment}.ipynb", root=folder.parents[2])  # no link below the course
    except SubmissionError as err:
        return Outcome(student, error=err.message, language=language)
    timestamp, time_problems = submission_time(taken.claimed, taken.arrived, previous, released)
    try:
        submitted = parse_submission(taken.data, name=f"{assignment}.ipynb")
        program = (plain_course.plain_program(source, submitted, assignment, language) if plain
                   else build_program(source, submitted))
    except SubmissionError as err:
        return Outcome(student, error=err.message, problems=time_problems, language=language, timestamp=timestamp,
                       plain=plain)
    run = None
    if plain:
        grade, run = plain_course.grade_plain(source, program, limits, cell_seconds, files)
    else:
        grade = grade_program(program, lesson_by_key(program.lesson), limits)
    outcome = Outcome(student, grade=grade, problems=time_problems + list(program.problems), answers=dict(program.answers),
                      language=language, timestamp=timestamp, teacher_notes=list(getattr(grade, "teacher_notes", [])),
                      plain=plain, unanswered=sorted(set(program.not_found) | set(unchanged_answers(submitted))))
    outcome.autograded = autograded_notebook(source, submitted, program, outcome, run)
    return outcome


def grade_assignment(course: Path, assignment: str, *, workers: int = 2, limits: Limits | None = None,
                     db_url: str | None = None, feedback: bool = True, busy_wait: float = book.BUSY_WAIT,
                     progress: Callable[[int, int, Outcome], None] | None = None, student: str | None = None,
                     language: str | None = None) -> list[Outcome]:
    """Grade all submissions of ``assignment`` under ``course`` (or only ``student``'s); one outcome per student.

    A course made by ``jisr course`` is graded by exercise; any other nbgrader
    course by test cell (:mod:`.plain`). Raises
    :class:`~jisr.autograder.gradebook.GradebookError` before grading anything
    if the course is already being graded or its gradebook cannot be used.
    """
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    plain = plain_course.is_plain(source)
    if plain:
        lesson = None
        max_scores = plain_course.test_points(source)
        limits = limits or plain_course.PLAIN_LIMITS
        files = plain_course.course_files(course / "source" / assignment)
    else:
        lesson = lesson_by_key(source.metadata["jisr"]["lesson"])
        max_scores = graded_points(lesson)
        files = None
    cell_seconds = plain_course.cell_timeout(course)
    url = book.gradebook_url(course, db_url)
    with book.course_lock(course):
        book.retrying(lambda: book.prepare(url), busy_wait)
        todo = [(name, folder) for name, folder in submissions(course, assignment) if student is None or name == student]
        previous = book.retrying(lambda: book.recorded_times(url, assignment), busy_wait)
        released = released_time(course, assignment)
        outcomes: list[Outcome] = []
        # a folder name that is not UTF-8 text cannot be a student id: that student only is not recorded
        for name, _ in todo:
            if not is_text(name):
                outcome = Outcome(name, language=course_language(source),
                                  not_recorded=Message(BAD_FOLDER_NAME.msgid, {"name": visible(name)}))
                outcomes.append(outcome)
                if progress:
                    progress(len(outcomes), len(todo), outcome)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(grade_one, source, folder, assignment, limits or Limits(), previous.get(name), released,
                                   language=language, cell_seconds=cell_seconds, files=files): name
                       for name, folder in todo if is_text(name)}
            for future in concurrent.futures.as_completed(futures):
                try:
                    outcome = future.result()
                except Exception as err:  # a grader fault on one submission must not stop the batch
                    # nothing is recorded (the old grade stays); the detail is for the teacher only
                    outcome = Outcome(futures[future], language=course_language(source),
                                      not_recorded=_fault(err))
                try:
                    _keep(course, url, assignment, outcome, max_scores, lesson, feedback, busy_wait)
                except Exception as err:  # nor may a fault while recording it
                    outcome.not_recorded = _fault(err)
                outcomes.append(outcome)
                if progress:
                    progress(len(outcomes), len(todo), outcome)
    return sorted(outcomes, key=lambda o: o.student)


def _fault(err: Exception) -> Message:
    """A grader fault, in words for the teacher (the student never sees it)."""
    return Message(GRADER_FAULT.msgid, {"error": visible(f"{type(err).__name__}: {err}")[:300]})


def _keep(course: Path, url: str, assignment: str, outcome: Outcome, max_scores: dict[str, float], lesson,
          feedback: bool, busy_wait: float) -> None:
    """Record one outcome, then write its feedback page; failures are reported, never raised."""
    if outcome.not_recorded is not None:
        return
    if outcome.error is not None and outcome.error.msgid in (CHANGING.msgid, LINKED.msgid):
        outcome.not_recorded = outcome.error  # a resubmission arriving, or a linked folder: keep the old grade
        return
    try:
        book.record(url, assignment, outcome, max_scores, timestamp=outcome.timestamp, wait=busy_wait)
    except book.GradebookError as err:
        outcome.not_recorded = err.message
        return
    if outcome.autograded is not None:
        try:
            write_autograded(course, assignment, outcome.student, outcome.autograded)
        except (OSError, ValueError) as err:
            outcome.problems.append(Message(AUTOGRADED_FAILED.msgid, {"error": visible(str(err))[:200]}))
    if feedback and lesson is not None:  # a plain course: nbgrader generate_feedback, from the autograded notebooks
        from .feedback import write_feedback

        try:
            write_feedback(course, assignment, outcome, lesson)
        except (OSError, ValueError) as err:
            outcome.problems.append(Message(FEEDBACK_FAILED.msgid, {"error": str(err)[:200]}))
