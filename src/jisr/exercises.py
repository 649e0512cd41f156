"""Exercises are data: one spec gives the learner's check and the teacher's grade.

A spec (``exercises.yml``) says *what* to evaluate (a variable or a function),
*on which inputs*, *compared how* and *with which feedback*. Checking ends in
one of a few named outcomes. The logic (:func:`evaluate`) returns an
:class:`Evaluation` made of :class:`~jisr.i18n.Message` objects; the view
(:class:`Feedback`) formats them in the learner's language.

Kinds of exercise:

``choice``
    a variable holding one letter; ``answer`` and per-option ``options`` feedback.
``number``
    a variable holding a number; ``expected``, ``tolerance`` and ``diagnoses``
    (values a plausible mistake gives, with a message for each).
``function``
    a function the learner writes; ``cases`` of ``args`` and ``expected``
    results, a ``tolerance``, and ``mistakes``: wrong implementations whose
    output, when the learner's matches it, explains what went wrong.

Values are compared only after conversion to plain Python numbers or strings,
so an object that claims to equal everything earns nothing.

Examples
--------
>>> spec = {"kind": "number", "target": "x", "expected": 0.9, "tolerance": 0.001}
>>> evaluate(spec, {"x": 0.9}).outcome
<Outcome.CORRECT: 'correct'>
>>> evaluate(spec, {"x": ...}).outcome
<Outcome.NOT_ATTEMPTED: 'not-attempted'>
>>> evaluate(spec, {"x": 90}).outcome
<Outcome.INCORRECT: 'incorrect'>
"""

from __future__ import annotations

import copy
import html
import math
import numbers
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .i18n import Message, N_, Translator
from .languages import LANGUAGES


