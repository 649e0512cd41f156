"""Feedback pages: what the autograder tells each student, in the student's language.

One small HTML page per student and assignment, written where nbgrader's
``release_feedback`` looks for it (``feedback/<student>/<assignment>/``). The
page is self-contained (inline CSS, no script, no external request) so that it
opens on a phone on a slow connection, and it shows only what the student may
see: the score, the verdict messages, the student's own code and the notes
about the notebook. Hidden tests, expected values and reference solutions are
never read here, so they cannot leak.

Everything the student reads is a catalog message, formatted in
``outcome.language``; everything that comes from the student is escaped.

Examples
--------
>>> from jisr.autograder.batch import Outcome
>>> from jisr.autograder.grade import Grade, Verdict
>>> from jisr.source import lesson_by_key
>>> lesson = lesson_by_key("fundamentals/what-is-ai")
>>> verdict = Verdict("q3", 3.0, 3.0, [Message(N_("All tests passed."))])
>>> outcome = Outcome("amina", Grade([verdict]), answers={"q3-answer": "x = 1 < 2"}, language="fr")
>>> page = feedback_html(outcome, lesson, "what-is-ai")
>>> '<html lang="fr" dir="ltr">' in page, "Tous les tests sont réussis." in page, "x = 1 &lt; 2" in page
(True, True, True)
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import Message, N_, Translator
from ..languages import LANGUAGES, SOURCE_LANGUAGE
from ..render import lesson_translator
from ..source import LessonSource
from .grade import graded_points
from .safe import visible
from .submission import SubmissionError, read_submitted_file

if TYPE_CHECKING:  # batch.py may import this module: no import cycle at run time
    from .batch import Outcome
    from .grade import Verdict

FEEDBACK_DIRECTORY = "feedback"
"""nbgrader's ``CourseDirectory.feedback_directory`` (default layout ``feedback/{student_id}/{assignment_id}``)."""

SIDE_FILES = ("timestamp.txt", "submission_secret.txt")
"""Files nbgrader's ``release_feedback`` reads beside each page (it fails without them)."""

MAX_CODE_CHARS = 20_000
"""A longer answer is shown cut: the page stays light."""

FEEDBACK_ON = N_("Feedback on {assignment}")
BAD_NAME = N_("{name} cannot name a feedback folder: a name must not be empty, contain / or \\ or .., or start with a dot.")

_CSS = """
body{font-family:system-ui,"Noto Naskh Arabic","Noto Sans Arabic",Tahoma,sans-serif;line-height:1.5;
max-width:42rem;margin:0 auto;padding:1rem;color:#1d2733;background:#fff}
html[dir=rtl] body{text-align:right}
h1{font-size:1.4rem;margin:0 0 .25rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .25rem}
.score{font-size:1.25rem;font-weight:bold;padding:.75rem 1rem;border-radius:.5rem;background:#eef4fb}
.full{background:#e7f6ec}
.notice{border-inline-start:.3rem solid #d4a017;background:#fff8e1;padding:.5rem 1rem;border-radius:.25rem}
.error{border-inline-start-color:#c0392b;background:#fdecea}
.notice h2{margin-top:.5rem}
section.exercise{border-top:1px solid #d9dee4;margin-top:1rem}
pre{direction:ltr;text-align:left;white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f7f9;
border:1px solid #d9dee4;border-radius:.25rem;padding:.5rem;font-size:.9rem}
code,bdi{unicode-bidi:isolate}
footer{margin-top:2rem;font-size:.85rem;color:#4a5563}
"""


class FeedbackError(ValueError):
    """A feedback page cannot be written; ``str()`` gives the English, ``message`` any language."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.format(Translator(SOURCE_LANGUAGE)))
        self.message = message


# --------------------------------------------------------------------------- the page


def _number(value: float) -> str:
    """Points as a person writes them: ``3``, ``1.5``, never ``3.0``."""
    return f"{round(value, 2):g}"


def _param(value: object) -> object:
    """One parameter of a message, as HTML: text escaped, its control characters shown, and isolated.

    A grade id, a file name or an error text may come from the student: a
    right-to-left override (U+202E) in it is shown as ``\u202e`` and, being
    inside its own ``<bdi>``, could not reorder the sentence around it anyway.
    """
    if isinstance(value, str):
        return f"<bdi>{html.escape(visible(value))}</bdi>"
    return value


def _text(message: Message, t: Translator) -> str:
    """``message`` in the student's language, escaped, each parameter isolated; English if a translation is broken."""
    params = {key: _param(value) for key, value in message.params.items()}
    for translator in (t, Translator(SOURCE_LANGUAGE)):
        if message.plural is not None and message.n is not None:
            template = translator.ngettext(message.msgid, message.plural, message.n)
        else:
            template = translator.gettext(message.msgid)
        try:
            return html.escape(template).format(**params) if params else html.escape(template)
        except (KeyError, IndexError, ValueError):
            continue
    return html.escape(message.msgid)


