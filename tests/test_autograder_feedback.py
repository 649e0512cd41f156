"""Feedback pages: in the student's language, escaped, light, and never a hidden test or a solution."""

from __future__ import annotations

import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from jisr.autograder.batch import Outcome
from jisr.autograder.feedback import FeedbackError, feedback_html, write_feedback
from jisr.autograder.grade import Grade, Verdict, stopped_message
from jisr.autograder.sandbox import Limits
from jisr.i18n import Message
from jisr.source import lesson_by_key

LESSON = lesson_by_key("fundamentals/what-is-ai")
ASSIGNMENT = "what-is-ai"
HOSTILE = ('def accuracy(y_true, y_pred):\n'
           '    """</pre><script>alert("hi")</script><img src=x onerror=alert(1)> & {name} {0}"""\n'
           '    return sum(a == b for a, b in zip(y_true, y_pred)) / len(y_pred) if y_pred else 0\n')
PASSED_5_OF_7 = Message("{passed} test out of {total} passed.", {"passed": 5, "total": 7},
                        plural="{passed} tests out of {total} passed.", n=5)
MOVED = Message("Some cells were moved; the lesson\u2019s order is used.")
BROKEN = Message("{name} is not a valid notebook: it is not valid JSON.", {"name": "<b>what-is-ai</b>.ipynb"})


def _partial(language: str = "en", student: str = "amina") -> Outcome:
    grade = Grade([Verdict("q5", 0.0, 3.0, [PASSED_5_OF_7])])
    return Outcome(student, grade=grade, problems=[MOVED], answers={"q5-answer": HOSTILE}, language=language)


def _full(language: str = "en", student: str = "amina") -> Outcome:
    grade = Grade([Verdict("q5", 3.0, 3.0, [Message("All tests passed.")])])
    return Outcome(student, grade=grade, answers={"q5-answer": HOSTILE}, language=language)


def _timeout(language: str = "en") -> Outcome:
    stopped = stopped_message("timeout", Limits())
    grade = Grade([Verdict("q5", 0.0, 3.0, [stopped])], status="timeout")
    return Outcome("salma", grade=grade, answers={"q5-answer": "while True:\n    pass\n"}, language=language)


def _broken(language: str = "en") -> Outcome:
    return Outcome("<script>x</script>", error=BROKEN, language=language)


OUTCOMES = [_partial, _full, _timeout, _broken]
LANGUAGES = ["en", "fr", "ar"]


