"""Take in one collected submission: a consistent snapshot, and a time that can be trusted.

nbgrader's ``collect`` replaces a student's folder (remove, then copy) when a
newer submission arrives, and the time in ``timestamp.txt`` is written by the
student's own process. So, before grading:

1. ``snapshot`` reads ``timestamp.txt`` and the notebook together and checks
   that neither changed while they were read, and that nothing changed in the
   last moment (a copy may be in progress). A folder that keeps changing is
   not graded now: the old grade stays until the next run.
2. ``submission_time`` keeps the written time only if it can be true. A time
   later than the moment the course received the notebook (the kernel's
   change time, which no student can set), older than the submission
   already recorded, or older than the assignment itself (before it was
   released: ``timestamp.txt`` saying 2001), is replaced by the time the
   course received it, and the teacher and the student are told.

No link is followed on the way to a submission: ``submitted``, the student's
folder and the assignment's folder are opened one by one without following
links (``O_NOFOLLOW``), and the files are read through that opened folder, so
a folder swapped for a link to ``source/`` between a check and a read is
never read either.

>>> from datetime import datetime
>>> arrived = datetime(2026, 11, 20, 10, 0)
>>> submission_time("2026-11-20 09:58:00.000000 UTC", arrived)[0]
datetime.datetime(2026, 11, 20, 9, 58)
>>> submission_time("2031-01-01 00:00:00 UTC", arrived)[0] == arrived
True
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..i18n import Message, N_
from .sandbox import descend
from .submission import NOT_A_FILE, UNREADABLE, SubmissionError, read_submitted_file

TIMESTAMP_FILE = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 100
CLOCK_SKEW = timedelta(minutes=5)  # clocks of the hub and of the grader may differ a little
SETTLE_SECONDS = 0.5  # a file changed this recently may still be being copied
ATTEMPTS = 6

CHANGING = Message(N_("The submission was still changing while it was read (a new submission arriving?). It was not graded now; its previous grade is kept. Grade again in a moment."))
TIME_UNREADABLE = Message(N_("The submission time written with the notebook cannot be read; the time the course received it ({arrived}) is used instead."))
TIME_TOO_LATE = Message(N_("The submission time written with the notebook ({claimed}) is later than the time the course received it ({arrived}), which is impossible; the time it was received is used instead."))
TIME_WENT_BACK = Message(N_("The submission time written with the notebook ({claimed}) is older than the submission already graded ({previous}); the time the course received it ({arrived}) is used instead."))
TIME_TOO_EARLY = Message(N_("The submission time written with the notebook ({claimed}) is before the assignment was released ({released}), which is impossible; the time the course received it ({arrived}) is used instead."))
LINKED = Message(N_("The submission folder {path} is a link (or passes through one); links are never followed, so it was not graded. Put the student’s files in a real folder and grade again."))
TIME_MISSING = Message(N_("No submission time came with the notebook (timestamp.txt is missing), so lateness cannot be checked."))

_TIMESTAMP_CHARS = re.compile(r"[0-9A-Za-z:+\-. ]{8,%d}" % MAX_TIMESTAMP_BYTES)


@dataclass
class Snapshot:
    """The bytes of one submission as they were at one moment, and their time."""

    data: bytes
    digest: str  #: sha256 of the notebook bytes
    claimed: str | None  #: the text of timestamp.txt, if any
    arrived: datetime  #: naive UTC: when the notebook last changed in the course (kernel time)
    timestamp: datetime | None = None  #: naive UTC: the time recorded in the gradebook
    problems: list[Message] = field(default_factory=list)


def _state(folder: Path, names: tuple[str, ...]) -> tuple:
    """What changes when a file in ``folder`` is replaced, rewritten or removed.

    ``folder`` may be ``/proc/self/fd/<n>`` (an opened folder): its own entry is
    then the folder it names (``stat``), its files are never followed (``lstat``).
    """
    found = []
    for name in ("", *names):
        try:
            info = os.stat(folder) if not name else os.lstat(folder / name)
        except OSError:
            found.append(None)
            continue
        found.append((info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
    return tuple(found)


def open_without_links(root: Path, folder: Path) -> int:
    """A descriptor of ``folder``, opened from ``root`` one part at a time without following any link.

    ``root`` itself (the course, chosen by the teacher) may be reached through
    links; nothing below it may be one. Raises :class:`SubmissionError` with
    :data:`LINKED` (or the reason it cannot be opened).
    """
    parts = folder.relative_to(root).parts
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        walked = Path(root)
        for part in parts:
            walked = walked / part
            try:
                fd = descend(fd, part)
            except OSError as err:
                linked = err.errno == errno.ELOOP or os.path.islink(walked)
                if linked:
                    raise SubmissionError(Message(LINKED.msgid, {"path": str(walked.relative_to(root))})) from err
                raise SubmissionError(Message(UNREADABLE.msgid, {"name": part, "error": err.strerror or str(err)})) from err
        return fd
    except BaseException:
        os.close(fd)
        raise


def _read_claimed(path: Path) -> str | None:
    """The text of timestamp.txt, or None if there is none; a link, a huge or a special file reads as ''."""
    try:
        data, _ = read_submitted_file(path, max_bytes=MAX_TIMESTAMP_BYTES)
    except SubmissionError as err:
        return None if err.message.msgid == NOT_A_FILE.msgid and not os.path.lexists(path) else ""
    return data.decode("utf-8", "replace")


def _utc(seconds_ns: int) -> datetime:
    return datetime.fromtimestamp(seconds_ns / 1e9, tz=timezone.utc).replace(tzinfo=None)


def parse_claimed(text: str) -> datetime | None:
    """A timestamp as nbgrader writes it, as naive UTC; None if it is not one."""
    from nbgrader.utils import parse_utc

    if len(text) > MAX_TIMESTAMP_BYTES:
        return None
    text = text.strip()
    if not _TIMESTAMP_CHARS.fullmatch(text):
        return None
    try:
        parsed = parse_utc(text)
        return parsed if isinstance(parsed, datetime) and parsed.year >= 2000 else None
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None


def _shown(moment: datetime) -> str:
    """A time to quote in a message (the feedback page isolates every parameter, so Arabic text keeps its digits in order)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def submission_time(claimed: str | None, arrived: datetime, previous: datetime | None = None,
                    released: datetime | None = None) -> tuple[datetime | None, list[Message]]:
    """The time to record for a submission, and what was wrong with the written one.

    ``released`` (naive UTC) is the earliest time a submission can have: when
    the assignment was released; a written time before it is refused.

    >>> submission_time("2001-01-01 00:00:00 UTC", datetime(2026, 11, 20), released=datetime(2026, 11, 1))[0]
    datetime.datetime(2026, 11, 20, 0, 0)
    """
    if claimed is None:
        return None, [TIME_MISSING]
    moment = parse_claimed(claimed)
    params = {"arrived": _shown(arrived)}
    if moment is None:
        return arrived, [Message(TIME_UNREADABLE.msgid, params)]
    params["claimed"] = _shown(moment)
    if moment > arrived + CLOCK_SKEW:
        return arrived, [Message(TIME_TOO_LATE.msgid, params)]
    if previous is not None and moment < previous:
        return arrived, [Message(TIME_WENT_BACK.msgid, {**params, "previous": _shown(previous)})]
    if released is not None and moment < released - CLOCK_SKEW:
        return arrived, [Message(TIME_TOO_EARLY.msgid, {**params, "released": _shown(released)})]
    return moment, []


