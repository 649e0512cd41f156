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


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_python_errors_are_explained_in_the_learners_language(language: str) -> None:
    # Python's error stays (it is what one looks up); what it means comes in the learner's language
    t = Translator.for_package(language)
    spec = {"kind": "function", "target": "f", "cases": [{"args": [[1, 2], [1, 3]], "expected": 0.5}]}
    counted_a_zip = evaluate(spec, {"f": lambda a, b: len(zip(a, b))})
    said = [m.format(t) for m in counted_a_zip.messages]
    assert "has no len()" in said[0] and "zip(...)" in said[1]
    by_zero = [m.format(t) for m in evaluate(spec, {"f": lambda a, b: 1 / 0}).messages]
    assert "ZeroDivisionError" in by_zero[0]
    assert (by_zero[1] == "Python was asked to divide by zero. What do you divide by, and can it be 0 here "
            "(an empty list, a count that never grew)?") == (language == "en")
    index = [m.format(t) for m in evaluate(spec, {"f": lambda a, b: [][5]}).messages]
    assert "IndexError" in index[0] and "0" in index[1]  # explained too


def test_a_known_mistake_that_ends_in_an_error_is_named_before_the_error() -> None:
    # return inside the loop often divides by a count still at 0: the learner hears the cause first
    spec = {"kind": "function", "target": "share", "cases": [{"args": [["a", "b", "a"], "a"], "expected": 2 / 3},
                                                            {"args": [["b", "a"], "a"], "expected": 0.5}],
            "mistakes": [{"name": "return-in-loop", "code": (
                "def share(items, wanted):\n    n = 0\n    for item in items:\n        if item == wanted:\n"
                "            n += 1\n        return n / (1 if item == wanted else 0)\n")}]}
    learner = ("def share(items, wanted):\n    n = 0\n    for item in items:\n        if item == wanted:\n"
               "            n += 1\n        return n / (1 if item == wanted else 0)\n")
    namespace: dict = {}
    exec(learner, namespace)
    result = evaluate(spec, {"share": namespace["share"]})
    said = [m.format(Translator("en")) for m in result.messages]
    assert result.outcome is Outcome.INCORRECT
    assert "`return` is inside the loop" in said[0] and "ZeroDivisionError" in said[1]
    # an error no mistake explains keeps Python's words and their meaning
    other = evaluate(spec, {"share": lambda items, wanted: 1 / 0})
    assert "ZeroDivisionError" in other.messages[0].format(Translator("en")) and len(other.messages) >= 2


def test_decimal_comma_gets_a_specific_message() -> None:
    spec = {"kind": "number", "target": "x", "expected": 0.9, "tolerance": 0.001}
    result = evaluate(spec, {"x": (0, 9)})
    assert result.outcome is Outcome.INCORRECT
    assert "dot" in result.messages[0].format(Translator("en"))


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_feedback_speaks_the_learners_language(language: str) -> None:
    lesson = LESSONS[0]
    t = lesson_translator(lesson, language)
    # q1 as a self-check (lesson 1's items are graded; other lessons have self-checks)
    spec = {k: v for k, v in lesson.exercises["q1"].items() if k != "graded"}
    exercise = Exercise("q1", spec, t)
    feedback = exercise.check({"answer_q1": ...})
    assert feedback.outcome is Outcome.NOT_ATTEMPTED
    html = feedback._repr_html_()
    assert f"dir='{LANGUAGES[language].direction}'" in html and f"lang='{language}'" in html
    english = Exercise("q1", spec, Translator("en")).check({"answer_q1": ...})
    assert (feedback.text == english.text) == (language == "en")
    # the hint ladder: each call gives the next hint, then points to the solution
    hints = [exercise.hint().text for _ in spec["hints"]]
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
    result = evaluate(spec, {"x": "0.9"}, qid="q4")
    assert result.outcome is Outcome.INCORRECT
    assert "quotes" in result.messages[0].format(Translator("en"))
    generic = evaluate(spec, {"x": 0.5}, qid="q4").messages[0].format(Translator("en"))
    assert "q4.hint()" in generic