class Outcome(str, Enum):
    """How a check ended."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not-attempted"
    UNCHECKABLE = "uncheckable"  # the spec itself is wrong: a bug for the authors


class SpecError(Exception):
    """An exercise spec is malformed."""


@dataclass
class Evaluation:
    """The verdict of one check and the messages that explain it."""

    outcome: Outcome
    messages: list[Message] = field(default_factory=list)
    passed: int = 0
    total: int = 0


class _NotANumber(Exception):
    pass


def as_number(value: Any) -> float:
    """Return ``value`` as a float if it is a real number (not a bool), else raise.

    >>> as_number(3)
    3.0
    >>> as_number(True)
    Traceback (most recent call last):
    ...
    jisr.exercises._NotANumber: bool
    """
    if isinstance(value, bool) or value is None:
        raise _NotANumber(type(value).__name__)
    shape = getattr(value, "shape", None)
    if shape == () and hasattr(value, "item"):  # a numpy scalar or 0-d array
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _NotANumber(type(value).__name__)
    number = float(value)  # type: ignore[arg-type]
    if type(number) is not float:
        raise _NotANumber(type(value).__name__)
    return number


def _close(a: float, b: float, tolerance: float) -> bool:
    return math.isfinite(a) and abs(a - b) <= tolerance


def _type_name(value: Any) -> str:
    return type(value).__name__


# --------------------------------------------------------------------------- evaluation


def evaluate(spec: dict[str, Any], namespace: dict[str, Any], cases: list[dict[str, Any]] | None = None,
             hidden: bool = False, qid: str = "q") -> Evaluation:
    """Check the learner's ``namespace`` against ``spec``.

    ``cases`` replaces the spec's visible cases (the grader passes hidden ones);
    with ``hidden=True`` messages never show inputs or expected values. ``qid``
    is the name the learner's notebook gives the exercise, for messages such as
    "run `q2.hint()`".
    """
    kind = spec.get("kind")
    target = spec.get("target")
    if kind not in _EVALUATORS or not isinstance(target, str):
        return Evaluation(Outcome.UNCHECKABLE, [Message(N_("This exercise cannot be checked: its definition is incomplete. Please tell the course authors."))])
    if target not in namespace:
        return Evaluation(Outcome.NOT_ATTEMPTED, [Message(N_("I cannot find `{name}`. Run the cell where you define it, then check again."), {"name": target})])
    value = namespace[target]
    if value is Ellipsis or value is None:
        return Evaluation(Outcome.NOT_ATTEMPTED, [Message(N_("You have not answered yet: replace the three dots after `{name} =` with your answer."), {"name": target})])
    return _EVALUATORS[kind](spec, value, cases, hidden, qid)


def _evaluate_choice(spec: dict[str, Any], value: Any, cases: Any, hidden: bool, qid: str) -> Evaluation:
    options: dict[str, str] = {str(k).lower(): v for k, v in spec["options"].items()}
    letters = ", ".join(f'"{k}"' for k in options)
    if not isinstance(value, str) or value.strip().lower() not in options:
        return Evaluation(Outcome.INCORRECT, [Message(N_("Write one of the letters {letters}, between quotes."), {"letters": letters})], 0, 1)
    choice = value.strip().lower()
    explanation = Message(options[choice])
    if choice == str(spec["answer"]).lower():
        return Evaluation(Outcome.CORRECT, [explanation], 1, 1)
    return Evaluation(Outcome.INCORRECT, [explanation, Message(N_("Look again at the other options."))], 0, 1)


def _evaluate_number(spec: dict[str, Any], value: Any, cases: Any, hidden: bool, qid: str) -> Evaluation:
    tolerance = float(spec.get("tolerance", 1e-9))
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        # `0,9` in Python is the pair (0, 9): a French or Arabic decimal comma
        return Evaluation(Outcome.INCORRECT, [Message(N_("It looks like you wrote a decimal comma. Python writes decimals with a dot: 0.9, not 0,9."))], 0, 1)
    if isinstance(value, str) and _parses_as_number(value):
        return Evaluation(Outcome.INCORRECT, [Message(N_("You wrote the number between quotes, so Python sees text, not a number. Remove the quotes: write {value}, not \"{value}\"."), {"value": value.strip()})], 0, 1)
    try:
        number = as_number(value)
    except _NotANumber as err:
        return Evaluation(Outcome.INCORRECT, [Message(N_("`{name}` should be a number, but it holds a value of type {type}."), {"name": spec["target"], "type": str(err)})], 0, 1)
    if _close(number, float(spec["expected"]), tolerance):
        return Evaluation(Outcome.CORRECT, [Message(N_("Correct!"))], 1, 1)
    for diagnosis in spec.get("diagnoses", []):
        if _close(number, float(diagnosis["value"]), float(diagnosis.get("tolerance", tolerance))):
            return Evaluation(Outcome.INCORRECT, [Message(diagnosis["message"])], 0, 1)
    return Evaluation(Outcome.INCORRECT, [Message(N_("Not yet: {value} is not the expected answer. A hint may help: run `{qid}.hint()`."), {"value": f"{number:g}", "qid": qid})], 0, 1)


def _parses_as_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _results_match(got: Any, expected: Any, tolerance: float) -> bool:
    if isinstance(expected, bool) or isinstance(expected, str):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, numbers.Real):
        try:
            return _close(as_number(got), float(expected), tolerance)
        except _NotANumber:
            return False
    if isinstance(expected, list):
        try:
            items = list(got)
        except TypeError:
            return False
        return len(items) == len(expected) and all(_results_match(g, e, tolerance) for g, e in zip(items, expected))
    raise SpecError(f"unsupported expected value {expected!r}")


def _call(function: Any, args: list[Any]) -> tuple[str, Any]:
    """Call the learner's function on a deep copy of ``args``; never let it raise."""
    try:
        return "ok", function(*copy.deepcopy(args))
    except NotImplementedError:
        return "not-implemented", None
    except Exception as err:  # the learner's code may raise anything
        return "error", f"{type(err).__name__}: {err}"


