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
from .exercises import CellWatch, Exercise
from .frugal import limit_threads
from .i18n import Message, N_, Translator, current_language
from .languages import LANGUAGES, validate
from .paths import courses_dir, package_locales_dir


class Lesson:
    """A running lesson: ``tr`` translates, ``exercise(id)`` gives a checkable exercise."""

    def __init__(self, key: str, language: str, folder: Path, shell: Any = None) -> None:
        self.key = key
        self.language = validate(language)
        self.folder = folder
        self.tr = Translator(language, [folder / "locales" / f"{language}.po", package_locales_dir() / f"{language}.po"])
        spec_path = folder / "exercises.yml"
        self._specs: dict[str, Any] = yaml.safe_load(spec_path.read_text(encoding="utf-8")) if spec_path.is_file() else {}
        self._exercises: dict[str, Exercise] = {}
        self.cost = CostMeter()
        # a check judges the answer as it is now: cells that fail to define an answer are remembered
        self.watch = CellWatch({spec["target"] for spec in self._specs.values() if isinstance(spec, dict) and "target" in spec})
        if shell is not None:
            self.watch.attach(shell)

    def exercise(self, qid: str) -> Exercise:
        """The exercise ``qid`` of this lesson (the same object on every call)."""
        if qid not in self._specs:
            raise UnknownExercise(Message(N_("This lesson has no exercise {qid}. Its exercises are: {qids}. Check the name between the quotes."),
                                          {"qid": repr(qid), "qids": ", ".join(self._specs)}), self.tr)
        if qid not in self._exercises:
            self._exercises[qid] = Exercise(qid, self._specs[qid], self.tr, self.watch, stub_raises=self._stub_raises(qid),
                                            lesson=self.key)
        return self._exercises[qid]

    def _stub_raises(self, qid: str) -> int | None:
        """How many solution regions the answer cell of ``qid`` has in lesson.md: each is one
        `raise NotImplementedError()` in the released starter (None when the source is absent)."""
        import re

        path = self.folder / "lesson.md"
        if not path.is_file():
            return None
        found = re.search(r"^:tags: \[[^\]]*\banswer-" + re.escape(qid) + r"\b[^\]]*\]\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)
        return found.group(1).count("### BEGIN SOLUTION") if found else None

    def num(self, value: float, digits: int | None = None) -> str:
        """``value`` written for this notebook's readers: ``lesson.num(0.8667, 2)`` is 0,87 in French.

        >>> Lesson("k", "fr", Path(".")).num(0.8667, 2)
        '0,87'
        """
        return self.tr.number(value, digits)

    def cost_message(self) -> Message:
        f = self.cost.figures()
        number = self.tr.number
        return Message(
            N_("This notebook ran for {seconds} s and used {cpu} s of processor time and at most {mb} MB of memory. "
               "At about {watts} W for a small laptop’s processor, those {cpu} s of processor time are {wh} Wh of energy."),
            {"seconds": number(f["seconds"], 1), "cpu": number(f["cpu_seconds"], 1), "mb": number(f["peak_mb"], 0),
             "wh": number(f["watt_hours"], 3), "watts": number(ASSUMED_CPU_WATTS, 0)},
        )

    def cost_report(self) -> Note:
        """What the notebook has cost so far, in the learner's language."""
        return Note(self.cost_message().format(self.tr), self.language)


class LessonNameError(Exception):
    """A name in a lesson's set-up code does not exist: said in the notebook's
    language, in a line or two, instead of a traceback."""

    def __init__(self, message: Message, translator: Translator) -> None:
        self.text = message.format(translator)
        super().__init__(self.text)

    def __str__(self) -> str:
        return self.text

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of the traceback
        return [f"✘ {self.text}"]


class UnknownLesson(LessonNameError, ValueError):
    """``start_lesson`` was given a lesson key that does not exist."""


class UnknownExercise(LessonNameError, KeyError):
    """``lesson.exercise`` was given an exercise id the lesson does not have."""


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


def _notebook() -> tuple[Any, dict[str, Any]]:
    """The IPython shell running this notebook (or None) and the notebook's namespace."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with the course
        shell = None
    if shell is not None:
        return shell, shell.user_ns
    import inspect

    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None  # start_lesson's caller
    return None, dict(caller.f_globals) if caller else {}


def start_lesson(key: str, language: str | None = None, threads: int = 1) -> Lesson:
    """Prepare a lesson notebook: language, one BLAS/torch thread, cost meter.

    ``language`` is found when not given: the notebook's own ``lang`` setting
    (its parameters cell), then its surroundings (see
    :func:`jisr.i18n.current_language`). In a Jupyter kernel the lesson also
    watches cells, so that a check never judges an answer whose cell failed.
    """
    limit_threads(threads)
    folder = courses_dir() / key
    if not (folder / "lesson.md").is_file():
        known = sorted(p.parent.relative_to(courses_dir()).as_posix() for p in courses_dir().glob("*/*/lesson.md"))
        raise UnknownLesson(Message(N_("There is no lesson {key}. Check the name between the quotes; the lessons are: {keys}."),
                                    {"key": repr(key), "keys": ", ".join(known)}),
                            Translator.for_package(validate(language or current_language(namespace=_notebook()[1]))))
    shell, namespace = _notebook()
    return Lesson(key, language or current_language(namespace=namespace), folder, shell)