# --------------------------------------------------------------------------- issue 8: checks that never lie

ACCURACY = {"kind": "function", "target": "accuracy", "tolerance": 1e-6,
            "cases": [{"args": [["a", "b", "a"], ["a", "b", "b"]], "expected": 0.6666666666666666}],
            "probes": [{"args": [["Mejhoul", "Boufeggous", "Mejhoul"], ["Boufeggous", "Mejhoul", "Mejhoul"]], "expected": 0.3333333333333333}]}


def verdict(spec: dict, code: str, language: str = "en") -> tuple[Outcome, str]:
    result = evaluate(spec, run_code(code))
    return result.outcome, " | ".join(m.format(Translator.for_package(language)) for m in result.messages)


def test_words_are_new_objects_so_is_fails_as_in_the_grader() -> None:
    outcome, _ = verdict(ACCURACY, "def accuracy(t, p):\n    return sum(a is b for a, b in zip(t, p)) / len(t)\n")
    assert outcome is Outcome.INCORRECT
    spec_without_probes = {**ACCURACY, "probes": []}  # one-letter strings are shared by Python itself
    assert verdict(spec_without_probes, "def accuracy(t, p):\n    return sum(a is b for a, b in zip(t, p)) / len(t)\n")[0] is Outcome.CORRECT


def test_a_function_that_sorts_its_inputs_in_place_is_told_kindly() -> None:
    code = "def accuracy(t, p):\n    t.sort()\n    p.sort()\n    return sum(a == b for a, b in zip(t, p)) / len(t)\n"
    outcome, text = verdict(ACCURACY, code)
    assert outcome is Outcome.INCORRECT
    assert "changes the lists it is given" in text and "your list `t` became `['a', 'a', 'b']`" in text
    # right result, but it empties a list: still not correct, and said so in every language
    code = "def accuracy(t, p):\n    r = sum(a == b for a, b in zip(t, p)) / len(t)\n    p.clear()\n    return r\n"
    for language in LANGUAGES:
        outcome, text = verdict(ACCURACY, code, language)
        assert outcome is Outcome.INCORRECT
        assert Translator.for_package(language).gettext("Your function changes the lists it is given: after `{call}`, your list `{parameter}` became `{after}`. Other cells still need them as they were: use them without sorting, changing or emptying them.").split("`")[0] in text


def test_probes_catch_what_the_cases_miss() -> None:
    counter = "from collections import Counter\ndef accuracy(t, p):\n    return sum((Counter(t) & Counter(p)).values()) / len(t)\n"
    assert verdict({**ACCURACY, "probes": []}, counter)[0] is Outcome.CORRECT
    outcome, text = verdict(ACCURACY, counter)
    assert outcome is Outcome.INCORRECT and "accuracy(['Mejhoul', 'Boufeggous', 'Mejhoul']" in text


def test_a_mistake_message_needs_a_match_on_every_case() -> None:
    """Finding 3: a `return` inside the loop was told "you return the error rate"."""
    spec = {**ACCURACY, "cases": [{"args": [[1, 0], [0, 0]], "expected": 0.5}, {"args": [[1, 1, 0], [1, 0, 0]], "expected": 0.6666666666666666}],
            "probes": [],
            "mistakes": [{"name": "error-rate", "code": "def accuracy(t, p):\n    return sum(a != b for a, b in zip(t, p)) / len(t)\n",
                          "message": "ERROR RATE"},
                         {"name": "return-in-loop", "code": "def accuracy(t, p):\n    c = 0\n    for a, b in zip(t, p):\n        if a == b:\n            c += 1\n        return c / len(t)\n"}]}
    loop = "def accuracy(t, p):\n    c = 0\n    for a, b in zip(t, p):\n        if a == b:\n            c = c + 1\n        return c / len(t)\n"
    # case 1: both the error rate and the early return give 0.5; case 2 tells them apart
    outcome, text = verdict(spec, loop)
    assert outcome is Outcome.INCORRECT and "ERROR RATE" not in text
    assert "its `return` is inside the loop" in text
    only_some = "def accuracy(t, p):\n    return 0.5\n"  # equals the error rate on case 1 only
    assert "ERROR RATE" not in verdict(spec, only_some)[1]