def _isolated(msgid: str, t: Translator, tag: str = "bdi", **params: str) -> str:
    """``msgid`` translated, with each parameter in its own left-to-right ``<tag>``.

    Code and names then read correctly inside Arabic text; all of it is escaped.
    """
    template = t(msgid)
    values = {key: f'<{tag} dir="ltr">{html.escape(visible(value))}</{tag}>' for key, value in params.items()}
    try:
        return html.escape(template).format(**values)
    except (KeyError, IndexError, ValueError):
        return html.escape(msgid).format(**values)


def _exercise_number(qid: str) -> str:
    """``q3`` is "exercise 3" in the lesson's text."""
    match = re.fullmatch(r"q(\d+)", qid)
    return match.group(1) if match else qid


def _notes(messages: list[Message], t: Translator) -> str:
    """What was noticed about the notebook (moved cells, late time...), as one notice."""
    items = "".join(f"<li>{_text(m, t)}</li>" for m in messages)
    heading = html.escape(t(N_("Notes about your notebook")))
    return f'<section class="notice"><h2>{heading}</h2><ul>{items}</ul></section>' if items else ""


def _code(code: str, t: Translator) -> str:
    """The student's code, escaped, left to right whatever the page's direction."""
    cut = len(code) > MAX_CODE_CHARS
    shown = f'<pre dir="ltr"><code>{html.escape(code[:MAX_CODE_CHARS])}</code></pre>'
    return shown + (f"<p>{_text(Message(N_('Your code is long: only its beginning is shown here.')), t)}</p>" if cut else "")


def _exercise(verdict: Verdict, answer: str | None, t: Translator) -> str:
    """One graded exercise: its points, the verdict's messages, what to do next, the student's code."""
    name = Message(N_("Exercise {number}"), {"number": _exercise_number(verdict.qid)})
    points = Message(N_("Points: {points} out of {total}"), {"points": _number(verdict.points), "total": _number(verdict.max_points)})
    parts = [f"<h2>{_text(name, t)}</h2>", f"<p><strong>{_text(points, t)}</strong></p>"]
    parts += [f"<p>{_text(m, t)}</p>" for m in verdict.messages]
    if verdict.points < verdict.max_points:
        advice = N_("To find what is missing, run {check} in your notebook: it tests your answer on the examples you can see. Run {hint} for a hint.")
        parts.append(f"<p>{_isolated(advice, t, 'code', check=f'{verdict.qid}.check()', hint=f'{verdict.qid}.hint()')}</p>")
    if answer is not None:
        parts += [f"<h3>{html.escape(t(N_('Your code')))}</h3>", _code(answer, t)]
    return f'<section class="exercise">{"".join(parts)}</section>'


def _ungradable(error: Message | None, t: Translator) -> str:
    """Why the notebook has no grade, that the score is 0 for now, and what to do."""
    reason = f"<p>{_text(error, t)}</p>" if error else ""
    next_steps = [N_("Your score for this assignment is 0 for now. Nothing is lost: your teacher still has the notebook you submitted."),
            N_("What to do: read the reason above, correct your notebook, save it and submit it again. If the reason is not clear, show this page to your teacher.")]
    return (f'<section class="notice error"><h2>{html.escape(t(N_("We could not grade your notebook")))}</h2>{reason}'
            + "".join(f"<p>{html.escape(t(text))}</p>" for text in next_steps) + "</section>")


