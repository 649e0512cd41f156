"""Writing verdicts into nbgrader's gradebook so that nothing is ever half written.

- ``gradebook_url``: the course's database: ``--db-url``, else the course's
  ``nbgrader_config.py`` (``c.CourseDirectory.db_url``, e.g. PostgreSQL for an
  institute), else ``sqlite:///<course>/gradebook.db`` as nbgrader does.
- ``prepare``: a gradebook made by an older nbgrader is backed up, then
  upgraded with nbgrader's own migrations; one from a newer nbgrader is refused.
- ``record``: one transaction per submission, retried while another program
  (formgrader, a second grader) holds the database; a full disk or a lock that
  lasts leaves the old state and a clear reason.
- ``course_lock``: two ``jisr grade`` runs on one course never interleave.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..i18n import Message, N_

if TYPE_CHECKING:
    from .batch import Outcome

T = TypeVar("T")
LOCK_FILE = ".jisr-grade.lock"
BUSY_WAIT = 60.0  # seconds a locked gradebook is waited for before giving up on one submission

LOCKED = Message(N_("The gradebook is busy: another program (formgrader, or another grader) kept it locked for {seconds:g} s. Nothing was changed for this student; grade again when it is free."))
DISK_FULL = Message(N_("The gradebook could not be written: the disk is full. Nothing was changed for this student; free some space and grade again."))
WRITE_FAILED = Message(N_("The gradebook could not be written ({error}). Nothing was changed for this student; grade again."))
NO_ASSIGNMENT = Message(N_("The assignment {assignment} is not in the gradebook. Run `nbgrader generate_assignment {assignment}` in the course folder first."))
TOO_NEW = Message(N_("The gradebook was made by a newer nbgrader (schema {found}); this nbgrader knows schemas up to {known}. Upgrade nbgrader; the gradebook was not touched."))
UPGRADE_FAILED = Message(N_("The gradebook could not be upgraded to this nbgrader’s schema ({error}). It was not changed; a copy is at {backup}."))
UNVERSIONED = Message(N_("The gradebook has tables ({tables}) but no schema version, and they are not this nbgrader’s: it was not changed. Move it aside and run `jisr course` again, or restore a backup."))
BUSY_COURSE = Message(N_("Another `jisr grade` is already grading this course. Wait until it has finished, then run again."))


class GradebookError(Exception):
    """The gradebook could not be used or written; ``message`` says why, in any language."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


def gradebook_url(course: Path, db_url: str | None = None) -> str:
    """The course's gradebook URL (see the module docstring for the order)."""
    if db_url:
        return db_url
    config = course / "nbgrader_config.py"
    if config.is_file():
        from traitlets.config.loader import PyFileConfigLoader

        loaded = PyFileConfigLoader(config.name, path=str(course)).load_config()
        configured = loaded.get("CourseDirectory", {}).get("db_url")
        if isinstance(configured, str) and configured:
            return configured
    return f"sqlite:///{course.resolve() / 'gradebook.db'}"


@contextmanager
def course_lock(course: Path) -> Iterator[None]:
    """Hold the course's grading lock (released by the kernel even if the grader is killed)."""
    path = course / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradebookError(BUSY_COURSE) from None
        yield
    finally:
        os.close(descriptor)


# --------------------------------------------------------------------------- schema


