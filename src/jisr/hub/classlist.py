"""The class list: one CSV row per person, as a teacher writes it in a spreadsheet.

Columns (a header row, any order; extra columns are ignored):

``username``  the login: lowercase letters, digits, ``-`` and ``_``, starting with a letter
``role``      ``teacher`` or ``student`` (also ``enseignant``/``élève``, ``أستاذ``/``تلميذ``)
``language``  ``ar``, ``fr`` or ``en``: the language of the interface and of the notebooks
``class``     optional: the class (one nbgrader course and gradebook each); default ``class``
``name``      optional: the full name, for the teacher's eyes only

>>> people = parse("username,role,language\\nsara,teacher,fr\\nyoussef,student,ar\\n")
>>> [(p.username, p.role, p.language, p.course) for p in people]
[('sara', 'teacher', 'fr', 'class'), ('youssef', 'student', 'ar', 'class')]
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..i18n import Message, N_
from ..languages import LANGUAGES

TEACHER, STUDENT = "teacher", "student"
ROLE_WORDS = {
    "teacher": TEACHER, "instructor": TEACHER, "enseignant": TEACHER, "enseignante": TEACHER,
    "professeur": TEACHER, "أستاذ": TEACHER, "أستاذة": TEACHER,
    "student": STUDENT, "learner": STUDENT, "élève": STUDENT, "eleve": STUDENT, "étudiant": STUDENT,
    "étudiante": STUDENT, "تلميذ": STUDENT, "تلميذة": STUDENT, "طالب": STUDENT, "طالبة": STUDENT,
}
# a Unix account name too (the spawner makes one per person): short, plain, never a system name's shape
NAME = re.compile(r"^[a-z][a-z0-9_-]{1,30}$")
COURSE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    language: str
    course: str = "class"
    name: str = ""

    @property
    def teaches(self) -> bool:
        return self.role == TEACHER


class ClassListError(ValueError):
    """The class list cannot be used; ``message`` says which row and why, in any language."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


def parse(text: str) -> list[Person]:
    """The people of a class list's text; raises :class:`ClassListError` on the first bad row."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))  # a spreadsheet's UTF-8 mark
    people: list[Person] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        username = row.get("username", "").lower()
        role = ROLE_WORDS.get(row.get("role", "").lower())
        language = row.get("language", "").lower()[:2]
        course = (row.get("class") or "class").lower()
        where = {"row": number, "value": ""}
        if not NAME.match(username):
            raise ClassListError(Message(N_("Class list, row {row}: the username {value} cannot be used. Use 2 to 31 lowercase letters, digits, - or _, starting with a letter."), {**where, "value": repr(username)}))
        if username in seen:
            raise ClassListError(Message(N_("Class list, row {row}: the username {value} is already on an earlier row. Give each person their own username."), {**where, "value": username}))
        if role is None:
            raise ClassListError(Message(N_("Class list, row {row}: the role {value} is unknown. Write teacher or student."), {**where, "value": repr(row.get("role", ""))}))
        if language not in LANGUAGES:
            raise ClassListError(Message(N_("Class list, row {row}: the language {value} is unknown. Write ar, fr or en."), {**where, "value": repr(row.get("language", ""))}))
        if not COURSE.match(course):
            raise ClassListError(Message(N_("Class list, row {row}: the class {value} cannot be used. Use lowercase letters, digits and -, starting with a letter."), {**where, "value": repr(course)}))
        seen.add(username)
        people.append(Person(username, role, language, course, row.get("name", "")))
    if not any(p.teaches for p in people):
        raise ClassListError(Message(N_("The class list has no teacher: add a row with the role teacher.")))
    return people


def read(path: Path) -> list[Person]:
    return parse(Path(path).read_text(encoding="utf-8"))