def _body(outcome: Outcome, lesson: LessonSource, t: Translator) -> list[str]:
    """The page's content, in reading order."""
    grade = None if outcome.error else outcome.grade
    total = grade.max_score if grade else sum(graded_points(lesson).values())
    score = grade.score if grade else 0.0
    full = score >= total > 0
    score_text = _text(Message(N_("Your score: {score} out of {total}"), {"score": _number(score), "total": _number(total)}), t)
    body = [f'<p class="score{" full" if full else ""}">{score_text}</p>']
    if grade is None:
        body.append(_ungradable(outcome.error, t))
    elif full:
        body.append(f"<p>{html.escape(t(N_('Well done: every exercise earned all its points.')))}</p>")
    body.append(_notes(outcome.problems, t))
    for verdict in grade.verdicts if grade else []:
        body.append(_exercise(verdict, outcome.answers.get(f"{verdict.qid}-answer"), t))
    if grade:
        body.append(f"<footer>{html.escape(t(N_('Some tests are hidden, as in an exam: this page says how many passed, not what they were. The examples in your notebook show what your code must do.')))}</footer>")
    return body


def feedback_html(outcome: Outcome, lesson: LessonSource, assignment: str) -> str:
    """The feedback page of one student's submission, in the student's language.

    Reads only ``lesson.meta`` (the title) and ``lesson.exercises`` (graded
    points); never ``lesson.grading``, the hidden side.
    """
    language = outcome.language if outcome.language in LANGUAGES else SOURCE_LANGUAGE
    t = lesson_translator(lesson, language)
    title = html.escape(t(lesson.meta["title"]))
    subtitle = _isolated(FEEDBACK_ON, t, assignment=assignment)
    student = f"{html.escape(t(N_('Student:')))} <bdi dir=\"ltr\">{html.escape(visible(outcome.student))}</bdi>"
    head = ('<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title} · {html.escape(visible(Message(FEEDBACK_ON, {'assignment': assignment}).format(t)))}</title><style>{_CSS}</style>")
    body = [f"<h1>{title}</h1>", f"<p>{subtitle}<br>{student}</p>", *_body(outcome, lesson, t)]
    return (f'<!DOCTYPE html>\n<html lang="{language}" dir="{LANGUAGES[language].direction}">\n<head>{head}</head>\n'
            f"<body>\n" + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")


# --------------------------------------------------------------------------- the file


def _safe_name(name: str) -> str:
    """``name`` if it can be one folder name under ``feedback/``, else raise :class:`FeedbackError`.

    >>> _safe_name("amina")
    'amina'
    >>> _safe_name("../amina")
    Traceback (most recent call last):
    ...
    jisr.autograder.feedback.FeedbackError: ../amina cannot name a feedback folder: a name must not be empty, contain / or \\ or .., or start with a dot.
    """
    if not name or name.startswith(".") or ".." in name or any(c in name for c in "/\\\0"):
        raise FeedbackError(Message(BAD_NAME, {"name": name}))
    return name


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: temp file beside it, fsync, rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # nbgrader's own feedback mode: release_feedback copies it for the student to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)


def _read_side_file(path: Path) -> bytes | None:
    """A small regular file of the submission (at most 4 KB), never following a link the student planted."""
    try:
        return read_submitted_file(path, max_bytes=4096)[0]
    except SubmissionError:
        return None


def _side_files(submitted: Path, outcome: Outcome) -> dict[str, bytes]:
    """``timestamp.txt`` (the time the grade records, if known) and ``submission_secret.txt``."""
    files = {name: data for name in SIDE_FILES if (data := _read_side_file(submitted / name)) is not None}
    if outcome.timestamp is not None:  # the trusted time, in nbgrader's format
        files["timestamp.txt"] = outcome.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC").encode()
    return files


def write_feedback(course: Path, assignment: str, outcome: Outcome, lesson: LessonSource) -> Path:
    """Write ``course/feedback/<student>/<assignment>/<assignment>.html`` and return its path.

    The notebook of an assignment is named after it, so the page is nbgrader's
    ``{notebook_id}.html``. ``timestamp.txt`` and ``submission_secret.txt``,
    which ``nbgrader release_feedback`` needs, are written beside it first
    (from the submission; the time is ``outcome.timestamp`` when known), and
    the page last: a crash or a full disk leaves the old page or the new one,
    never half of one.
    """
    root = Path(course) / FEEDBACK_DIRECTORY
    folder = root / _safe_name(outcome.student) / _safe_name(assignment)
    if not folder.resolve().is_relative_to(root.resolve()):  # a linked student folder
        raise FeedbackError(Message(BAD_NAME, {"name": outcome.student}))
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in _side_files(Path(course) / "submitted" / outcome.student / assignment, outcome).items():
        _write_atomic(folder / name, data)
    page = folder / f"{assignment}.html"
    _write_atomic(page, feedback_html(outcome, lesson, assignment).encode("utf-8"))
    return page
