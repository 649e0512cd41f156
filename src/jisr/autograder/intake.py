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
   change time, which no student can set), or older than the submission
   already recorded, is replaced by the time the course received it.

>>> from datetime import datetime
>>> arrived = datetime(2026, 11, 20, 10, 0)
>>> submission_time("2026-11-20 09:58:00.000000 UTC", arrived)[0]
datetime.datetime(2026, 11, 20, 9, 58)
>>> submission_time("2031-01-01 00:00:00 UTC", arrived)[0] == arrived
True
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..i18n import Message, N_
from .submission import NOT_A_FILE, SubmissionError, read_submitted_file

TIMESTAMP_FILE = "timestamp.txt"
MAX_TIMESTAMP_BYTES = 100
CLOCK_SKEW = timedelta(minutes=5)  # clocks of the hub and of the grader may differ a little
SETTLE_SECONDS = 0.5  # a file changed this recently may still be being copied
ATTEMPTS = 6

CHANGING = Message(N_("The submission was still changing while it was read (a new submission arriving?). It was not graded now; its previous grade is kept. Grade again in a moment."))
TIME_UNREADABLE = Message(N_("The submission time written with the notebook cannot be read; the time the course received it ({arrived}) is used instead."))
TIME_TOO_LATE = Message(N_("The submission time written with the notebook ({claimed}) is later than the time the course received it ({arrived}), which is impossible; the time it was received is used instead."))
TIME_WENT_BACK = Message(N_("The submission time written with the notebook ({claimed}) is older than the submission already graded ({previous}); the time the course received it ({arrived}) is used instead."))
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
    """What changes when a file in ``folder`` is replaced, rewritten or removed."""
    found = []
    for name in ("", *names):
        try:
            info = os.lstat(folder / name)
        except OSError:
            found.append(None)
            continue
        found.append((info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
    return tuple(found)


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
    """A time to quote in a message; isolated left-to-right so Arabic text does not reorder its digits."""
    return "\u2066" + moment.strftime("%Y-%m-%d %H:%M:%S UTC") + "\u2069"


def submission_time(claimed: str | None, arrived: datetime, previous: datetime | None = None
                    ) -> tuple[datetime | None, list[Message]]:
    """The time to record for a submission, and what was wrong with the written one."""
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
    return moment, []


def snapshot(folder: Path, notebook: str, *, attempts: int = ATTEMPTS, settle: float = SETTLE_SECONDS) -> Snapshot:
    """Read ``folder/notebook`` and its timestamp.txt as one consistent snapshot.

    Raises :class:`SubmissionError` with :data:`CHANGING` if the folder never
    holds still, or with the notebook's own problem (missing, too large...).
    """
    names = (TIMESTAMP_FILE, notebook)
    for attempt in range(attempts):
        before = _state(folder, names)
        claimed = _read_claimed(folder / TIMESTAMP_FILE)
        try:
            data, info = read_submitted_file(folder / notebook)
            problem = None
        except SubmissionError as err:
            data, info, problem = b"", None, err
        after = _state(folder, names)
        newest = max((entry[3] for entry in after if entry is not None), default=0)
        quiet = time.time_ns() - newest >= settle * 1e9
        if before == after and quiet:
            if problem is not None:
                raise problem
            return Snapshot(data, hashlib.sha256(data).hexdigest(), claimed, _utc(info.st_ctime_ns))
        if attempt < attempts - 1:
            time.sleep(settle)
    raise SubmissionError(CHANGING)
