"""A whole class graded at once: real nbgrader course and gradebook, real sandbox.
Hostile and broken submissions get zero and a reason; the others are not disturbed."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jisr.autograder.sandbox import Limits
from jisr.autograder.batch import grade_assignment
from jisr.autograder.grade import STOPPED
from jisr.autograder.gradebook import gradebook_url
from jisr.nbgrader_course import make_course
from jisr.source import lesson_by_key

pytestmark = pytest.mark.slow
LESSON = lesson_by_key("fundamentals/what-is-ai")


@pytest.fixture(scope="module")
def course(classroom, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = classroom.copy(tmp_path_factory.mktemp("course") / "en")
    submit = functools.partial(classroom.submit, root, timestamp=None)  # copied in by hand: no timestamp.txt
    submit("amina", classroom.reference)
    submit("youssef")  # blank
    submit("salma", LESSON.grading["q5"]["wrong_answers"][0]["code"])
    submit("broken", raw=b'{"cells": [')  # 10: invalid JSON
    sql = ("import sqlite3, os\n"
           "for folder in ('..', '../..', '../../..', '/', '/tmp', os.path.expanduser('~')):\n"
           "    try:\n"
           "        db = sqlite3.connect(os.path.join(folder, 'gradebook.db'))\n"
           "        db.execute('UPDATE grade SET manual_score = 99')\n"
           "        db.commit()\n"
           "    except Exception:\n"
           "        pass\n")
    submit("sql", sql + classroom.reference)  # 27: SQL against the gradebook
    submit("looper", "while True:\n    pass\n")  # 20
    return root


def test_a_class_is_graded_and_nothing_is_lost(course: Path, classroom) -> None:
    seen = []
    outcomes = grade_assignment(course, "what-is-ai", workers=2, limits=Limits(cpu_seconds=20, wall_seconds=30, memory_mb=2048),
                                progress=lambda done, total, outcome: seen.append((done, total)))
    assert [d for d, _ in seen] == list(range(1, 7)) and {t for _, t in seen} == {6}
    by_student = {o.student: o for o in outcomes}
    assert by_student["broken"].error is not None and "JSON" in by_student["broken"].error.format(__import__("jisr.i18n", fromlist=["Translator"]).Translator("en"))
    scores = classroom.scores(gradebook_url(course))
    assert scores == {"amina": 3.0, "youssef": 0.0, "salma": 0.0, "broken": 0.0, "sql": 3.0, "looper": 0.0}
    # the student's SQL never reached the gradebook: it is not in the sandbox
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course)) as gradebook:
        assert all(g.manual_score is None for s in gradebook.assignment_submissions("what-is-ai") for n in s.notebooks for g in n.grades)

    # same submissions graded again: same result, no duplicate
    grade_assignment(course, "what-is-ai", workers=2, limits=Limits(cpu_seconds=20, wall_seconds=30, memory_mb=2048))
    assert classroom.scores(gradebook_url(course)) == scores


def test_the_cli_grades_and_speaks_french(course: Path, tool_env: dict[str, str]) -> None:
    env = {**tool_env, "JISR_LANG": "fr"}
    result = subprocess.run([sys.executable, "-m", "jisr.cli", "grade", str(course), "what-is-ai", "--workers", "2"],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "6/6" in result.stdout
    # amina answered the function only (3 points); the users' items are blank
    total = sum(float(s.get("points", 1)) for s in LESSON.exercises.values() if s.get("graded"))
    assert f"amina : 3 / {total:g}" in result.stdout  # French puts a space before the colon
    assert "copies rendues corrigées" in result.stdout


def test_a_crash_before_commit_leaves_the_gradebook_untouched(course: Path, classroom, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.orm import Session

    from jisr.autograder.batch import Outcome
    from jisr.autograder.grade import Grade, Verdict
    from jisr.autograder.gradebook import record

    url = gradebook_url(course)
    before = classroom.scores(url)
    outcome = Outcome("late-student", grade=Grade([Verdict("q5", 3.0, 3.0)]))

    def crash(self: Session) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(Session, "commit", crash)
    with pytest.raises(RuntimeError):
        record(url, "what-is-ai", outcome, {"q5": 3.0})
    monkeypatch.undo()
    assert classroom.scores(url) == before  # no half-written student or submission

    record(url, "what-is-ai", outcome, {"q5": 3.0})
    record(url, "what-is-ai", outcome, {"q5": 3.0})  # idempotent
    assert classroom.scores(url) == {**before, "late-student": 3.0}


def test_arabic_class_gets_arabic_feedback_without_hidden_tests(classroom, tmp_path: Path, tool_env: dict[str, str]) -> None:
    import json

    from jisr.i18n import Translator

    root = make_course("ar", tmp_path / "ar")
    subprocess.run(["nbgrader", "generate_assignment", "what-is-ai", "--force"], cwd=root, env=tool_env, check=True, capture_output=True)
    reference = next(c.source for c in nbformat.read(root / "source/what-is-ai/what-is-ai.ipynb", as_version=4).cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer")
    classroom.submit(root, "amina", reference)
    classroom.submit(root, "salma", "def accuracy(y_true, y_pred):\n    print('</pre><script>alert(1)</script>')\n    return 0.5\n")
    classroom.submit(root, "looper", "while True:\n    pass\n")
    grade_assignment(root, "what-is-ai", workers=2, limits=Limits(cpu_seconds=5, wall_seconds=8, memory_mb=2048))
    ar = Translator.for_package("ar")
    pages = {s: (root / "feedback" / s / "what-is-ai" / "what-is-ai.html").read_text(encoding="utf-8") for s in ("amina", "salma", "looper")}
    for page in pages.values():
        assert '<html lang="ar" dir="rtl">' in page and "<script>" not in page
        for case in LESSON.grading["q5"]["hidden_cases"]:
            for shown in (json.dumps(case["args"]), repr(case["args"]), json.dumps(case["args"][0]), repr(case["args"][0])):
                assert shown not in page
    assert ar("All tests passed.") in pages["amina"]
    assert "&lt;/pre&gt;&lt;script&gt;" in pages["salma"]
    assert ar(STOPPED["timeout"]).split("(")[0].strip() in pages["looper"]  # why, in Arabic words, not a status word
