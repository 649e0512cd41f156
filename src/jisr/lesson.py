"""The learner's side of a lesson: language, exercises and cost, from one call.

>>> lesson = start_lesson("fundamentals/what-is-ai", language="fr")
>>> lesson.tr("Length (cm)")
'Longueur (cm)'
>>> lesson.exercise("q1")
<Exercise q1 (choice)>
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import html

from .cost import ASSUMED_CPU_WATTS, CostMeter
from .exercises import Exercise
from .frugal import limit_threads
from .i18n import Message, N_, Translator, current_language
from .languages import LANGUAGES, validate
from .paths import courses_dir, package_locales_dir


class Lesson:
    """A running lesson: ``tr`` translates, ``exercise(id)`` gives a checkable exercise."""

    def __init__(self, key: str, language: str, folder: Path) -> None:
        self.key = key
        self.language = validate(language)
        self.folder = folder
        self.tr = Translator(language, [folder / "locales" / f"{language}.po", package_locales_dir() / f"{language}.po"])
        spec_path = folder / "exercises.yml"
        self._specs: dict[str, Any] = yaml.safe_load(spec_path.read_text(encoding="utf-8")) if spec_path.is_file() else {}
        self._exercises: dict[str, Exercise] = {}
        self.cost = CostMeter()

    def exercise(self, qid: str) -> Exercise:
        """The exercise ``qid`` of this lesson (the same object on every call)."""
        if qid not in self._specs:
            raise KeyError(f"lesson {self.key} has no exercise {qid!r}; it has {', '.join(self._specs)}")
        return self._exercises.setdefault(qid, Exercise(qid, self._specs[qid], self.tr))

    def cost_message(self) -> Message:
        f = self.cost.figures()
        return Message(
            N_("This notebook ran for {seconds:.1f} s ({cpu:.1f} s of processor time) and used at most {mb:.0f} MB of memory. "
               "At about {watts:.0f} W for a small laptop's processor, that is {wh:.3f} Wh of energy."),
            {"seconds": f["seconds"], "cpu": f["cpu_seconds"], "mb": f["peak_mb"], "wh": f["watt_hours"], "watts": ASSUMED_CPU_WATTS},
        )

    def cost_report(self) -> Note:
        """What the notebook has cost so far, in the learner's language."""
        return Note(self.cost_message().format(self.tr), self.language)


class Note:
    """A sentence shown in the learner's language and direction (HTML in Jupyter, text elsewhere)."""

    def __init__(self, text: str, language: str) -> None:
        self.text = text
        self.language = language

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        direction = LANGUAGES[self.language].direction
        return f"<p class='jisr-note' lang='{self.language}' dir='{direction}'>{html.escape(self.text)}</p>"


def start_lesson(key: str, language: str | None = None, threads: int = 1) -> Lesson:
    """Prepare a lesson notebook: language, one BLAS/torch thread, cost meter.

    ``language`` is found from the notebook's surroundings when not given
    (see :func:`jisr.i18n.current_language`).
    """
    limit_threads(threads)
    folder = courses_dir() / key
    if not (folder / "lesson.md").is_file():
        raise ValueError(f"no lesson {key!r} under {courses_dir()}")
    return Lesson(key, language or current_language(), folder)