class Page(HTMLParser):
    """A parsed page: its tags, attributes, visible text and the text of each ``<pre>``."""

    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.pres: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "pre":
            self.pres.append("")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "pre" in self.stack:
            self.pres[-1] += data

    def attrs(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def _page(outcome: Outcome) -> tuple[str, Page]:
    text = feedback_html(outcome, LESSON, ASSIGNMENT)
    page = Page(text)
    assert page.stack == [], f"unclosed tags: {page.stack}"
    return text, page


# --------------------------------------------------------------------------- languages


def test_english_page_says_score_verdicts_notes_and_code() -> None:
    text, page = _page(_partial("en"))
    assert text.startswith("<!DOCTYPE html>")
    assert page.attrs("html") == [{"lang": "en", "dir": "ltr"}]
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.attrs("meta")
    assert "What is AI? Your first model" in page.visible
    assert "what-is-ai" in page.visible and "amina" in page.visible
    assert "Your score: 0 out of 3" in page.visible
    assert "Exercise 5" in page.visible and "Points: 0 out of 3" in page.visible
    assert "5 tests out of 7 passed." in page.visible
    assert "q5.check()" in page.visible and "q5.hint()" in page.visible
    assert page.visible.count("Some cells were moved") == 1  # shown once
    assert page.pres == [HOSTILE]


def test_full_marks_are_congratulated() -> None:
    _, page = _page(_full("en"))
    assert "Your score: 3 out of 3" in page.visible
    assert "Well done" in page.visible and "All tests passed." in page.visible
    assert "q5.hint()" not in page.visible


def test_french_page_uses_the_catalogs() -> None:
    _, page = _page(_full("fr"))
    assert page.attrs("html") == [{"lang": "fr", "dir": "ltr"}]
    assert "Qu'est-ce que l'IA ? Votre premier modèle" in page.visible.replace("\u2019", "'")  # typographic apostrophes
    assert "Tous les tests sont réussis." in page.visible
    _, page = _page(_partial("fr"))
    assert "5 tests réussis sur 7." in page.visible
    assert "Des cellules ont été déplacées ; l'ordre de la leçon est utilisé." in page.visible.replace("\u2019", "'")


def test_arabic_page_is_right_to_left_with_code_left_to_right() -> None:
    text, page = _page(_full("ar"))
    assert page.attrs("html") == [{"lang": "ar", "dir": "rtl"}]
    assert "ما الذكاء الاصطناعي؟ نموذجك الأول" in page.visible
    assert "اجتازت دالتك الاختبارات كلها." in page.visible
    assert page.attrs("pre") and all(attrs.get("dir") == "ltr" for attrs in page.attrs("pre"))
    assert {"dir": "ltr"} in page.attrs("bdi")  # the student id; each message parameter is isolated too
    assert all(attrs.get("dir") in (None, "ltr") for attrs in page.attrs("bdi"))
    assert "html[dir=rtl] body{text-align:right}" in text
    assert page.pres == [HOSTILE]


def test_an_unknown_language_falls_back_to_english() -> None:
    _, page = _page(_full("xx"))
    assert page.attrs("html") == [{"lang": "en", "dir": "ltr"}]


# --------------------------------------------------------------------------- what must never show


def _representations(value: object) -> set[str]:
    forms = {repr(value), str(value), json.dumps(value), json.dumps(value, ensure_ascii=False)}
    return forms | {html.escape(form) for form in forms}


def _hidden_values() -> set[str]:
    values: set[str] = set()
    for exercise in LESSON.grading.values():
        for case in exercise.get("hidden_cases", []):
            values |= _representations(case["args"]) | _representations(case["expected"])
            for arg in case["args"]:
                values |= _representations(arg)
                values |= {item for item in arg if isinstance(item, str) and len(item) > 3}  # "Mejhoul"
    return values


def _solution_lines(shown_code: str) -> set[str]:
    """Lines of every correct solution the grader knows, except those the student wrote too."""
    code = []
    for cell in LESSON.notebook.cells:
        code += re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
    for qid, spec in LESSON.exercises.items():
        if spec.get("graded"):
            code.append(spec.get("solution", {}).get("code", ""))
            code += [alt["code"] for alt in LESSON.grading.get(qid, {}).get("alternatives", [])]
    lines = {line.strip() for block in code for line in block.splitlines()}
    return {line for line in lines if line and line not in shown_code}


def test_the_lesson_has_hidden_cases_and_a_reference_solution_to_protect() -> None:
    assert len(LESSON.grading["q5"]["hidden_cases"]) >= 5
    assert "return correct / len(y_true)" in _solution_lines("")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("make", OUTCOMES)
def test_no_hidden_case_nor_solution_in_any_page(make, language: str) -> None:
    outcome = make(language)
    text, _ = _page(outcome)
    leaked = {value for value in _hidden_values() if value in text}
    assert not leaked
    shown = "\n".join(outcome.answers.values())
    leaked = {line for line in _solution_lines(shown) if line in text or html.escape(line) in text}
    assert not leaked


# --------------------------------------------------------------------------- escaping, weight, no network


@pytest.mark.parametrize("language", LANGUAGES)
def test_student_code_and_ids_stay_inert_text(language: str) -> None:
    text, page = _page(_partial(language, student='<img src=x onerror="alert(1)">'))
    names = [name for name, _ in page.tags]
    assert "script" not in names and "img" not in names
    assert page.pres == [HOSTILE]
    assert '<img src=x onerror="alert(1)">' in page.visible


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("make", OUTCOMES)
def test_pages_are_light_and_make_no_request(make, language: str) -> None:
    text, page = _page(make(language))
    assert len(text.encode("utf-8")) < 20_000
    assert "http:" not in text and "https:" not in text and "//" not in text
    assert "url(" not in text and "@import" not in text
    assert not [attrs for _, attrs in page.tags if {"src", "href", "srcset", "action"} & attrs.keys()]
    assert "script" not in [name for name, _ in page.tags]


def test_very_long_code_is_cut() -> None:
    outcome = _full("en")
    outcome.answers["q5-answer"] = "x = 1\n" * 50_000
    text, page = _page(outcome)
    assert len(text) < 40_000 and "only its beginning is shown" in page.visible


# --------------------------------------------------------------------------- ungradable


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_ungradable_submission_shows_its_reason_and_a_zero(language: str) -> None:
    text, page = _page(_broken(language))
    assert "<b>what-is-ai</b>.ipynb" in page.visible  # the reason, escaped
    assert "<b>" not in text
    assert not page.pres  # no code, no exercises
    if language == "fr":
        assert "<b>what-is-ai</b>.ipynb n’est pas un notebook valide : ce n’est pas du JSON valide." in page.visible
    if language == "en":
        total = sum(float(s.get("points", 1)) for s in LESSON.exercises.values() if s.get("graded"))
        assert f"Your score: 0 out of {total:g}" in page.visible  # every graded item of the lesson counts
        assert "We could not grade your notebook" in page.visible
        assert "submit it again" in page.visible


def test_a_stopped_notebook_says_why() -> None:
    _, page = _page(_timeout("en"))
    assert "Your score: 0 out of 3" in page.visible and "Well done" not in page.visible
    assert "ran longer than the time allowed" in page.visible
    assert page.pres == ["while True:\n    pass\n"]


# --------------------------------------------------------------------------- the file


def test_written_where_nbgrader_releases_feedback(tmp_path: Path) -> None:
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
    from nbgrader.utils import notebook_hash

    submitted = tmp_path / "course" / "submitted" / "amina" / ASSIGNMENT
    submitted.mkdir(parents=True)
    (submitted / "timestamp.txt").write_text("2025-01-01 10:00:00.000000 UTC")
    (submitted / "submission_secret.txt").write_text("s3cret")
    path = write_feedback(tmp_path / "course", ASSIGNMENT, _partial("fr"), LESSON)

    coursedir = CourseDirectory(root=str(tmp_path / "course"), assignment_id=ASSIGNMENT, course_id="jisr")
    assert path == Path(coursedir.format_path(coursedir.feedback_directory, "amina", ASSIGNMENT)) / f"{ASSIGNMENT}.html"
    assert sorted(p.name for p in path.parent.iterdir()) == ["submission_secret.txt", "timestamp.txt", f"{ASSIGNMENT}.html"]
    assert path.stat().st_mode & 0o777 == 0o644  # readable by the student once released

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    ExchangeReleaseFeedback(coursedir=coursedir, root=str(exchange)).start()
    released = exchange / "jisr" / "feedback" / f"{notebook_hash(secret='s3cret', notebook_id=ASSIGNMENT)}.html"
    assert released.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_the_trusted_time_is_written_beside_the_page(tmp_path: Path) -> None:
    from datetime import datetime

    outcome = _partial()
    outcome.timestamp = datetime(2026, 11, 20, 9, 58, 1)
    submitted = tmp_path / "submitted" / "amina" / ASSIGNMENT
    submitted.mkdir(parents=True)
    (submitted / "timestamp.txt").write_text("2031-01-01 00:00:00 UTC")  # a claim the grader did not trust
    path = write_feedback(tmp_path, ASSIGNMENT, outcome, LESSON)
    assert (path.parent / "timestamp.txt").read_text() == "2026-11-20 09:58:01.000000 UTC"


def test_a_linked_side_file_is_not_followed(tmp_path: Path) -> None:
    submitted = tmp_path / "submitted" / "amina" / ASSIGNMENT
    submitted.mkdir(parents=True)
    (tmp_path / "private.txt").write_text("teacher's secret")
    (submitted / "submission_secret.txt").symlink_to(tmp_path / "private.txt")
    path = write_feedback(tmp_path, ASSIGNMENT, _partial(), LESSON)
    assert not (path.parent / "submission_secret.txt").exists()


def test_writing_again_replaces_whole_and_leaves_no_temp_file(tmp_path: Path) -> None:
    first = write_feedback(tmp_path, ASSIGNMENT, _partial(), LESSON)
    second = write_feedback(tmp_path, ASSIGNMENT, _full(), LESSON)
    assert first == second and "Well done" in second.read_text(encoding="utf-8")
    assert [p.name for p in second.parent.iterdir()] == [f"{ASSIGNMENT}.html"]


def test_a_full_disk_keeps_the_old_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_feedback(tmp_path, ASSIGNMENT, _partial(), LESSON)
    before = path.read_bytes()

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        write_feedback(tmp_path, ASSIGNMENT, _full(), LESSON)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [f"{ASSIGNMENT}.html"]


@pytest.mark.parametrize("student", ["../evil", "a/b", "..", ".hidden", "", "a\\b", "x..y", "nul\0"])
def test_a_student_id_cannot_leave_the_feedback_folder(tmp_path: Path, student: str) -> None:
    with pytest.raises(FeedbackError):
        write_feedback(tmp_path / "course", ASSIGNMENT, _partial(student=student), LESSON)
    assert not (tmp_path / "evil").exists()
    assert not list((tmp_path / "course").rglob("*.html")) if (tmp_path / "course").exists() else True


def test_an_assignment_name_cannot_leave_the_feedback_folder(tmp_path: Path) -> None:
    with pytest.raises(FeedbackError):
        write_feedback(tmp_path, "../../x", _partial(), LESSON)


def test_a_linked_student_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "feedback").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "feedback" / "amina").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FeedbackError):
        write_feedback(tmp_path, ASSIGNMENT, _partial(), LESSON)
    assert not list((tmp_path / "elsewhere").rglob("*.html"))


