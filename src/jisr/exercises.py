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

Fields of a spec (``exercises.yml``; also in ``courses/README-exercises.md``)
----------------------------------------------------------------------------
``kind``, ``target``
    as above; ``target`` is the variable or function name the learner defines.
``graded: true``, ``points``
    graded by the sandboxed grader (any kind: choice and number too, from the
    plain value of ``target``); the learner never sees its solution.
``tracks: [users, designers, decision-makers]``
    the tracks the exercise counts for; shown with every check, in the
    notebook's language. ``jisr check`` refuses a ``function`` exercise that
    counts for ``users`` (that track never writes code).
``objectives: [id, ...]``
    ids of the lesson's objectives that this exercise practises; the lesson's
    front matter gives them as ``objective_ids:``, one per objective, in order.
    ``jisr check`` fails an objective that no exercise practises, and an
    unknown id.
``cases``
    visible cases: ``{args: [...], expected: ...}``; shown in feedback.
``probes``
    more visible cases, run by every check and by the grader, chosen to expose
    order, identity and mutation mistakes (lists in different orders, repeated
    labels, words of several letters so that ``is`` fails). Feedback on a probe
    shows its call, like a case. They live in exercises.yml: never hidden ones.
``mistakes``
    ``{name, code, message}``: a wrong implementation. Its message is shown only
    when the learner's outputs equal the mistake's on **every** case and probe.
    Well-known names have a built-in, translated message, so ``message`` may be
    left out: ``return-in-loop`` (give the code of the function with ``return``
    indented inside the loop). Detected with no spec at all: ``print`` instead
    of ``return`` (returns None and printed something), a rounded result (the
    expected values rounded), a function that changes its inputs (each call
    gets fresh copies, compared afterwards; the grader does the same), an
    error, a call running longer than ``time_limit`` seconds (default 5).
``hints``
    a ladder: idea, then narrower, then code with blanks (``___``). For a graded
    exercise no hint may contain a complete line of the solution: ``jisr
    check`` fails it.
``solution``
    ``{code, explanation}`` for self-check exercises only.

