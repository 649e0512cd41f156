"""The learner's self-check and the sandboxed grader agree.

Every alternative and wrong answer of every grading.yml, every mistake of
exercises.yml, and subtle wrong answers written here (the ones readers of
lesson 1 met: sorting in place, counting labels regardless of order,
comparing with ``is``...) get the same verdict from ``q.check()`` in the
learner's kernel (correct or not) and from the real grader in its bubblewrap
sandbox (full marks or not). A self-check that says "Correct!" to an answer
the grader rejects is a lie to the learner; the reverse is a lie too.
"""

from __future__ import annotations

import nbformat
import pytest

from jisr.autograder import sandbox
from jisr.autograder.grade import grade_program
from jisr.autograder.submission import build_program
from jisr.exercises import Outcome, evaluate
from jisr.render import render, strip_solutions
from jisr.source import LessonSource, find_lessons

pytestmark = pytest.mark.slow
LIMITS = sandbox.Limits(cpu_seconds=60, wall_seconds=90, memory_mb=2048)

SUBTLE_ACCURACY = {
    # finding 2: it mutates the caller's lists (0.933 instead of 0.867 on the lesson's data)
    "sorts-in-place": """
def accuracy(y_true, y_pred):
    y_true.sort()
    y_pred.sort()
    return sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true)
""",
    "sorted-copies": """
def accuracy(y_true, y_pred):
    pairs = zip(sorted(y_true), sorted(y_pred))
    return sum(t == p for t, p in pairs) / len(y_true)
""",
    "counter-intersection": """
from collections import Counter

def accuracy(y_true, y_pred):
    common = Counter(y_true) & Counter(y_pred)
    return sum(common.values()) / len(y_true)
""",
    "compares-with-is": """
def accuracy(y_true, y_pred):
    correct = 0
    for t, p in zip(y_true, y_pred):
        if t is p:
            correct = correct + 1
    return correct / len(y_true)
""",
    "return-in-loop": """
def accuracy(y_true, y_pred):
    correct = 0
    for t, p in zip(y_true, y_pred):
        if t == p:
            correct = correct + 1
        return correct / len(y_true)
""",
    "print-instead-of-return": """
def accuracy(y_true, y_pred):
    correct = sum(1 for t, p in zip(y_true, y_pred) if t == p)
    print(correct / len(y_true))
""",
    "rounded": """
def accuracy(y_true, y_pred):
    correct = sum(1 for t, p in zip(y_true, y_pred) if t == p)
    return round(correct / len(y_true), 3)
""",
    "right-value-but-empties-the-inputs": """
def accuracy(y_true, y_pred):
    result = sum(1 for t, p in zip(y_true, y_pred) if t == p) / len(y_true)
    y_pred.clear()
    return result
""",
    "set-of-labels": """
def accuracy(y_true, y_pred):
    return len(set(y_true) & set(y_pred)) / len(set(y_true) | set(y_pred))
""",
    # issue 8 (E6): scikit-learn refuses decimal labels (a hidden kind, shown by a probe)
    "sklearn-accuracy-score": """
from sklearn.metrics import accuracy_score

def accuracy(y_true, y_pred):
    return accuracy_score(y_true, y_pred)
""",
    # issue 8 (E6): "mejhoul" is not "Mejhoul"
    "lower-case-comparison": """
def accuracy(y_true, y_pred):
    same = [str(a).lower() == str(b).lower() for a, b in zip(y_true, y_pred)]
    return sum(same) / len(same)
""",
    "skips-the-last-pair": """
def accuracy(y_true, y_pred):
    correct = 0
    for i in range(len(y_true) - 1):
        if y_true[i] == y_pred[i]:
            correct += 1
    return correct / len(y_true)
""",
}

CORRECT_ACCURACY = {
    # correct and written in unusual ways: both sides must give full marks
    "sorts-copies-of-pairs": """
def accuracy(y_true, y_pred):
    pairs = sorted(zip(map(str, y_true), map(str, y_pred)))
    return sum(a == b for a, b in pairs) / len(pairs)
""",
    "while-loop": """
def accuracy(y_true, y_pred):
    i = correct = 0
    while i < len(y_true):
        correct += y_true[i] == y_pred[i]
        i += 1
    return correct / len(y_true)
""",
}


def graded_functions() -> list[tuple[LessonSource, str]]:
    return [(lesson, qid) for lesson in find_lessons() for qid, spec in lesson.exercises.items()
            if spec.get("graded") and spec.get("kind") == "function"]


def candidates(lesson: LessonSource, qid: str) -> list[tuple[str, str, bool]]:
    """(name, code, is it correct?) for every answer we know about."""
    grading = lesson.grading.get(qid, {})
    found = [(a["name"], a["code"], True) for a in grading.get("alternatives", [])]
    found += [(w["name"], w["code"], False) for w in grading.get("wrong_answers", [])]
    found += [(m["name"], m["code"], False) for m in lesson.exercises[qid].get("mistakes", [])]
    if lesson.exercises[qid]["target"] == "accuracy":
        found += [(name, code, False) for name, code in SUBTLE_ACCURACY.items()]
        found += [(name, code, True) for name, code in CORRECT_ACCURACY.items()]
    return found


