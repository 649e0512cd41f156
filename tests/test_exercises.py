"""Exercise logic: every exercise, every language, reference / blank / wrong / written differently."""

from __future__ import annotations

import pytest

from jisr.exercises import Exercise, Outcome, evaluate, mistake_message
from jisr.i18n import Translator
from jisr.languages import LANGUAGES
from jisr.render import lesson_translator, strip_solutions
from jisr.source import find_lessons

LESSONS = find_lessons()
CASES = [(lesson, qid) for lesson in LESSONS for qid in lesson.exercises]
IDS = [f"{lesson.key}:{qid}" for lesson, qid in CASES]


def run_code(code: str) -> dict:
    namespace: dict = {}
    exec(code, namespace)
    return namespace


def answer_cell(lesson, qid: str) -> str:
    for cell in lesson.notebook.cells:
        if f"answer-{qid}" in cell.metadata.get("tags", []):
            return cell.source
    raise AssertionError(f"no answer cell for {qid}")


def reference_namespace(lesson, qid: str) -> dict:
    spec = lesson.exercises[qid]
    if spec.get("solution", {}).get("code"):
        return run_code(spec["solution"]["code"])
    return run_code(answer_cell(lesson, qid))  # graded: the solution between nbgrader's markers


def all_cases(lesson, qid: str) -> list[dict] | None:
    spec = lesson.exercises[qid]
    if spec["kind"] != "function":
        return None
    return spec.get("cases", []) + lesson.grading.get(qid, {}).get("hidden_cases", [])


@pytest.mark.parametrize("lesson,qid", CASES, ids=IDS)
def test_reference_is_correct(lesson, qid: str) -> None:
    spec = lesson.exercises[qid]
    result = evaluate(spec, reference_namespace(lesson, qid), cases=all_cases(lesson, qid))
    assert result.outcome is Outcome.CORRECT, result.messages


@pytest.mark.parametrize("lesson,qid", CASES, ids=IDS)
def test_blank_is_not_attempted(lesson, qid: str) -> None:
    spec = lesson.exercises[qid]
    blank = strip_solutions(answer_cell(lesson, qid))
    assert evaluate(spec, run_code(blank)).outcome is Outcome.NOT_ATTEMPTED
    assert evaluate(spec, {}).outcome is Outcome.NOT_ATTEMPTED


@pytest.mark.parametrize("lesson,qid", CASES, ids=IDS)
def test_alternatives_are_correct(lesson, qid: str) -> None:
    for alternative in lesson.grading.get(qid, {}).get("alternatives", []):
        result = evaluate(lesson.exercises[qid], run_code(alternative["code"]), cases=all_cases(lesson, qid))
        assert result.outcome is Outcome.CORRECT, alternative["name"]


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("lesson,qid", CASES, ids=IDS)
def test_known_mistakes_get_their_own_feedback(lesson, qid: str, language: str) -> None:
    spec = lesson.exercises[qid]
    t = lesson_translator(lesson, language)
    for mistake in spec.get("mistakes", []):
        namespace = run_code(mistake["code"])
        result = evaluate(spec, namespace)
        assert result.outcome is Outcome.INCORRECT, mistake["name"]
        shown = [m.format(t) for m in result.messages]
        assert t(mistake_message(mistake)) in shown
    for diagnosis in spec.get("diagnoses", []):
        result = evaluate(spec, {spec["target"]: diagnosis["value"]})
        assert result.outcome is Outcome.INCORRECT
        assert t(diagnosis["message"]) in [m.format(t) for m in result.messages]
    for letter, explanation in spec.get("options", {}).items():
        result = evaluate(spec, {spec["target"]: letter.upper() + " "})
        assert t(explanation) in [m.format(t) for m in result.messages]
        assert (result.outcome is Outcome.CORRECT) == (letter == spec["answer"])


@pytest.mark.parametrize("lesson,qid", CASES, ids=IDS)
def test_wrong_answers_fail_the_hidden_tests(lesson, qid: str) -> None:
    grading = lesson.grading.get(qid, {})
    for wrong in grading.get("wrong_answers", []):
        result = evaluate(lesson.exercises[qid], run_code(wrong["code"]), cases=all_cases(lesson, qid), hidden=True)
        assert result.outcome is Outcome.INCORRECT, wrong["name"]