def snapshot(folder: Path, notebook: str, *, attempts: int = ATTEMPTS, settle: float = SETTLE_SECONDS,
             root: Path | None = None) -> Snapshot:
    """Read ``folder/notebook`` and its timestamp.txt as one consistent snapshot.

    With ``root`` (the course), every folder from ``root`` down to ``folder``
    is opened without following links (see :func:`open_without_links`).
    Raises :class:`SubmissionError` with :data:`CHANGING` if the folder never
    holds still, with :data:`LINKED` if a link is on the way, or with the
    notebook's own problem (missing, too large...).
    """
    names = (TIMESTAMP_FILE, notebook)
    for attempt in range(attempts):
        fd = open_without_links(root, folder) if root is not None else None
        try:
            opened = Path(f"/proc/self/fd/{fd}") if fd is not None else folder
            before = _state(opened, names)
            claimed = _read_claimed(opened / TIMESTAMP_FILE)
            try:
                data, info = read_submitted_file(opened / notebook)
                problem = None
            except SubmissionError as err:
                data, info, problem = b"", None, err
            after = _state(opened, names)
            # the folder read is still the one the course holds (not removed and replaced meanwhile)
            same = fd is None or _same_folder(fd, folder)
        finally:
            if fd is not None:
                os.close(fd)
        newest = max((entry[3] for entry in after if entry is not None), default=0)
        quiet = time.time_ns() - newest >= settle * 1e9
        if before == after and quiet and same:
            if problem is not None:
                raise problem
            return Snapshot(data, hashlib.sha256(data).hexdigest(), claimed, _utc(info.st_ctime_ns))
        if attempt < attempts - 1:
            time.sleep(settle)
    raise SubmissionError(CHANGING)


def _same_folder(fd: int, folder: Path) -> bool:
    try:
        now, opened = os.lstat(folder), os.fstat(fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino)


def released_time(course: Path, assignment: str) -> datetime | None:
    """When ``assignment`` was released (naive UTC): no submission can be older.

    The time of nbgrader's ``release/<assignment>`` folder, written by
    ``generate_assignment`` before any student could see the notebook; None
    if the course has no release folder.
    """
    try:
        info = os.stat(Path(course) / "release" / assignment)
    except OSError:
        return None
    return _utc(min(info.st_mtime_ns, info.st_ctime_ns))