def _revisions() -> tuple[list[str], str]:
    """nbgrader's migration revisions, oldest first, read from its scripts (no subprocess)."""
    import nbgrader

    parents: dict[str, str | None] = {}
    for script in (Path(nbgrader.__file__).parent / "alembic" / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision = re.search(r"^revision = ['\"](\w+)['\"]", text, re.M)
        down = re.search(r"^down_revision = (?:['\"](\w+)['\"]|None)", text, re.M)
        if revision and down:
            parents[revision.group(1)] = down.group(1)
    order: list[str] = []
    current = next(r for r, parent in parents.items() if parent is None)
    children = {parent: r for r, parent in parents.items()}
    while current:
        order.append(current)
        current = children.get(current)
    return order, order[-1]


def schema_revision(url: str) -> str | None:
    """The gradebook's alembic revision; None for a new, empty database."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if "alembic_version" not in inspect(connection).get_table_names():
                return None
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
    finally:
        engine.dispose()


def _tools_on_path() -> None:
    """nbgrader runs the ``alembic`` command when it creates a gradebook: find ours."""
    tools = str(Path(sys.executable).parent)
    if tools not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")


def _stamp_if_unversioned(url: str, head: str) -> None:
    """A gradebook with tables but no schema version: nbgrader made the tables, then could not run
    ``alembic`` to write the version (not on PATH). If the tables are exactly this nbgrader's, write the
    version it failed to write; otherwise refuse, since no migration can be trusted on it."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if not tables:
                return  # a new, empty database: nbgrader creates it with its version
            found = {name: {c["name"] for c in inspect(connection).get_columns(name)} for name in tables}
            wanted = {name: {c.name for c in table.columns} for name, table in Base.metadata.tables.items()}
            if found != wanted:
                raise GradebookError(Message(UNVERSIONED.msgid, {"tables": ", ".join(sorted(tables))[:200]}))
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head})
            connection.commit()
    finally:
        engine.dispose()


def prepare(url: str) -> str | None:
    """Make sure the gradebook has this nbgrader's schema; return the backup made, if any.

    An older SQLite gradebook is copied aside first (``gradebook.db.before-<revision>``);
    the upgrade runs nbgrader's own alembic migrations.
    """
    _tools_on_path()
    order, head = _revisions()
    found = schema_revision(url)
    if found is None:
        _stamp_if_unversioned(url, head)
        return None
    if found == head:
        return None
    if found not in order:
        raise GradebookError(Message(TOO_NEW.msgid, {"found": found, "known": head}))
    backup = None
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        backup = str(database.with_name(f"{database.name}.before-{head}"))
        shutil.copy2(database, backup)
    from alembic.config import main as alembic
    from nbgrader.dbutil import _temp_alembic_ini

    try:
        with _temp_alembic_ini(url) as ini:
            alembic(["-c", ini, "upgrade", "head"])
    except Exception as err:
        if backup:
            shutil.copy2(backup, url.removeprefix("sqlite:///"))
        raise GradebookError(Message(UPGRADE_FAILED.msgid, {"error": str(err)[:200], "backup": backup or "-"})) from err
    return backup


# --------------------------------------------------------------------------- writing


def _reason(err: Exception, waited: float) -> Message | None:
    """A clear message for a database error we know; None for one we don't."""
    text = str(err).lower()
    if "locked" in text or "busy" in text or "could not obtain lock" in text or "lock timeout" in text:
        return Message(LOCKED.msgid, {"seconds": round(waited)})
    if "full" in text or "no space" in text:
        return DISK_FULL
    return None


def retrying(action: Callable[[], T], wait: float = BUSY_WAIT) -> T:
    """Run a gradebook ``action``, again while the database is locked, for up to ``wait`` seconds.

    Raises :class:`GradebookError` with a clear reason (the database is left as it was).
    """
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    started = time.monotonic()
    delay = 0.2
    while True:
        try:
            return action()
        except OperationalError as err:
            waited = time.monotonic() - started
            reason = _reason(err, waited)
            if reason is None or reason.msgid != LOCKED.msgid or waited >= wait:
                raise GradebookError(reason or Message(WRITE_FAILED.msgid, {"error": str(err.orig)[:200]})) from err
            time.sleep(min(delay, max(0.0, wait - waited)))
            delay = min(delay * 2, 2.0)
        except SQLAlchemyError as err:
            raise GradebookError(_reason(err, 0) or Message(WRITE_FAILED.msgid, {"error": str(err)[:200]})) from err
        except OSError as err:
            raise GradebookError(_reason(err, 0) or Message(WRITE_FAILED.msgid, {"error": err.strerror or str(err)})) from err