def test_print_instead_of_return_and_rounding_are_named() -> None:
    printed = "def accuracy(t, p):\n    print(sum(a == b for a, b in zip(t, p)) / len(t))\n"
    assert "Replace `print(...)` with `return ...`" in verdict(ACCURACY, printed)[1]
    silent = "def accuracy(t, p):\n    x = 1\n"
    assert "Did you forget `return`?" in verdict(ACCURACY, silent)[1]
    rounded = "def accuracy(t, p):\n    return round(sum(a == b for a, b in zip(t, p)) / len(t), 2)\n"
    outcome, text = verdict(ACCURACY, rounded)
    assert outcome is Outcome.INCORRECT and "without `round()`" in text
    number = {"kind": "number", "target": "x", "expected": 2 / 3, "tolerance": 1e-6}
    assert evaluate(number, {"x": 0.67}).messages[0].msgid.startswith("Your number looks rounded")
    assert not evaluate(number, {"x": 0.5}).messages[0].msgid.startswith("Your number looks rounded")


def test_a_function_that_never_ends_is_stopped_kindly() -> None:
    spec = {**ACCURACY, "time_limit": 0.3}
    for body in ("    while True:\n        pass\n",
                 "    while True:\n        try:\n            sum(range(1000))\n        except BaseException:\n            pass\n"):
        outcome, text = verdict(spec, "def accuracy(t, p):\n" + body)
        assert outcome is Outcome.INCORRECT and "I stopped your function after 0.3 seconds" in text
    assert verdict(ACCURACY, "def accuracy(t, p):\n    return sum(a == b for a, b in zip(t, p)) / len(t)\n")[0] is Outcome.CORRECT


def test_time_limit_in_a_thread_without_signals() -> None:
    """Off the main thread no signal can reach the code: the limit steps aside instead of failing."""
    import threading

    from jisr.exercises import time_limit

    seen = []
    thread = threading.Thread(target=lambda: seen.append(time_limit(0.1).__enter__()))
    thread.start()
    thread.join()
    assert seen == [[]]


def test_checks_say_which_tracks_they_count_for() -> None:
    for language in LANGUAGES:
        t = Translator.for_package(language)
        exercise = Exercise("q9", {"kind": "number", "target": "x", "expected": 1, "tracks": ["users", "decision-makers"]}, t)
        text = exercise.check({"x": 1}).text
        assert t.gettext("Practice question (not graded) — tracks: {tracks}.").split("{")[0] in text
        assert t.gettext("users") in text and t.gettext("decision-makers") in text
        # issue 8 (E3): a graded question says so, and that its answer stays hidden
        graded = Exercise("q9", {"kind": "number", "target": "x", "expected": 1, "graded": True, "tracks": ["users"], "hints": ["h"]}, t)
        assert t.gettext("Graded question — counts for the tracks: {tracks}.").split("{")[0] in graded.check({"x": 1}).text
        graded.hint()
        last = graded.hint().text
        assert t.gettext("That was the last hint. This question is graded, so its answer is not shown; if you study with a teacher, ask after the grading.") in last
        assert "solution()" not in last and "solution()" not in graded.solution().text


def test_every_lesson_exercise_names_its_tracks_and_objectives() -> None:
    from jisr.exercises import TRACKS

    for lesson in LESSONS:
        practised = {o for spec in lesson.exercises.values() for o in spec.get("objectives", [])}
        assert set(lesson.meta["objective_ids"]) == practised, lesson.key
        for qid, spec in lesson.exercises.items():
            assert spec.get("tracks") and set(spec["tracks"]) <= set(TRACKS), qid
            if spec.get("graded") and spec["kind"] == "function":
                assert "users" not in spec["tracks"], qid