def released(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student's copy: solutions and hidden tests cut out, as nbgrader releases it."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(source), as_version=4))
    for cell in nb.cells:
        cell.source = strip_solutions(cell.source)
        if "BEGIN HIDDEN TESTS" in cell.source:
            cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
    return nb


def grader_gives_full_marks(lesson: LessonSource, answers: dict[str, str]) -> dict[str, bool]:
    """Grade a submission whose answer cells hold ``answers`` (qid -> code) in the real sandbox."""
    source = render(lesson, "en", "nbgrader")
    nb = released(source)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        tagged = [t[7:] for t in cell.metadata.get("tags", []) if t.startswith("answer-")]  # a choice or number
        qid = grade_id[:-7] if grade_id.endswith("-answer") else (tagged[0] if tagged else "")
        if qid in answers:
            cell.source = answers[qid]
    grade = grade_program(build_program(source, nb), lesson, LIMITS)
    assert grade.status == "graded", grade.status
    return {v.qid: v.points == v.max_points for v in grade.verdicts}


def self_check_says_correct(spec: dict, code: str) -> bool:
    namespace: dict = {}
    exec(compile(code, "<answer>", "exec"), namespace)  # noqa: S102 - the answers above
    return evaluate(spec, namespace).outcome is Outcome.CORRECT


@pytest.fixture(scope="module", autouse=True)
def needs_sandbox() -> None:
    assert sandbox.available(), sandbox.unavailable_reason()


@pytest.mark.parametrize("lesson,qid", graded_functions(), ids=[f"{lesson.key}:{qid}" for lesson, qid in graded_functions()])
def test_self_check_and_grader_agree_on_every_known_answer(lesson: LessonSource, qid: str) -> None:
    spec = lesson.exercises[qid]
    disagreements, wrong_verdicts = [], []
    for name, code, correct in candidates(lesson, qid):
        by_check = self_check_says_correct(spec, code)
        by_grader = grader_gives_full_marks(lesson, {qid: code})[qid]
        if by_check != by_grader:
            disagreements.append(f"{name}: self-check {'correct' if by_check else 'not correct'}, grader {'full' if by_grader else 'not full'}")
        if by_grader != correct:
            wrong_verdicts.append(f"{name}: expected {'correct' if correct else 'wrong'}")
    assert not disagreements, disagreements
    assert not wrong_verdicts, wrong_verdicts


def test_finding_2_wrong_functions_are_told_they_are_wrong() -> None:
    """The three functions readers met are caught by the visible cases and probes alone."""
    for lesson, qid in graded_functions():
        if lesson.exercises[qid]["target"] != "accuracy":
            continue
        for name in ("sorts-in-place", "counter-intersection", "compares-with-is", "sklearn-accuracy-score", "lower-case-comparison"):
            assert not self_check_says_correct(lesson.exercises[qid], SUBTLE_ACCURACY[name]), name
        return
    pytest.fail("no accuracy exercise found")


def test_graded_choice_and_number_are_graded_from_their_plain_value() -> None:
    lesson = next(lesson for lesson in find_lessons() if lesson.key == "fundamentals/what-is-ai")
    source = render(lesson, "en", "nbgrader")
    tests = {c.metadata["nbgrader"]["grade_id"]: c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert {"q1-tests", "q4-tests"} <= set(tests)
    assert all(tests[g].metadata["nbgrader"]["locked"] and tests[g].metadata["nbgrader"]["points"] == 1 for g in ("q1-tests", "q4-tests"))
    spec_q1, spec_q4 = lesson.exercises["q1"], lesson.exercises["q4"]
    answers_q1 = [f'answer_q1 = "{letter}"' for letter in spec_q1["options"]] + ["answer_q1 = ...", "answer_q1 = 'B '"]
    answers_q4 = ([f"answer_q4 = {spec_q4['expected']!r}", "answer_q4 = ...", "answer_q4 = 0,9", f"answer_q4 = '{spec_q4['expected']}'"]
                  + [f"answer_q4 = {d['value']!r}" for d in spec_q4.get("diagnoses", [])])
    # grade them in pairs so that every answer of the longer list meets one of the shorter
    for index in range(max(len(answers_q1), len(answers_q4))):
        a1, a2 = answers_q1[index % len(answers_q1)], answers_q4[index % len(answers_q4)]
        by_grader = grader_gives_full_marks(lesson, {"q1": a1, "q4": a2})
        assert by_grader["q1"] == self_check_says_correct(spec_q1, a1), a1
        assert by_grader["q4"] == self_check_says_correct(spec_q4, a2), a2
    verdicts = grader_gives_full_marks(lesson, {"q1": f'answer_q1 = "{spec_q1["answer"]}"', "q4": f"answer_q4 = {spec_q4['expected']!r}"})
    assert verdicts["q1"] and verdicts["q4"] and not verdicts["q5"]
    # every other graded choice: each option gets the same verdict from both
    for qid, spec in lesson.exercises.items():
        if spec.get("graded") and spec.get("kind") == "choice" and qid != "q1":
            for letter in spec["options"]:
                code = f'{spec["target"]} = "{letter}"'
                assert grader_gives_full_marks(lesson, {qid: code})[qid] == self_check_says_correct(spec, code) == (letter == spec["answer"]), code


def test_every_kind_of_hidden_input_is_shown_by_a_visible_case_or_probe() -> None:
    """Issue 8 (E6): labels of a type (or case) only hidden cases use let the self-check lie."""
    from jisr.exercises import function_cases, input_kinds

    for lesson, qid in graded_functions():
        hidden = input_kinds(lesson.grading.get(qid, {}).get("hidden_cases") or [])
        assert hidden <= input_kinds(function_cases(lesson.exercises[qid])), (lesson.key, qid)