def _evaluate_function(spec: dict[str, Any], value: Any, cases: list[dict[str, Any]] | None, hidden: bool, qid: str) -> Evaluation:
    name = spec["target"]
    if not callable(value):
        return Evaluation(Outcome.INCORRECT, [Message(N_("`{name}` should be a function (written with `def`), but it holds a value of type {type}."), {"name": name, "type": _type_name(value)})], 0, 1)
    cases = spec.get("cases", []) if cases is None else cases
    tolerance = float(spec.get("tolerance", 1e-6))
    passed, failures = 0, []
    for case in cases:
        args = list(case["args"])
        status, got = _call(value, args)
        if status == "not-implemented":
            return Evaluation(Outcome.NOT_ATTEMPTED, [Message(N_("You have not written this function yet: replace `raise NotImplementedError()` with your code."))], 0, len(cases))
        if status == "ok" and _results_match(got, case["expected"], tolerance):
            passed += 1
            continue
        failures.append((case, status, got))
    if not failures:
        return Evaluation(Outcome.CORRECT, [Message(N_("Correct! Your function passed the test."), plural=N_("Correct! Your function passed all {n} tests."), n=passed, params={"n": passed})], passed, len(cases))
    case, status, got = failures[0]
    call = f"{name}({', '.join(repr(a) for a in case['args'])})"
    messages: list[Message] = []
    if status == "error":
        messages.append(Message(N_("Your function stopped with an error: {error}"), {"error": got}) if not hidden
                        else Message(N_("Your function stopped with an error on a hidden test.")))
    elif got is None:
        messages.append(Message(N_("Your function returns nothing (None). Did you forget `return`?")))
    else:
        diagnosis = _diagnose(spec, case, got, tolerance)
        if diagnosis is not None:
            messages.append(diagnosis)
        elif hidden:
            messages.append(Message(N_("Your function gives a wrong result on a hidden test. Try it on other inputs: several labels, a single prediction, all correct, all wrong.")))
        else:
            messages.append(Message(N_("For `{call}` your function returned {got}, but {expected} was expected."),
                                    {"call": call, "got": repr(got), "expected": repr(case["expected"])}))
    messages.append(Message(N_("{passed} test out of {total} passed."), plural=N_("{passed} tests out of {total} passed."), n=passed,
                            params={"passed": passed, "total": len(cases)}))
    return Evaluation(Outcome.INCORRECT, messages, passed, len(cases))


def _diagnose(spec: dict[str, Any], case: dict[str, Any], got: Any, tolerance: float) -> Message | None:
    """Match the learner's result against known wrong implementations."""
    for mistake in spec.get("mistakes", []):
        if "message" not in mistake:
            continue
        namespace: dict[str, Any] = {}
        exec(compile(mistake["code"], f"<mistake {mistake.get('name', '')}>", "exec"), namespace)  # noqa: S102 - course-authored code
        status, wrong = _call(namespace[spec["target"]], list(case["args"]))
        if status != "ok" or wrong is None:
            continue
        try:
            if _results_match(got, wrong, tolerance):
                return Message(mistake["message"])
        except SpecError:
            continue  # the mistake returns a kind of value we do not compare
    return None


_EVALUATORS = {"choice": _evaluate_choice, "number": _evaluate_number, "function": _evaluate_function}


# --------------------------------------------------------------------------- view

_TITLES = {
    Outcome.CORRECT: N_("Correct"),
    Outcome.INCORRECT: N_("Not yet"),
    Outcome.NOT_ATTEMPTED: N_("Not attempted yet"),
    Outcome.UNCHECKABLE: N_("Cannot check"),
}
_COLOURS = {Outcome.CORRECT: "#1a7f37", Outcome.INCORRECT: "#b35900", Outcome.NOT_ATTEMPTED: "#555", Outcome.UNCHECKABLE: "#b00020"}
_ICONS = {Outcome.CORRECT: "✔", Outcome.INCORRECT: "✘", Outcome.NOT_ATTEMPTED: "…", Outcome.UNCHECKABLE: "!"}


@dataclass
class Feedback:
    """What the learner sees: a title and messages, in the learner's language.

    Displayed as a coloured box in Jupyter and as plain text elsewhere.
    """

    outcome: Outcome
    lines: list[str]
    title: str
    language: str
    code: str | None = None

    @classmethod
    def make(cls, outcome: Outcome, messages: list[Message], translator: Translator, code: str | None = None,
             title: str | None = None) -> Feedback:
        return cls(outcome, [m.format(translator) for m in messages],
                   title or translator.gettext(_TITLES[outcome]), translator.language, code)

    @property
    def text(self) -> str:
        body = "\n".join(self.lines)
        if self.code:
            body += "\n\n" + self.code
        return f"{_ICONS[self.outcome]} {self.title}\n{body}"

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        direction = LANGUAGES[self.language].direction
        colour = _COLOURS[self.outcome]
        paragraphs = "".join(f"<p style='margin:.25em 0'>{_inline_code(line)}</p>" for line in self.lines)
        code = (f"<pre dir='ltr' style='text-align:left;background:#f6f8fa;padding:.5em'>{html.escape(self.code)}</pre>"
                if self.code else "")
        return (f"<div class='jisr-feedback jisr-{self.outcome.value}' lang='{self.language}' dir='{direction}' "
                f"style='border-inline-start:4px solid {colour};padding:.4em .8em;margin:.3em 0'>"
                f"<strong style='color:{colour}'>{_ICONS[self.outcome]} {html.escape(self.title)}</strong>"
                f"{paragraphs}{code}</div>")