def record(url: str, assignment: str, outcome: Outcome, max_scores: dict[str, float], *,
           timestamp: datetime | None = None, wait: float = BUSY_WAIT) -> None:
    """Write one student's verdicts in a single transaction, retried while the database is busy.

    Raises :class:`GradebookError` (old state kept) if it cannot be written.
    """
    retrying(lambda: _write(url, assignment, outcome, max_scores, timestamp), wait)


def recorded_times(url: str, assignment: str) -> dict[str, datetime]:
    """The submission times already in the gradebook, by student."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(url) as gradebook:
        try:
            return {s.student.id: s.timestamp for s in gradebook.assignment_submissions(assignment) if s.timestamp}
        except MissingEntry:
            return {}


def _write(url: str, assignment: str, outcome: Outcome, max_scores: dict[str, float], timestamp: datetime | None) -> None:
    """The student, the submission with its notebooks, grades and comments (as
    nbgrader's ``add_submission`` builds them), the scores and the time: one commit."""
    from nbgrader.api import (Comment, Gradebook, Grade as GradeRow, MissingEntry, Student, SubmittedAssignment,
                              SubmittedNotebook)

    # a Jisr lesson's max_scores are by exercise (its grade cell is <qid>-tests); a plain course's by grade cell
    verdicts = {v.grade_cell: v.points for v in outcome.grade.verdicts} if outcome.grade else {}
    names = [qid if outcome.plain else f"{qid}-tests" for qid in max_scores]
    wanted = {name: verdicts.get(name, 0.0) for name in names}
    unanswered = set(outcome.unanswered)
    with Gradebook(url) as gradebook:
        db = gradebook.db
        try:
            try:
                found = gradebook.find_assignment(assignment)
            except MissingEntry:
                raise GradebookError(Message(NO_ASSIGNMENT.msgid, {"assignment": assignment})) from None
            try:
                student = gradebook.find_student(outcome.student)
            except MissingEntry:
                student = Student(id=outcome.student)
                db.add(student)
            rows: dict[str, GradeRow] = {}
            try:
                submission = gradebook.find_submission(assignment, outcome.student)
                for notebook in submission.notebooks:
                    rows.update({grade.name: grade for grade in notebook.grades})
            except MissingEntry:
                with db.no_autoflush:
                    submission = SubmittedAssignment(assignment=found, student=student)
                    for notebook in found.notebooks:
                        submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
                        for cell in notebook.grade_cells:
                            rows[cell.name] = GradeRow(cell_id=cell.id, notebook=submitted)
                        for cell in notebook.solution_cells:
                            Comment(cell_id=cell.id, notebook=submitted)
                        for cell in notebook.task_cells:
                            Comment(cell_id=cell.id, notebook=submitted)
                            GradeRow(cell_id=cell.id, notebook=submitted)
                    db.add(submission)
            db.flush()  # new comments know their cell (and its name) once flushed
            solutions = {cell.name for notebook in found.notebooks for cell in notebook.solution_cells}
            for name, row in rows.items():
                if name in wanted:
                    row.auto_score = wanted[name]
                elif name in solutions:  # an answer graded by hand: zero only if there is no answer at all
                    row.auto_score = 0.0 if name in unanswered else None
                # as nbgrader's SaveAutoGrades: a teacher's score or a missing automatic one needs a look
                row.needs_manual_grade = row.manual_score is not None or row.auto_score is None
            for notebook in submission.notebooks:
                for comment in notebook.comments:
                    if comment.name in solutions:
                        comment.auto_comment = "No response." if comment.name in unanswered else None
            submission.timestamp = timestamp
            db.commit()
        except BaseException:
            db.rollback()
            raise


def record_time(url: str, assignment: str, student: str, timestamp: datetime) -> None:
    """Set a submission's time (Jisr's trusted one) in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        gradebook.update_or_create_submission(assignment, student, timestamp=timestamp)