# --------------------------------------------------------------------------- what came from a student, what stopped a run


def test_a_stop_by_the_wall_clock_names_the_wall_clock_limit() -> None:
    limits = Limits()  # 30 s of processor time, 60 s of wall clock
    by_wall = stopped_message("timeout", limits, "wall")
    by_cpu = stopped_message("timeout", limits, "cpu")
    assert by_wall.params["seconds"] == limits.wall_seconds and "60 seconds allowed from start to finish" in by_wall.msgid.format(**by_wall.params)
    assert by_cpu.params["seconds"] == limits.cpu_seconds


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_override_in_a_grade_id_is_escaped_and_isolated(language: str) -> None:
    note = Message("The cell marked {cell} is not part of the lesson; it runs as your own code and earns no points.",
                   {"cell": "q9\u202e3/3 \x1b[2K<b>"})
    outcome = Outcome("amina\u202e", grade=Grade([Verdict("q5", 0.0, 3.0, [PASSED_5_OF_7])]), problems=[note],
                      language=language)
    page = feedback_html(outcome, LESSON, ASSIGNMENT)
    assert "\u202e" not in page and "\x1b" not in page
    assert "<bdi>q9\\u202e3/3 \\x1b[2K&lt;b&gt;</bdi>" in page
    assert "amina\\u202e" in page


def test_a_malformed_result_tells_the_student_kindly_and_the_teacher_the_detail() -> None:
    from jisr.autograder.grade import _malformed

    assert _malformed(b'{"cells": [], "calls": []}') == "'calls' is a list, not an object"
    assert _malformed(b'[1, 2]') == "results.json holds a list, not an object"
    assert _malformed(b'{"calls": {"q5": [1]}}') == "the results of 'q5' are not a list of objects"
    assert _malformed(b'{"calls": {"q5": [{"status": "ok", "value": 1}]}}') is None