def _inline_code(text: str) -> str:
    """Escape ``text`` and turn `backticks` into <code> kept left-to-right."""
    parts = html.escape(text).split("`")
    return "".join(f"<code dir='ltr'>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


# --------------------------------------------------------------------------- the learner's handle


class Exercise:
    """One exercise in a learner's notebook: ``check()``, ``hint()``, ``solution()``.

    The namespace checked is the notebook's (IPython's user namespace) unless
    one is passed explicitly.
    """

    def __init__(self, qid: str, spec: dict[str, Any], translator: Translator) -> None:
        self.qid = qid
        self.spec = spec
        self.translator = translator
        self._hints_shown = 0
        self.last: Evaluation | None = None

    def __repr__(self) -> str:
        return f"<Exercise {self.qid} ({self.spec.get('kind')})>"

    @staticmethod
    def _namespace(namespace: dict[str, Any] | None) -> dict[str, Any]:
        if namespace is not None:
            return namespace
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:  # pragma: no cover - IPython ships with the course
            shell = None
        if shell is None:
            import inspect

            frame = inspect.currentframe()
            assert frame is not None and frame.f_back is not None and frame.f_back.f_back is not None
            return frame.f_back.f_back.f_globals
        return shell.user_ns

    def _feedback(self, evaluation: Evaluation) -> Feedback:
        self.last = evaluation
        return Feedback.make(evaluation.outcome, evaluation.messages, self.translator)

    def check(self, namespace: dict[str, Any] | None = None) -> Feedback:
        """Check your answer and explain what is right or what to look at next."""
        return self._feedback(evaluate(self.spec, self._namespace(namespace), qid=self.qid))

    def assert_passes(self, cases: list[dict[str, Any]] | None = None, namespace: dict[str, Any] | None = None) -> Feedback:
        """Like :meth:`check`, but raise ``AssertionError`` unless correct (for graders).

        With ``cases`` (hidden tests), messages reveal neither inputs nor results.
        """
        evaluation = evaluate(self.spec, self._namespace(namespace), cases=cases, hidden=cases is not None, qid=self.qid)
        feedback = self._feedback(evaluation)
        if evaluation.outcome is not Outcome.CORRECT:
            raise AssertionError(feedback.text)
        return feedback

    def hint(self) -> Feedback:
        """Show the next hint; each call gives a bigger one."""
        hints = self.spec.get("hints", [])
        if self._hints_shown >= len(hints):
            last = (N_("That was the last hint. This exercise is graded, so its solution is not shown here: ask your teacher after the grading.")
                    if self.spec.get("graded") else N_("That was the last hint. Run `{qid}.solution()` to see the solution."))
            return Feedback.make(Outcome.NOT_ATTEMPTED, [Message(last, {"qid": self.qid})], self.translator,
                                 title=self.translator.gettext(N_("Hints")))
        self._hints_shown += 1
        title = Message(N_("Hint {i} of {n}"), {"i": self._hints_shown, "n": len(hints)}).format(self.translator)
        return Feedback.make(Outcome.NOT_ATTEMPTED, [Message(hints[self._hints_shown - 1])], self.translator, title=title)

    def solution(self) -> Feedback:
        """Show the solution and why it is right (self-check exercises only)."""
        if self.spec.get("graded"):
            return Feedback.make(Outcome.NOT_ATTEMPTED, [Message(N_("This exercise is graded, so its solution is not shown here. Use the hints, and ask your teacher after the grading."))],
                                 self.translator, title=self.translator.gettext(N_("Solution")))
        solution = self.spec.get("solution", {})
        messages = [Message(solution["explanation"])] if solution.get("explanation") else []
        return Feedback.make(Outcome.CORRECT, messages, self.translator, code=solution.get("code"),
                             title=self.translator.gettext(N_("Solution")))
