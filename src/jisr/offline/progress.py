"""A self-learner's progress in the notebook folder, with no account and nothing sent.

When a self-check passes in a learner's notebook, :func:`record_passed` adds it to
``jisr-progress.json`` beside the notebook (the kernel's working folder):

    {"version": 1, "lessons": {"fundamentals/what-is-ai": {"passed": ["q1", "q3"]}}}

The file stays on the learner's device; deleting it forgets the progress.
Recording is best effort: a folder that cannot be written (read-only, full disk,
a grader's sandbox) never turns a check into an error. Only the standard library
is used, so a learner's notebook stays light.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

PROGRESS_FILE = "jisr-progress.json"
"""The file's name, in the notebook's folder."""

VERSION = 1


def read(folder: Path | None = None) -> dict[str, Any]:
    """The progress kept in ``folder`` (default: the working folder); empty when there is none or it is unreadable.

    >>> read(Path("/nonexistent-folder"))
    {'version': 1, 'lessons': {}}
    """
    path = (folder or Path.cwd()) / PROGRESS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": VERSION, "lessons": {}}
    if not isinstance(data, dict) or not isinstance(data.get("lessons"), dict):
        return {"version": VERSION, "lessons": {}}
    return data


def passed(lesson: str, folder: Path | None = None) -> list[str]:
    """The self-checks of ``lesson`` (``"<part>/<id>"``) passed in ``folder``, in the order they were first passed."""
    entry = read(folder)["lessons"].get(lesson, {})
    found = entry.get("passed", []) if isinstance(entry, dict) else []
    return [q for q in found if isinstance(q, str)]


def record_passed(lesson: str, qid: str, folder: Path | None = None) -> bool:
    """Add ``qid`` to the passed checks of ``lesson``; True when the file now says so.

    Never raises: progress is a convenience, a check's verdict must not depend on it.
    The file is replaced in one step (written beside, then renamed), so a crash
    never leaves half a file.
    """
    try:
        target = (folder or Path.cwd()) / PROGRESS_FILE
        data = read(target.parent)
        entry = data["lessons"].setdefault(lesson, {})
        if not isinstance(entry, dict):
            entry = data["lessons"][lesson] = {}
        done = [q for q in entry.get("passed", []) if isinstance(q, str)]
        if qid in done:
            return True
        entry["passed"] = done + [qid]
        data["version"] = VERSION
        handle, temporary = tempfile.mkstemp(prefix=".jisr-progress-", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, indent=1, sort_keys=True)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True
    except Exception:  # noqa: BLE001 - any failure only means "not recorded"
        return False
