"""The words and the lesson list that ``book/static/progress.js`` needs, per language.

The book writes :func:`progress_text_script` into each language's ``_static`` as
``progress-text.js``: a few hundred bytes that set ``window.JISR_PROGRESS_TEXT``.
Both scripts are deferred and may run in either order: whichever runs second starts
``progress.js``'s work (``window.JISR_PROGRESS_START``). The words come from the package catalogs like every other message,
so translators see them in ``src/jisr/locales/*.po``.

Progress itself never leaves the browser: ``progress.js`` keeps it in
``localStorage`` under :data:`STORAGE_KEY` and sends nothing anywhere. The self-checks
passed in the notebooks (``jisr-progress.json``, :mod:`jisr.offline.progress`) reach the
book only when the learner chooses that file on a page; it is read there, in the browser.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..i18n import N_, Translator

SCRIPT_NAME = "progress-text.js"
STORAGE_KEY = "jisr-progress-v1"

# the key progress.js reads -> the English message (translated when the page is built)
MESSAGES = {
    "title": N_("Your progress"),
    "started": N_("In progress"),
    "done": N_("Done"),
    "notStarted": N_("Not started yet"),
    "markDone": N_("Mark this lesson as done"),
    "markNotDone": N_("Mark this lesson as not done"),
    "forget": N_("Forget my progress on this device"),
    "confirmForget": N_("Forget which lessons you opened and finished? This cannot be undone."),
    "forgotten": N_("Your progress was forgotten."),
    "private": N_("Kept in this browser only: nothing is sent anywhere."),
    "summary": N_("Lessons done: {done} of {total}"),
    "lessonState": N_("This lesson: {state}"),
    "checks": N_("Self-checks passed: {passed} of {total}"),
    "importChecks": N_("Show the self-checks passed in your notebooks: choose the file jisr-progress.json of your notebook folder. It is read here and sent nowhere."),
    "importBad": N_("This is not a jisr-progress.json file of the course: nothing was changed."),
}


def progress_text(translator: Translator, lessons: list[str], checks: dict[str, list[str]] | None = None) -> dict[str, object]:
    """The translated words, the lesson keys (``"<part>/<id>"``) and each lesson's self-checks a page's script needs."""
    return {"storageKey": STORAGE_KEY, "lessons": lessons, "checks": checks or {},
            "text": {key: translator.gettext(message) for key, message in MESSAGES.items()}}


def progress_text_script(language: str, lessons: list[str] | None = None) -> str:
    """The content of ``progress-text.js`` for ``language``."""
    from ..source import find_lessons

    found = find_lessons()
    keys = lessons if lessons is not None else [lesson.key for lesson in found]
    checks = {lesson.key: list(lesson.exercises) for lesson in found if lesson.key in keys}
    data = json.dumps(progress_text(Translator.for_package(language), keys, checks), ensure_ascii=False, separators=(",", ":"))
    return f"window.JISR_PROGRESS_TEXT={data};window.JISR_PROGRESS_START&&window.JISR_PROGRESS_START();\n"


def write_progress_text(static: Path, language: str) -> Path:
    """Write ``progress-text.js`` into a language's ``_static`` folder (only when it changed)."""
    path = static / SCRIPT_NAME
    text = progress_text_script(language)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