def copied_lesson(tmp_path, edit_specs=None, edit_meta=None):
    """A copy of lesson 1 under tmp_path, with its specs or front matter changed."""
    import shutil

    import yaml

    from jisr.source import read_lesson

    original = next(lesson for lesson in LESSONS if lesson.key == "fundamentals/what-is-ai")
    folder = tmp_path / "fundamentals" / "what-is-ai"
    shutil.copytree(original.folder, folder)
    specs = yaml.safe_load((folder / "exercises.yml").read_text(encoding="utf-8"))
    if edit_specs:
        edit_specs(specs)
    (folder / "exercises.yml").write_text(yaml.safe_dump(specs, allow_unicode=True, sort_keys=False), encoding="utf-8")
    text = (folder / "lesson.md").read_text(encoding="utf-8")
    if edit_meta:
        text = edit_meta(text)
    (folder / "lesson.md").write_text(text, encoding="utf-8")
    return read_lesson(folder / "lesson.md")


def problems_of(lesson) -> list[str]:
    from jisr.check import _lesson_problems

    return [p.format(Translator("en")) for p in _lesson_problems(lesson)]


def test_jisr_check_accepts_the_lessons_as_they_are() -> None:
    for lesson in LESSONS:
        assert problems_of(lesson) == [], lesson.key


def test_jisr_check_refuses_a_last_hint_that_completes_a_graded_exercise(tmp_path) -> None:
    from jisr.check import solution_lines

    original = next(lesson for lesson in LESSONS if lesson.key == "fundamentals/what-is-ai")
    graded = next(qid for qid, spec in original.exercises.items() if spec.get("graded") and spec["kind"] == "function")
    line = next(line for line in solution_lines(original, graded) if line.startswith("return"))

    def leak(specs):
        specs[graded]["hints"][-1] += f" Then write `{line}`."

    found = problems_of(copied_lesson(tmp_path, leak))
    assert any("gives a complete line of its solution" in p and line in p for p in found), found


def test_jisr_check_refuses_an_objective_nobody_practises_and_code_for_users(tmp_path) -> None:
    def drop(specs):
        for spec in specs.values():
            spec["objectives"] = [o for o in spec.get("objectives", []) if o != "limits"]
        graded = next(qid for qid, spec in specs.items() if spec.get("graded") and spec["kind"] == "function")
        specs[graded]["tracks"] = ["users", "designers"]
        specs[graded]["objectives"] = specs[graded].get("objectives", []) + ["no-such-objective"]

    found = problems_of(copied_lesson(tmp_path, drop))
    assert any("(limits) is practised by no exercise" in p for p in found), found
    assert any("counts for the users’ track" in p for p in found), found
    assert any("names the objective no-such-objective" in p for p in found), found


def test_graded_exercises_show_no_solution_before_grading() -> None:
    from jisr.check import solution_lines
    from jisr.render import render

    for lesson in LESSONS:
        for qid, spec in lesson.exercises.items():
            if not spec.get("graded"):
                continue
            feedback = Exercise(qid, spec, Translator("en")).solution()
            assert feedback.code is None and "graded" in feedback.text
            lines = [line for line in solution_lines(lesson, qid) if len(line) > 12]
            for language in LANGUAGES:
                for target in ("book", "learner"):
                    code = "\n".join(c.source for c in render(lesson, language, target).cells if c.cell_type == "code")
                    assert not [line for line in lines if line in code], (qid, language, target)


def test_numbers_are_written_for_the_reader() -> None:
    from jisr.i18n import format_number

    assert format_number(0.8667, 3, "fr") == "0,867"
    assert format_number(0.8667, 3, "ar") == "0,867"  # Moroccan usage: digits 0-9, decimal comma
    assert format_number(0.8667, 3, "en") == "0.867"
    assert format_number(12.0, 2, "fr") == "12,00"
    assert format_number(1234.5, 1, "fr") == "1\u202f234,5"
    assert Translator.for_package("fr").number(4.7, 1) == "4,7"


