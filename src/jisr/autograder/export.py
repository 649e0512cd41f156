"""The gradebook as a CSV file, for an institute's records.

One row per student and assignment (students without a submission get an
empty score, as ``nbgrader export`` does), with the columns an institute's
spreadsheet needs. A value that a spreadsheet would read as a formula (it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written
with a leading apostrophe: a student's name can never run in the
secretary's spreadsheet.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "needs_manual_grade"]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rows(url: str, assignment: str | None = None) -> list[dict[str, str]]:
    """The gradebook's rows, by assignment then student."""
    from nbgrader.api import Gradebook, MissingEntry

    found: list[dict[str, str]] = []
    with Gradebook(url) as gradebook:
        assignments = [gradebook.find_assignment(assignment)] if assignment else gradebook.assignments
        students = sorted(gradebook.students, key=lambda s: s.id)
        for item in assignments:
            for student in students:
                row: dict[str, object] = {"assignment": item.name, "duedate": item.duedate, "student_id": student.id,
                                          "last_name": student.last_name, "first_name": student.first_name,
                                          "email": student.email}
                try:
                    submission = gradebook.find_submission(item.name, student.id)
                except MissingEntry:
                    row.update(max_score=item.max_score)
                else:
                    penalty = submission.late_submission_penalty or 0.0
                    row.update(timestamp=submission.timestamp, raw_score=submission.score,
                               late_submission_penalty=penalty, score=max(0.0, submission.score - penalty),
                               max_score=submission.max_score, needs_manual_grade=submission.needs_manual_grade)
                found.append({column: _cell(row.get(column)) for column in COLUMNS})
    return found


def write_csv(url: str, path: Path, assignment: str | None = None) -> int:
    """Write the CSV atomically (UTF-8 with a byte-order mark, so spreadsheets read Arabic names); return the rows written."""
    table = rows(url, assignment)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".grades-", suffix=".csv")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(table)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(table)