Numbers in prose a learner reads (cost report, sentences printed by lesson
code) go through :meth:`jisr.i18n.Translator.number` (``tr.number(x, 2)`` or
``lesson.num(x, 2)``): decimal comma in French and in Moroccan Arabic. Values
quoted from Python (a learner's answer, the ``repr`` of a result) stay as
Python writes them, since that is what the learner types.

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

import contextlib
import copy
import dis
import html
import io
import math
import numbers
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .i18n import Message, N_, Number, Translator
from .languages import LANGUAGES


class Outcome(str, Enum):
    """How a check ended."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not-attempted"
    NOT_RUN = "not-run"  # the cell that defines the answer failed: the old value is not judged
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
             hidden: bool = False, qid: str = "q", stub_raises: int | None = None) -> Evaluation:
    """Check the learner's ``namespace`` against ``spec``.

    ``cases`` replaces the spec's visible cases (the grader passes hidden ones);
    with ``hidden=True`` messages never show inputs or expected values. ``qid``
    is the name the learner's notebook gives the exercise, for messages such as
    "run `q2.hint()`". ``stub_raises`` is how many ``raise NotImplementedError()``
    the released starter of a function holds: a function with fewer was partly
    written, not left untouched.
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
    if kind == "function":
        return _evaluate_function(spec, value, cases, hidden, qid, stub_raises)
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
        if "," in value:
            # "0,9": the quotes go, and the comma becomes a point (0,9 without quotes is a pair)
            return Evaluation(Outcome.INCORRECT, [Message(N_("Remove the quotes and write the decimal with a point: `{number}`, not `\"{value}\"`."),
                                                          {"number": value.strip().replace(",", "."), "value": value.strip()})], 0, 1)
        return Evaluation(Outcome.INCORRECT, [Message(N_("You wrote the number between quotes, so Python sees text, not a number. Remove the quotes: write `{value}`, not `\"{value}\"`."), {"value": value.strip()})], 0, 1)
    try:
        number = as_number(value)
    except _NotANumber:
        return Evaluation(Outcome.INCORRECT, [_not_a_number(value)], 0, 1)
    if _close(number, float(spec["expected"]), tolerance):
        explanation = spec.get("correct") or spec.get("correct_message") or spec.get("explanation")
        return Evaluation(Outcome.CORRECT, [Message(explanation) if explanation else Message(N_("Correct!"))], 1, 1)
    for diagnosis in spec.get("diagnoses", []):
        if _close(number, float(diagnosis["value"]), float(diagnosis.get("tolerance", tolerance))):
            return Evaluation(Outcome.INCORRECT, [Message(diagnosis["message"])], 0, 1)
    if _rounded_to(number, float(spec["expected"])):
        return Evaluation(Outcome.INCORRECT, [Message(ROUNDED_NUMBER)], 0, 1)
    return Evaluation(Outcome.INCORRECT, [Message(N_("`{value}` is not the expected answer. A hint may help: run `{qid}.hint()`."), {"value": repr(value), "qid": qid})], 0, 1)


def _not_a_number(value: Any) -> Message:
    """Why a value is not a number, in words a non-programmer knows (no type names)."""
    if isinstance(value, bool):
        return Message(N_("You wrote True or False, which is not a number. Write a number, for example `0.25`."))
    if isinstance(value, str):
        return Message(N_("You wrote text between quotes. Write a number, without quotes, for example `0.25`."))
    return Message(N_("Your answer is not a number. Write a number, for example `0.25`."))


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


def fresh_copy(value: Any) -> Any:
    """A deep copy of plain data whose strings are new objects.

    Words are rebuilt at run time so that two equal words are two objects, as
    they are in real data: a function comparing with ``is`` instead of ``==``
    then fails here as it fails in the grader (one-letter strings are shared by
    Python itself, so probes use longer words).

    >>> a = fresh_copy(["Mejhoul", "Mejhoul"])
    >>> a == ["Mejhoul", "Mejhoul"], a[0] is a[1]
    (True, False)
    """
    kind = type(value)
    if kind is str:
        return "".join(list(value)) if len(value) > 1 else value
    if kind is list:
        return [fresh_copy(v) for v in value]
    if kind is tuple:
        return tuple(fresh_copy(v) for v in value)
    if kind is dict:
        return {k: fresh_copy(v) for k, v in value.items()}
    return copy.deepcopy(value)


def same_data(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` are the same plain data, type for type (no ``__eq__`` trusted).

    >>> same_data([1, "a"], [1, "a"]), same_data([1], [1.0]), same_data([[1, 2]], [[2, 1]])
    (True, False, False)
    """
    if type(a) is not type(b):
        return False
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same_data(a[k], b[k]) for k in a)
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    if a is None or type(a) in (str, int, float, bool):
        return bool(a == b)
    return False


class TimeLimit(BaseException):
    """Raised inside a learner's function that runs too long (a BaseException, so
    that ``except Exception`` in the learner's code does not swallow it)."""


DEFAULT_TIME_LIMIT = 5.0
"""Seconds one call of a learner's function may take before the check stops it."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[list[bool]]:
    """Stop the code inside after ``seconds`` by raising :class:`TimeLimit` in it.

    On Linux and macOS a timer signal (``setitimer``) interrupts the main
    thread, which is where a Jupyter kernel runs cells; it fires again every
    half second, so a bare ``except:`` in a loop cannot keep it out. Elsewhere
    (Windows) a timer thread interrupts the main thread as Ctrl+C would. The
    yielded list becomes ``[True]`` once the limit was hit.
    """
    fired: list[bool] = []
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield fired  # signals only reach the main thread: no limit elsewhere
        return
    armed = [True]
    if hasattr(signal, "setitimer"):
        tracer = sys.gettrace()

        def on_alarm(signum: int, frame: Any) -> None:
            if armed[0]:
                fired[:] = [True]
                _raise_at_every_line(frame, armed)
                raise TimeLimit()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
        try:
            yield fired
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            sys.settrace(tracer)
        return
    import _thread

    done = threading.Event()
    # interrupt_main() does nothing while Python does not handle SIGINT (a process started in
    # the background by a shell ignores it): handle it for the duration, as a kernel does
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int in (signal.SIG_IGN, signal.SIG_DFL, None):
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt() -> None:
        while not done.wait(seconds if not fired else 0.5):
            fired[:] = [True]
            _thread.interrupt_main()

    timer = threading.Thread(target=interrupt, daemon=True)
    timer.start()
    try:
        yield fired
    except KeyboardInterrupt:
        if not fired:
            raise  # the learner's own Ctrl+C or interrupt button
        raise TimeLimit() from None
    finally:
        done.set()
        timer.join()
        if previous_int in (signal.SIG_IGN, signal.SIG_DFL):
            signal.signal(signal.SIGINT, previous_int)


_OURS = {__file__, contextlib.__file__}


def _raise_at_every_line(frame: Any, armed: list[bool]) -> None:
    """Once the limit is hit, raise at every line of the learner's code.

    A loop around ``try: ... except: pass`` would swallow one interruption
    after another; raising again on the very next line (the ``except``
    clause's own included) gets out of any of them. Only the learner's
    frames are traced, never this module's, and only until the limit ends.
    """

    def stop(here: Any, event: str, arg: Any) -> Any:
        if armed[0] and event == "line" and here.f_code.co_filename not in _OURS:
            raise TimeLimit()
        return stop

    while frame is not None and frame.f_code.co_filename not in _OURS:
        frame.f_trace, frame.f_trace_lines = stop, True
        frame = frame.f_back
    sys.settrace(stop)


class _Tee(io.TextIOBase):
    """Record what the learner's function prints while still showing it."""

    def __init__(self, shown: Any) -> None:
        self.shown, self.kept = shown, io.StringIO()

    def write(self, text: str) -> int:
        self.kept.write(text)
        return self.shown.write(text)

    def flush(self) -> None:
        self.shown.flush()


@dataclass
class Run:
    """What one call of the learner's function did."""

    status: str  # ok, error, not-implemented, timeout
    value: Any = None
    error: str = ""
    changed: list[int] = field(default_factory=list)  # positions of the arguments it changed
    after: list[Any] = field(default_factory=list)  # the arguments after the call
    printed: str = ""


def run_case(function: Any, args: list[Any], seconds: float | None = DEFAULT_TIME_LIMIT) -> Run:
    """Call ``function`` on fresh copies of ``args``; never let it raise; note what it changed."""
    given = fresh_copy(list(args))
    tee = _Tee(sys.stdout)
    saved = sys.stdout
    run = Run("ok")
    try:
        sys.stdout = tee
        with time_limit(seconds) as fired:
            run.value = function(*given)
        if fired:
            run.status = "timeout"  # it swallowed the first interruptions
    except TimeLimit:
        run.status = "timeout"
    except NotImplementedError:
        run.status = "not-implemented"
    except Exception as err:  # the learner's code may raise anything
        run.status, run.error = "error", f"{type(err).__name__}: {err}"
    finally:
        sys.stdout = saved
    run.printed = tee.kept.getvalue()
    run.after = given
    run.changed = [i for i, (before, now) in enumerate(zip(args, given)) if not same_data(before, now)]
    return run


def case_passes(run: Run, expected: Any, tolerance: float) -> bool:
    """A case passes when the call returned the expected value and left its arguments alone."""
    if run.status != "ok" or run.changed:
        return False
    try:
        return _results_match(run.value, expected, tolerance)
    except SpecError:
        return False


def function_cases(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The cases every check runs: the visible ``cases``, then the ``probes``."""
    return list(spec.get("cases", [])) + list(spec.get("probes", []))


def input_kinds(cases: list[dict[str, Any]]) -> set[str]:
    """The kinds of input values ``cases`` use: type names of the items (``str``,
    ``int``, ``float``, ``NoneType``, ``bool``) and ``str-case`` when a case holds
    two words equal but for upper/lower case.

    A hidden case of a kind no visible case or probe shows lets the self-check say
    "correct" to a function the grader fails (``accuracy_score`` on decimals, a
    ``.lower()`` comparison): ``jisr check`` refuses it.

    >>> sorted(input_kinds([{"args": [["a", "A"], [1, None]]}]))
    ['NoneType', 'int', 'str', 'str-case']
    """
    kinds: set[str] = set()

    def walk(value: Any, words: set[str]) -> None:
        if isinstance(value, (list, tuple)):
            for item in value:
                walk(item, words)
            return
        kinds.add(type(value).__name__)
        if isinstance(value, str):
            words.add(value)

    for case in cases:
        words: set[str] = set()
        walk(list(case.get("args", [])), words)
        if len({w.lower() for w in words}) < len(words):
            kinds.add("str-case")
    return kinds


def _call_text(name: str, args: list[Any]) -> str:
    return f"{name}({', '.join(repr(a) for a in args)})"


def raises_not_implemented(function: Any) -> int:
    """How many times ``function``'s code names ``NotImplementedError`` (one per stub left).

    >>> def f(x):
    ...     for i in x:
    ...         raise NotImplementedError()
    ...     raise NotImplementedError()
    >>> raises_not_implemented(f)
    2
    """
    import dis

    def count(code: Any) -> int:
        found = sum(1 for ins in dis.get_instructions(code) if ins.argval == "NotImplementedError")
        return found + sum(count(c) for c in code.co_consts if hasattr(c, "co_code"))

    code = getattr(function, "__code__", None)
    return count(code) if code is not None else 0


LETTERS_ARE_TEXT = N_("Letters are text for Python: put your letter between quotes, like \"a\", not a.")


def _evaluate_function(spec: dict[str, Any], value: Any, cases: list[dict[str, Any]] | None, hidden: bool, qid: str,
                       stub_raises: int | None = None) -> Evaluation:
    name = spec["target"]
    if not callable(value):
        return Evaluation(Outcome.INCORRECT, [Message(N_("`{name}` should be a function (written with `def`), but it holds a value of type {type}."), {"name": name, "type": _type_name(value)})], 0, 1)
    cases = function_cases(spec) if cases is None else cases
    tolerance = float(spec.get("tolerance", 1e-6))
    seconds = float(spec.get("time_limit", DEFAULT_TIME_LIMIT))
    runs: list[Run] = []
    for case in cases:
        run = run_case(value, list(case["args"]), seconds)
        if run.status == "not-implemented":
            left = raises_not_implemented(value)
            if stub_raises is not None and 0 < left < stub_raises:
                # the learner replaced some of the starter's stubs, not all: started, not finished
                return Evaluation(Outcome.INCORRECT, [Message(N_("One `raise NotImplementedError()` is still in your function: replace it too with your code (the line after the loop)."))
                                                      if left == 1 else
                                                      Message(N_("{n} `raise NotImplementedError()` lines are still in your function: replace each of them with your code."), {"n": left})],
                                  0, len(cases))
            return Evaluation(Outcome.NOT_ATTEMPTED, [Message(N_("You have not written this function yet: replace `raise NotImplementedError()` with your code."))], 0, len(cases))
        if run.status == "timeout":
            # later cases would loop too: stop here, kindly
            return Evaluation(Outcome.INCORRECT, [Message(
                N_("I stopped your function after {seconds} seconds: it was still running. Look for a loop that never ends, for example a `while` whose condition stays true."),
                {"seconds": Number(seconds)})], 0, len(cases))
        runs.append(run)
    passed = sum(case_passes(run, case["expected"], tolerance) for run, case in zip(runs, cases))
    if passed == len(cases):
        if hidden:
            return Evaluation(Outcome.CORRECT, [Message(N_("Correct! Your function passed the test."), plural=N_("Correct! Your function passed all {n} tests."), n=passed, params={"n": passed})], passed, len(cases))
        # honest: the grader runs more tests than the learner sees
        return Evaluation(Outcome.CORRECT, [Message(N_("Your function passed the visible test."), plural=N_("Your function passed the {n} visible tests."), n=passed, params={"n": passed}),
                                            Message(N_("When your work is graded, more tests are run (hidden ones) on other data: make sure your function does not depend on the visible examples alone."))], passed, len(cases))
    messages = _explain(spec, cases, runs, hidden, tolerance, value)
    messages.append(Message(N_("{passed} test out of {total} passed."), plural=N_("{passed} tests out of {total} passed."), n=passed,
                            params={"passed": passed, "total": len(cases)}))
    return Evaluation(Outcome.INCORRECT, messages, passed, len(cases))


def _parameter_name(function: Any, position: int) -> str:
    """The name the learner gave the parameter at ``position`` (``y_true``), or its number."""
    import inspect

    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []
    return names[position] if position < len(names) else str(position + 1)


def _numbers(cases: list[dict[str, Any]], runs: list[Run]) -> list[tuple[float, float]] | None:
    """(got, expected) for every case, or None when a case does not expect a
    number or its result is not one: the number-only diagnoses then say nothing."""
    pairs = []
    for case, run in zip(cases, runs):
        expected = case["expected"]
        if isinstance(expected, bool) or not isinstance(expected, numbers.Real):
            return None
        try:
            pairs.append((as_number(run.value), float(expected)))
        except _NotANumber:
            return None
    return pairs


def _floor_divided(cases: list[dict[str, Any]], runs: list[Run]) -> bool:
    """Every result is the floor of the expected number, and some differ: `//` instead of `/`."""
    pairs = _numbers(cases, runs)
    if pairs is None or any(got != math.floor(expected + 1e-9) for got, expected in pairs):
        return False
    return any(abs(got - expected) > 1e-9 for got, expected in pairs)


FLOOR_DIVISION = N_("`//` divides and throws away the decimals; use `/`.")


# Python's own error text is English; the learner keeps it (it is what they would look up) and
# gets, for the errors beginners meet most, what it means in their language.
ERROR_MEANINGS = [
    ("ZeroDivisionError", "", N_("Python was asked to divide by zero. What do you divide by, and can it be 0 here (an empty list, a count that never grew)?")),
    ("TypeError", "has no len()", N_("`len()` counts the items of a list, and this value has none to count: `zip(...)` gives its pairs one at a time. Count with the length of one of the lists instead.")),
    ("TypeError", "", N_("An operation received a value of a kind it cannot use, such as text where a number is expected. Look at the values on the line the error names.")),
    ("NameError", "", N_("A name is used that Python does not know: check its spelling, and that it is defined before this line.")),
    ("IndexError", "", N_("A position goes past the end of a list: a list of n items has positions 0 to n − 1.")),
    ("KeyError", "", N_("A key was looked up that the dictionary does not hold.")),
    ("AttributeError", "", N_("A value was asked for something it does not have (a method or an attribute): check the name after the dot.")),
    ("UnboundLocalError", "", N_("A variable is used in the function before it is given a value: give it its starting value before the loop.")),
]


def explain_error(error: str) -> Message | None:
    """What a Python error means for a beginner, or None for one with no explanation.

    >>> explain_error("ZeroDivisionError: division by zero") is not None
    True
    >>> explain_error("MemoryError: ") is None
    True
    """
    kind, _, detail = error.partition(":")
    for name, clue, meaning in ERROR_MEANINGS:
        if kind.strip() == name and clue in detail:
            return Message(meaning)
    return None


def _explain(spec: dict[str, Any], cases: list[dict[str, Any]], runs: list[Run], hidden: bool, tolerance: float,
             function: Any = None) -> list[Message]:
    """What best explains the failures, most certain first: an error; a known
    mistake matched on every case; then, on its own line, changed inputs."""
    name = spec["target"]
    errors = [(case, run) for case, run in zip(cases, runs) if run.status == "error"]
    if errors:
        if hidden:
            return [Message(N_("Your function stopped with an error on a hidden test."))]
        error = errors[0][1].error
        mistake = _matching_mistake(spec, cases, runs, tolerance)  # the cause, when a known mistake fails the same way
        said = [Message(N_("Your function stopped with an error: {error}"), {"error": error})]
        explanation = explain_error(error)
        return ([mistake] if mistake else []) + said + ([explanation] if explanation and not mistake else [])
    messages = []
    mistake = _matching_mistake(spec, cases, runs, tolerance)
    if mistake is not None:
        messages.append(mistake)
    changed = [(case, run) for case, run in zip(cases, runs) if run.changed]
    if changed:
        case, run = changed[0]
        position = run.changed[0]
        messages.append(
            Message(N_("Your function changes the lists it is given. Other cells still need them as they were: use them without sorting, changing or emptying them."))
            if hidden else
            Message(N_("Your function changes the lists it is given: after `{call}`, your list `{parameter}` became `{after}`. Other cells still need them as they were: use them without sorting, changing or emptying them."),
                    {"call": _call_text(name, case["args"]), "parameter": _parameter_name(function, position), "after": repr(run.after[position])}))
    return messages or [_wrong_result(spec, cases, runs, hidden, tolerance, function)]


def _writes_floor_division(function: Any) -> bool:
    """True when the function's own code divides with `//` (read from its
    bytecode, nested code included), so the message never names a mistake the
    learner did not write. Anything that is not a plain function: False."""
    code = getattr(function, "__code__", None)
    pending = [code] if code is not None else []
    while pending:
        code = pending.pop()
        for instruction in dis.get_instructions(code):
            if instruction.opname == "BINARY_FLOOR_DIVIDE" or instruction.argrepr in ("//", "//="):
                return True
        pending.extend(const for const in code.co_consts if hasattr(const, "co_code"))
    return False


def _wrong_result(spec: dict[str, Any], cases: list[dict[str, Any]], runs: list[Run], hidden: bool, tolerance: float,
                  function: Any = None) -> Message:
    """Why the results are wrong when no known mistake explains them."""
    name = spec["target"]
    if all(run.value is None for run in runs):
        if any(run.printed.strip() for run in runs):
            return Message(N_("Your function prints its result but does not return it, so nothing comes back to the code that called it. Replace `print(...)` with `return ...`."))
        return Message(N_("Your function returns nothing (None). Did you forget `return`?"))
    if _rounded(cases, runs, tolerance):
        return Message(ROUNDED_FUNCTION)
    if _floor_divided(cases, runs) and _writes_floor_division(function):
        return Message(FLOOR_DIVISION)
    if hidden:
        return Message(N_("Your function gives a wrong result on a hidden test. Try it on other inputs: several labels, a single prediction, all correct, all wrong."))
    for case, run in zip(cases, runs):
        if not case_passes(run, case["expected"], tolerance):
            return Message(N_("For `{call}` your function returned {got}, but {expected} was expected."),
                           {"call": _call_text(name, case["args"]), "got": repr(run.value), "expected": repr(case["expected"])})
    raise AssertionError("unreachable: some case failed")


BUILTIN_MISTAKES = {
    "return-in-loop": N_("Your function stops at the first item: its `return` is inside the loop, so the loop never reaches the second item. Move `return` to the left, level with `for`, so that it runs after the loop has finished."),
}
"""Messages for mistakes every function exercise meets; a spec names one and gives its code."""

ROUNDED_FUNCTION = N_("Your result is rounded. Return the value as Python computes it, without `round()`: the check already allows for tiny differences.")
ROUNDED_NUMBER = N_("Your number looks rounded. Write the calculation itself so that Python keeps every decimal: the check already allows for tiny differences.")


def mistake_message(mistake: dict[str, Any]) -> str | None:
    """The message of a spec's mistake: its own, or the built-in one for a well-known name."""
    return mistake.get("message") or BUILTIN_MISTAKES.get(str(mistake.get("name", "")))


def _matching_mistake(spec: dict[str, Any], cases: list[dict[str, Any]], runs: list[Run], tolerance: float) -> Message | None:
    """The first mistake whose outputs equal the learner's on every case (never on some only).

    A case where the learner's function stopped with an error matches when the mistake
    stops with the same kind of error there: a `return` inside the loop or `is` for `==`
    often ends in a division by zero, and the learner should hear the cause, not only that.
    """
    if any(run.status not in ("ok", "error") for run in runs):
        return None
    for mistake in spec.get("mistakes", []):
        message = mistake_message(mistake)
        if message is None:
            continue
        namespace: dict[str, Any] = {}
        exec(compile(mistake["code"], f"<mistake {mistake.get('name', '')}>", "exec"), namespace)  # noqa: S102 - course-authored code
        wrong_function = namespace[spec["target"]]
        matches = True
        for case, run in zip(cases, runs):
            wrong = run_case(wrong_function, list(case["args"]), None)
            if run.status == "error":
                matches = wrong.status == "error" and _error_kind(wrong.error) == _error_kind(run.error)
            else:
                try:
                    matches = wrong.status == "ok" and wrong.value is not None and _results_match(run.value, wrong.value, tolerance)
                except SpecError:
                    matches = False  # the mistake returns a kind of value we do not compare
            if not matches:
                break
        if matches:
            return Message(message)
    return None


def _error_kind(error: str | None) -> str:
    return (error or "").partition(":")[0].strip()


def _rounded_to(value: float, expected: float) -> bool:
    """True when ``value`` is ``expected`` rounded to 1-6 decimals (and not ``expected`` itself)."""
    return any(abs(value - round(expected, k)) < 1e-9 for k in range(1, 7)) and abs(value - expected) > 1e-12


def _rounded(cases: list[dict[str, Any]], runs: list[Run], tolerance: float) -> bool:
    """Every wrong number is the expected one rounded: the learner rounded."""
    pairs = _numbers(cases, runs)
    if pairs is None:
        return False
    wrong = [(got, expected) for got, expected in pairs if not _close(got, expected, tolerance)]
    return bool(wrong) and all(_rounded_to(got, expected) for got, expected in wrong)


_EVALUATORS = {"choice": _evaluate_choice, "number": _evaluate_number, "function": _evaluate_function}


# --------------------------------------------------------------------------- view

_TITLES = {
    Outcome.CORRECT: N_("Correct"),
    Outcome.INCORRECT: N_("Not yet"),
    Outcome.NOT_ATTEMPTED: N_("Not attempted yet"),
    Outcome.NOT_RUN: N_("The cell did not run"),
    Outcome.UNCHECKABLE: N_("Cannot check"),
}
_COLOURS = {Outcome.CORRECT: "#1a7f37", Outcome.INCORRECT: "#b35900", Outcome.NOT_ATTEMPTED: "#555", Outcome.NOT_RUN: "#b35900", Outcome.UNCHECKABLE: "#b00020"}
_ICONS = {Outcome.CORRECT: "✔", Outcome.INCORRECT: "✘", Outcome.NOT_ATTEMPTED: "…", Outcome.NOT_RUN: "✘", Outcome.UNCHECKABLE: "!"}


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

TRACKS = {"users": N_("users"), "designers": N_("designers"), "decision-makers": N_("decision-makers")}
"""The course's tracks, as exercises name them in ``tracks:``, and their names for learners."""


def tracks_message(spec: dict[str, Any], translator: Translator) -> Message | None:
    """"Graded question — counts for the tracks: ..." (or "Practice question") in the learner's language, or None."""
    names = [translator.gettext(TRACKS[t]) for t in spec.get("tracks", []) if t in TRACKS]
    if not names:
        return None
    separator = "، " if translator.language == "ar" else ", "
    if spec.get("graded"):
        return Message(N_("Graded question — counts for the tracks: {tracks}."), {"tracks": separator.join(names)})
    return Message(N_("Practice question (not graded) — tracks: {tracks}."), {"tracks": separator.join(names)})


def defines(source: str, name: str) -> bool:
    """True when a cell's source assigns or defines ``name`` at its top level.

    Read with a pattern, not a parser, because a cell with a SyntaxError must count.

    >>> defines("def accuracy(a, b):\\n    return 1", "accuracy"), defines("x = accuracy(a, b)", "accuracy")
    (True, False)
    """
    pattern = rf"^(?:def[ \t]+{re.escape(name)}\b|{re.escape(name)}[ \t]*(?::[^=\n]*)?=(?!=))"
    return re.search(pattern, source, re.M) is not None


class CellWatch:
    """Which answers were last defined by a cell that failed to run.

    Attached to IPython's ``post_run_cell`` event by :func:`jisr.start_lesson`:
    after a cell that defines an exercise's target fails (a SyntaxError before it
    runs, or any error while it runs), checking that exercise says so instead of
    judging the value an older run left behind. A later cell that defines it
    and runs clears the mark.
    """

    def __init__(self, targets: set[str]) -> None:
        self.targets = set(targets)
        self.failed: set[str] = set()
        self.errors: dict[str, BaseException] = {}  # the error of each failed target's cell
        self.sources: dict[str, str] = {}  # the last cell that defined each target

    def before_cell(self, info: Any) -> None:
        """A cell that (re)defines a target is judged by its own run: a check
        called later in the same cell must not see an older cell's failure."""
        source = getattr(info, "raw_cell", None) or ""
        for target in self.targets:
            if defines(source, target):
                self.sources[target] = source
                self.failed.discard(target)
                self.errors.pop(target, None)

    def after_cell(self, result: Any) -> None:
        source = getattr(getattr(result, "info", None), "raw_cell", None) or ""
        error = result.error_before_exec or result.error_in_exec
        for target in self.targets:
            if defines(source, target):
                self.sources[target] = source
                if error is not None:
                    self.failed.add(target)
                    self.errors[target] = error
                else:
                    self.failed.discard(target)
                    self.errors.pop(target, None)

    def bare_letter(self, target: str) -> bool:
        """True when the last cell defining ``target`` gave it a letter without quotes (``= a``)."""
        source = self.sources.get(target, "")
        if not re.search(rf"^{re.escape(target)}[ \t]*=[ \t]*[A-Za-z][ \t]*(#.*)?$", source, re.M):
            return False
        return target not in self.failed or isinstance(self.errors.get(target), NameError)

    def attach(self, shell: Any) -> None:
        """Listen to ``shell``; a lesson started again replaces the previous watch."""
        for event in ("pre_run_cell", "post_run_cell"):
            for callback in list(shell.events.callbacks[event]):
                if isinstance(getattr(callback, "__self__", None), CellWatch):
                    shell.events.unregister(event, callback)
        shell.events.register("pre_run_cell", self.before_cell)
        shell.events.register("post_run_cell", self.after_cell)


class Exercise:
    """One exercise in a learner's notebook: ``check()``, ``hint()``, ``solution()``.

    The namespace checked is the notebook's (IPython's user namespace) unless
    one is passed explicitly.
    """

    def __init__(self, qid: str, spec: dict[str, Any], translator: Translator, watch: CellWatch | None = None,
                 stub_raises: int | None = None, lesson: str | None = None) -> None:
        self.qid = qid
        self.lesson = lesson  # "<part>/<id>": where a passed self-check is recorded (jisr.offline.progress)
        self.stub_raises = stub_raises  # `raise NotImplementedError()` lines of the released starter
        self.spec = spec
        self.translator = translator
        self.watch = watch
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
        namespace_given = namespace
        namespace = self._namespace(namespace)
        target = self.spec.get("target")
        letter_unquoted = (self.watch is not None and self.spec.get("kind") == "choice" and isinstance(target, str)
                           and (target in self.watch.failed or target not in namespace) and self.watch.bare_letter(target))
        if letter_unquoted:
            # `answer_q6 = a`: Python looked for a variable named a (NameError)
            evaluation = Evaluation(Outcome.INCORRECT, [Message(LETTERS_ARE_TEXT)], 0, 1)
        elif self.watch is not None and target in self.watch.failed:
            evaluation = Evaluation(Outcome.NOT_RUN, [Message(
                N_("The cell where you define `{name}` stopped with an error, so your answer as it is now has not run. "
                   "Fix the error (the last line of the red message says what it is), run that cell again, then check."),
                {"name": target})])
        else:
            evaluation = evaluate(self.spec, namespace, qid=self.qid, stub_raises=self.stub_raises)
        self.last = evaluation
        if evaluation.outcome is Outcome.CORRECT and namespace_given is None:
            self._record_progress()
        tracks = tracks_message(self.spec, self.translator)
        return Feedback.make(evaluation.outcome, evaluation.messages + ([tracks] if tracks else []), self.translator)

    def _record_progress(self) -> None:
        """Note the passed check in the notebook folder's jisr-progress.json (best effort, never raises).

        Only a learner's own notebook records: not a grader's sandbox, not a test passing a namespace.
        """
        import os

        if self.lesson is None or os.environ.get("JISR_GRADER"):
            return
        try:
            from IPython import get_ipython

            if get_ipython() is None:
                return
            from .offline.progress import record_passed

            record_passed(self.lesson, self.qid)
        except Exception:  # noqa: BLE001 - progress must never change a check's verdict
            pass

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
            last = (N_("That was the last hint. This question is graded, so its answer is not shown; if you study with a teacher, ask after the grading.")
                    if self.spec.get("graded") else N_("That was the last hint. Run `{qid}.solution()` to see the solution."))
            return Feedback.make(Outcome.NOT_ATTEMPTED, [Message(last, {"qid": self.qid})], self.translator,
                                 title=self.translator.gettext(N_("Hints")))
        self._hints_shown += 1
        title = Message(N_("Hint {i} of {n}"), {"i": self._hints_shown, "n": len(hints)}).format(self.translator)
        return Feedback.make(Outcome.NOT_ATTEMPTED, [Message(hints[self._hints_shown - 1])], self.translator, title=title)

    def solution(self) -> Feedback:
        """Show the solution and why it is right (self-check exercises only)."""
        if self.spec.get("graded"):
            return Feedback.make(Outcome.NOT_ATTEMPTED, [Message(N_("This question is graded, so its answer is not shown; if you study with a teacher, ask after the grading."))],
                                 self.translator, title=self.translator.gettext(N_("Solution")))
        solution = self.spec.get("solution", {})
        messages = [Message(solution["explanation"])] if solution.get("explanation") else []
        return Feedback.make(Outcome.CORRECT, messages, self.translator, code=solution.get("code"),
                             title=self.translator.gettext(N_("Solution")))