def test_the_cost_report_writes_numbers_for_the_reader() -> None:
    import re

    import jisr

    for language, decimal in (("fr", ","), ("ar", ","), ("en", ".")):
        text = jisr.start_lesson("fundamentals/what-is-ai", language=language).cost_report().text
        numbers = re.findall(r"\d+[.,]\d+", text)
        assert numbers and all(decimal in n for n in numbers), text


def test_time_limit_without_timer_signals_as_on_windows(monkeypatch) -> None:
    """Windows has no SIGALRM: a timer thread interrupts the main thread instead."""
    import signal

    monkeypatch.delattr(signal, "setitimer")
    outcome, text = verdict({**ACCURACY, "time_limit": 0.3}, "def accuracy(t, p):\n    while True:\n        pass\n")
    assert outcome is Outcome.INCORRECT and "I stopped your function after 0.3 seconds" in text
    assert verdict(ACCURACY, "def accuracy(t, p):\n    return sum(a == b for a, b in zip(t, p)) / len(t)\n")[0] is Outcome.CORRECT


def test_time_limit_without_timer_signals_in_a_process_that_ignores_ctrl_c() -> None:
    """A process a shell started in the background ignores SIGINT: the timer thread's
    interrupt must still stop an endless function (it hung the suite in such a process)."""
    import signal
    import subprocess
    import sys

    script = (
        "import signal; del signal.setitimer\n"
        "from jisr.exercises import run_case\n"
        "def endless(t, p):\n    while True:\n        pass\n"
        "print(run_case(endless, [[1], [1]], seconds=0.3).status)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert done.stdout.strip() == "timeout", done.stderr[-2000:]


# --------------------------------------------------------------------------- issue 8, fix phase


class _Result:
    """What IPython's post_run_cell event passes: the cell's source and its error."""

    def __init__(self, source: str, error: BaseException | None = None) -> None:
        self.info = type("Info", (), {"raw_cell": source})()
        self.error_before_exec = None
        self.error_in_exec = error


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_letter_without_quotes_is_told_letters_are_text(language: str) -> None:
    """E1: `answer_q6 = a` raises NameError; the check says to put the letter between quotes."""
    from jisr.exercises import CellWatch

    t = Translator.for_package(language)
    watch = CellWatch({"answer_q6"})
    spec = {"kind": "choice", "target": "answer_q6", "answer": "b", "options": {"a": "A", "b": "B"}, "tracks": ["users"]}
    exercise = Exercise("q6", spec, t, watch)
    watch.after_cell(_Result("answer_q6 = a", NameError("name 'a' is not defined")))
    text = exercise.check({}).text
    message = t.gettext('Letters are text for Python: put your letter between quotes, like "a", not a.')
    assert message in text and "red message" not in text
    if language != "en":
        assert message != 'Letters are text for Python: put your letter between quotes, like "a", not a.'
    # another error in the same cell keeps the general message; quotes fix it
    watch.after_cell(_Result("answer_q6 = \"b\"\n1/0", ZeroDivisionError()))
    assert message not in exercise.check({}).text
    watch.after_cell(_Result('answer_q6 = "b"'))
    assert exercise.check({"answer_q6": "b"}).outcome is Outcome.CORRECT


def test_a_partly_written_function_is_not_called_untouched() -> None:
    """E2: one stub replaced, the other left: not "you have not written this function yet"."""
    lesson = next(lesson for lesson in LESSONS if lesson.key == "fundamentals/what-is-ai")
    spec = lesson.exercises["q5"]
    from jisr.lesson import Lesson

    stubs = Lesson(lesson.key, "en", lesson.folder)._stub_raises("q5")
    assert stubs == 2
    untouched = evaluate(spec, run_code(strip_solutions(answer_cell(lesson, "q5"))), stub_raises=stubs)
    assert untouched.outcome is Outcome.NOT_ATTEMPTED
    partial = run_code(
        "def accuracy(y_true, y_pred):\n    correct = 0\n    for true_label, predicted_label in zip(y_true, y_pred):\n"
        "        if true_label == predicted_label:\n            correct = correct + 1\n    raise NotImplementedError()\n")
    evaluation = evaluate(spec, partial, stub_raises=stubs)
    text = " ".join(m.format(Translator.for_package("en")) for m in evaluation.messages)
    assert evaluation.outcome is Outcome.INCORRECT
    assert "One `raise NotImplementedError()` is still in your function" in text and "not written" not in text


def test_number_type_messages_have_no_jargon() -> None:
    """E4: no "value of type str"; "0,9" between quotes gets the point, not the comma."""
    spec = {"kind": "number", "target": "x", "expected": 0.9, "tolerance": 0.001}
    en = Translator.for_package("en")

    def says(value) -> str:
        return " ".join(m.format(en) for m in evaluate(spec, {"x": value}).messages)

    assert "you wrote text between quotes" in says("zero").lower() and "type" not in says("zero")
    assert "True or False, which is not a number" in says(True)
    comma = says("0,9")
    assert "`0.9`" in comma and "point" in comma and "not 0,9" not in comma


def test_integer_division_is_named() -> None:
    """E4: `//` gives the floor of every expected ratio."""
    code = "def accuracy(t, p):\n    return sum(a == b for a, b in zip(t, p)) // len(t)\n"
    outcome, text = verdict(ACCURACY, code)
    assert outcome is Outcome.INCORRECT and "`//` divides and throws away the decimals; use `/`." in text


def test_a_number_exercise_explains_a_correct_answer() -> None:
    """E4/C8: a spec's `correct:` text replaces the bare "Correct!"."""
    spec = {"kind": "number", "target": "x", "expected": 0.9, "correct": "27 ÷ 30 = 0.9."}
    evaluation = evaluate(spec, {"x": 27 / 30})
    assert evaluation.outcome is Outcome.CORRECT and evaluation.messages[0].format(Translator.for_package("en")) == "27 ÷ 30 = 0.9."


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_headline_is_not_repeated_and_values_are_code(language: str) -> None:
    """E5: "✘ Not yet — Not yet: 0.09 …" said "Not yet" twice."""
    t = Translator.for_package(language)
    spec = {"kind": "number", "target": "x", "expected": 0.9, "tolerance": 0.001}
    text = Exercise("q4", spec, t).check({"x": 0.09}).text
    title = t.gettext("Not yet")
    assert text.count(title) == 1 and "`0.09`" in text


def test_a_correct_function_is_told_hidden_tests_follow() -> None:
    """E6: the self-check says how many visible tests passed and that more are run when graded."""
    outcome, text = verdict(ACCURACY, "def accuracy(t, p):\n    return sum(a == b for a, b in zip(t, p)) / len(t)\n")
    assert outcome is Outcome.CORRECT
    assert "visible tests" in text and "more tests are run (hidden ones)" in text


def test_hidden_kinds_not_shown_by_probes_fail_jisr_check() -> None:
    """E6: a hidden case with decimals and no visible one is refused by `jisr check`."""
    from jisr.exercises import input_kinds

    assert input_kinds([{"args": [[2.5, 300], [2.5, 301]]}]) == {"float", "int"}
    assert "str-case" in input_kinds([{"args": [["Mejhoul"], ["mejhoul"]]}])
    assert "str-case" not in input_kinds([{"args": [["Mejhoul"], ["Mejhoul"]]}])


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_lesson_number_success_explains_in_the_notebooks_language(language: str) -> None:
    """E4/C8: a number spec's `correct:` is in the catalogs and shown translated on success."""
    from jisr.source import spec_texts

    for lesson, qid in CASES:
        spec = lesson.exercises[qid]
        if spec.get("kind") != "number" or not spec.get("correct"):
            continue
        assert spec["correct"] in list(spec_texts(spec))
        t = lesson_translator(lesson, language)
        text = Exercise(qid, spec, t).check({spec["target"]: spec["expected"]}).text
        assert t(spec["correct"]) in text
        if language != "en":
            assert t(spec["correct"]) != spec["correct"]


def test_jisr_check_refuses_hidden_inputs_no_probe_shows(tmp_path) -> None:
    """E6: without the decimal probe, the hidden case with decimals is refused (scikit-learn's
    accuracy_score would pass the self-check and fail the grader)."""
    def drop(specs):
        graded = next(qid for qid, spec in specs.items() if spec.get("graded") and spec["kind"] == "function")
        specs[graded]["probes"] = [p for p in specs[graded].get("probes", [])
                                   if not any(isinstance(x, float) for arg in p["args"] for x in arg)]

    found = problems_of(copied_lesson(tmp_path, drop))
    assert any("use inputs no visible case or probe uses (float)" in p for p in found), found
    assert not any("no visible case or probe" in p for p in problems_of(copied_lesson(tmp_path / "intact", lambda specs: None)))


def test_jisr_check_refuses_a_graded_hint_pointing_to_the_solution(tmp_path) -> None:
    """E3: a graded question never shows its answer, so no hint may say "run qN.solution()"."""
    def point(specs):
        graded = next(qid for qid, spec in specs.items() if spec.get("graded") and spec["kind"] == "choice")
        specs[graded]["hints"] = [*specs[graded].get("hints", []), f"Run `{graded}.solution()` to see it."]

    found = problems_of(copied_lesson(tmp_path, point))
    assert any("points to `.solution()`" in p for p in found), found


def test_floor_division_is_named_only_when_written() -> None:
    """A function that returns the floors of the ratios without `//` (here it
    counts only one label) is not told about `//`, a mistake it did not make."""
    code = ("def accuracy(t, p):\n"
            "    both = [a == b == 'zz' for a, b in zip(t, p)]\n"
            "    return float(sum(both))\n")
    outcome, text = verdict(ACCURACY, code)
    assert outcome is Outcome.INCORRECT and "`//`" not in text


def test_a_check_in_the_cell_that_fixes_the_answer_judges_the_fix() -> None:
    """`answer_q1 = b` failed; then one cell holds `answer_q1 = "b"` and
    `q1.check()`: the check runs before that cell has ended and must judge the
    quoted answer, not the older failure."""
    from jisr.exercises import CellWatch

    watch = CellWatch({"answer_q1"})
    spec = {"kind": "choice", "target": "answer_q1", "answer": "b", "options": {"a": "A", "b": "B"}, "tracks": ["users"]}
    exercise = Exercise("q1", spec, Translator.for_package("en"), watch)
    watch.after_cell(_Result("answer_q1 = b\nq1.check()", NameError("name 'b' is not defined")))
    assert exercise.check({}).outcome is not Outcome.CORRECT
    fixed = 'answer_q1 = "b"\nq1.check()'
    watch.before_cell(_Result(fixed).info)
    assert exercise.check({"answer_q1": "b"}).outcome is Outcome.CORRECT
    watch.after_cell(_Result(fixed))
    assert exercise.check({"answer_q1": "b"}).outcome is Outcome.CORRECT


def test_type_messages_never_show_the_expected_number() -> None:
    """Any word typed between quotes must not read off a graded answer: the
    example in the type messages is never the exercise's expected value."""
    for lesson in LESSONS:
        for qid, spec in lesson.exercises.items():
            if spec.get("kind") != "number":
                continue
            en = Translator.for_package("en")
            shown = repr(float(spec["expected"]))
            for value in ("zero", True, [1]):
                text = " ".join(m.format(en) for m in evaluate(spec, {spec["target"]: value}).messages)
                assert f"`{shown}`" not in text, (lesson.key, qid, value)