@pytest.mark.parametrize("lesson,qid", CASES, ids=IDS)
def test_hidden_feedback_reveals_nothing(lesson, qid: str) -> None:
    hidden = lesson.grading.get(qid, {}).get("hidden_cases", [])
    for wrong in lesson.grading.get(qid, {}).get("wrong_answers", []):
        result = evaluate(lesson.exercises[qid], run_code(wrong["code"]), cases=hidden, hidden=True)
        text = " ".join(m.format(Translator("en")) for m in result.messages)
        for case in hidden:
            assert repr(case["args"]) not in text and repr(case["expected"]) not in text


class AlwaysEqual(float):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


def test_objects_that_claim_equality_earn_nothing() -> None:
    spec = {"kind": "function", "target": "f", "cases": [{"args": [1], "expected": 0.5}]}

    class Liar:
        def __eq__(self, other: object) -> bool:
            return True

    assert evaluate(spec, {"f": lambda x: Liar()}).outcome is Outcome.INCORRECT
    assert evaluate(spec, {"f": lambda x: True}).outcome is Outcome.INCORRECT
    assert evaluate(spec, {"f": lambda x: AlwaysEqual(0.1)}).outcome is Outcome.INCORRECT
    assert evaluate(spec, {"f": lambda x: "0.5"}).outcome is Outcome.INCORRECT
    assert evaluate(spec, {"f": lambda x: float("nan")}).outcome is Outcome.INCORRECT


def test_a_raising_function_is_reported_not_raised() -> None:
    spec = {"kind": "function", "target": "f", "cases": [{"args": [[1, 2]], "expected": 0.5}]}
    result = evaluate(spec, {"f": lambda x: 1 / 0})
    assert result.outcome is Outcome.INCORRECT
    assert "ZeroDivisionError" in result.messages[0].format(Translator("en"))
    result = evaluate(spec, {"f": lambda x: x.append(3) or 0.5})  # a function that changes its input is told so
    assert result.outcome is Outcome.INCORRECT
    assert "changes the lists" in result.messages[0].format(Translator("en"))


def test_decimal_comma_gets_a_specific_message() -> None:
    spec = {"kind": "number", "target": "x", "expected": 0.9, "tolerance": 0.001}
    result = evaluate(spec, {"x": (0, 9)})
    assert result.outcome is Outcome.INCORRECT
    assert "dot" in result.messages[0].format(Translator("en"))


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_feedback_speaks_the_learners_language(language: str) -> None:
    lesson = LESSONS[0]
    t = lesson_translator(lesson, language)
    exercise = Exercise("q1", lesson.exercises["q1"], t)
    feedback = exercise.check({"answer_q1": ...})
    assert feedback.outcome is Outcome.NOT_ATTEMPTED
    html = feedback._repr_html_()
    assert f"dir='{LANGUAGES[language].direction}'" in html and f"lang='{language}'" in html
    english = Exercise("q1", lesson.exercises["q1"], Translator("en")).check({"answer_q1": ...})
    assert (feedback.text == english.text) == (language == "en")
    # the hint ladder: each call gives the next hint, then points to the solution
    hints = [exercise.hint().text for _ in lesson.exercises["q1"]["hints"]]
    assert len(set(hints)) == len(hints)
    assert "q1.solution()" in exercise.hint().text
    assert lesson.exercises["q1"]["solution"]["code"] in exercise.solution().text


def test_graded_solution_stays_hidden() -> None:
    lesson = LESSONS[0]
    graded = [q for q, s in lesson.exercises.items() if s.get("graded")]
    assert graded
    exercise = Exercise(graded[0], lesson.exercises[graded[0]], Translator("en"))
    assert exercise.solution().code is None
    for _ in range(5):
        text = exercise.hint().text
    assert "solution()" not in text


def test_assert_passes_raises_for_graders() -> None:
    spec = {"kind": "function", "target": "f", "cases": [{"args": [2], "expected": 4}]}
    exercise = Exercise("q", spec, Translator("fr"))
    exercise.assert_passes(namespace={"f": lambda x: x * 2})
    with pytest.raises(AssertionError):
        exercise.assert_passes(namespace={"f": lambda x: x + 3})
    with pytest.raises(AssertionError):
        exercise.assert_passes(cases=[{"args": [5], "expected": 10}], namespace={"f": lambda x: 4})


def test_number_between_quotes_gets_a_specific_message() -> None:
    spec = {"kind": "number", "target": "x", "expected": 0.9, "tolerance": 0.001}
    result = evaluate(spec, {"x": "0.9"}, qid="q2")
    assert result.outcome is Outcome.INCORRECT
    assert "quotes" in result.messages[0].format(Translator("en"))
    generic = evaluate(spec, {"x": 0.5}, qid="q2").messages[0].format(Translator("en"))
    assert "q2.hint()" in generic
