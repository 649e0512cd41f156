"""The gradebook as a CSV file, for an institute's records (or Moodle's gradebook).

One row per student and assignment (students without a submission get an
empty score, as ``nbgrader export`` does), with the columns an institute's
spreadsheet needs. A value that a spreadsheet would read as a formula (it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written
with a leading apostrophe: a student's name can never run in the
secretary's spreadsheet.

``moodle_rows`` writes the layout Moodle's "Import grades: CSV file" reads: one
row per student, a ``Username`` column to map users by (the hub's user name,
which the LTI login takes from Moodle), and one column per assignment with the
score in percent, so that "map to a new grade item" (out of 100) keeps it.
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


MOODLE_IDENTITY = ["Username", "Email address", "First name", "Surname"]


def moodle_column(assignment: str) -> str:
    return f"Jisr: {assignment} (%)"


def moodle_rows(url: str, assignment: str | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and rows for Moodle's grade import: a student per row, a percentage per assignment.

    A student with no submission gets an empty cell, which Moodle's import leaves alone
    (it never overwrites a grade with zero for work that was not handed in).
    """
    table = rows(url, assignment)
    names = list(dict.fromkeys(row["assignment"] for row in table))
    columns = MOODLE_IDENTITY + [moodle_column(name) for name in names]
    students: dict[str, dict[str, str]] = {}
    for row in table:
        student = students.setdefault(row["student_id"], {
            "Username": row["student_id"], "Email address": row["email"],
            "First name": row["first_name"], "Surname": row["last_name"]})
        score, most = row["score"], float(row["max_score"] or 0)
        student[moodle_column(row["assignment"])] = f"{100 * float(score) / most:.2f}" if score and most else ""
    return columns, list(students.values())


def _write_atomically(path: Path, columns: list[str], table: list[dict[str, str]], encoding: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".grades-", suffix=".csv")
    try:
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(table)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(url: str, path: Path, assignment: str | None = None, layout: str = "records") -> int:
    """Write the CSV atomically; return the rows written.

    ``records``: UTF-8 with a byte-order mark, so spreadsheets read Arabic names.
    ``moodle``: plain UTF-8, comma-separated, as Moodle's grade import expects.
    """
    if layout == "moodle":
        columns, table = moodle_rows(url, assignment)
        _write_atomically(path, columns, table, "utf-8")
    else:
        table = rows(url, assignment)
        _write_atomically(path, COLUMNS, table, "utf-8-sig")
    return len(table)
