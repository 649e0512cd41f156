"""Real nbgrader, real kernels: the reference gets full marks, the blank release zero,
known wrong answers lose marks and correct answers written differently get full marks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from jisr.languages import LANGUAGES
from jisr.nbgrader_course import graded_lessons, make_course

pytestmark = pytest.mark.slow


def _answer_cell(nb: nbformat.NotebookNode, qid: str) -> nbformat.NotebookNode:
    """A function's solution cell, or a graded choice or number's plain cell tagged answer-qN."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == f"{qid}-answer" or f"answer-{qid}" in cell.metadata.get("tags", []):
            return cell
    raise AssertionError(f"no answer cell for {qid}")


def _nbgrader(args: list[str], course: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["nbgrader", *args], cwd=course, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _submit(course: Path, lesson_id: str, student: str, answers: dict[str, str] | None) -> None:
    """Copy the released assignment as ``student``'s submission, with ``answers`` pasted in."""
    release = course / "release" / lesson_id
    target = course / "submitted" / student / lesson_id
    shutil.copytree(release, target, dirs_exist_ok=True)
    path = target / f"{lesson_id}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for qid, code in (answers or {}).items():
        _answer_cell(nb, qid).source = code
    nbformat.write(nb, path)
    (target / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")


def _scores(course: Path, lesson_id: str, students: list[str]) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s: (gradebook.find_submission(lesson_id, s).score, gradebook.find_submission(lesson_id, s).max_score) for s in students}


def _variants(lesson, language: str, every: bool) -> dict[str, tuple[dict[str, str] | None, str]]:
    """student -> (answers, expected verdict: full / zero / partial)."""
    graded = {q: s for q, s in lesson.exercises.items() if s.get("graded")}
    from jisr.render import render

    nb = render(lesson, language, "nbgrader")
    # a choice or number cell is released as `answer_qN = ...`: its reference is the spec's solution
    reference = {q: s["solution"]["code"] if s.get("kind") in ("choice", "number") else _answer_cell(nb, q).source
                 for q, s in graded.items()}
    variants: dict[str, tuple[dict[str, str] | None, str]] = {"reference": (reference, "full"), "blank": (None, "zero")}
    for qid, spec in graded.items():
        if spec.get("kind") == "choice":  # every wrong letter loses exactly this item's points
            wrong_letters = [letter for letter in spec["options"] if letter != spec["answer"]]
            for letter in wrong_letters[:None if every else 1]:
                variants[f"choice-{qid}-{letter}"] = ({**reference, qid: f'{spec["target"]} = "{letter}"'}, f"minus {spec.get('points', 1)}")
        if spec.get("kind") == "number":
            for diagnosis in spec.get("diagnoses", [])[:1 if not every else None]:
                variants[f"number-{qid}-{diagnosis['value']}"] = ({**reference, qid: f"{spec['target']} = {diagnosis['value']!r}"}, f"minus {spec.get('points', 1)}")
        grading = lesson.grading.get(qid, {})
        wrong = [*spec.get("mistakes", []), *grading.get("wrong_answers", [])]
        right = grading.get("alternatives", [])
        if not every:
            wrong, right = wrong[:1], right[:1]
        for item in wrong:
            variants[f"wrong-{qid}-{item['name']}"] = ({**reference, qid: item["code"]}, "less")
        for item in right:
            variants[f"alt-{qid}-{item['name']}"] = ({**reference, qid: item["code"]}, "full")
    return variants


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_autograde_discriminates(language: str, tmp_path: Path, tool_env: dict[str, str]) -> None:
    course = make_course(language, tmp_path / "course")
    lessons = graded_lessons()
    assert lessons, "no lesson has a graded exercise"
    for lesson in lessons:
        lesson_id = lesson.meta["id"]
        _nbgrader(["generate_assignment", lesson_id, "--force"], course, tool_env)
        released = (course / "release" / lesson_id / f"{lesson_id}.ipynb").read_text(encoding="utf-8")
        for qid in lesson.grading:
            for case in lesson.grading[qid].get("hidden_cases", []):
                assert repr(case["args"]) not in released, "a hidden test leaked into the release"
        assert "BEGIN SOLUTION" not in released and "correct = correct + 1" not in released
        release_nb = nbformat.reads(released, as_version=4)
        for qid, spec in lesson.exercises.items():
            if spec.get("graded") and spec.get("kind") in ("choice", "number"):
                # the learner keeps the starter, not nbgrader's stub
                assert _answer_cell(release_nb, qid).source.strip() == f"{spec['target']} = ...", qid
        # issue 8 (E14): jisr's grader reads the real release without a note per plain answer cell
        from jisr.autograder import submission

        source_nb = nbformat.read(course / "source" / lesson_id / f"{lesson_id}.ipynb", as_version=4)
        program = submission.build_program(source_nb, release_nb)
        notes = [p.msgid for p in program.problems]
        assert submission.ANSWER_BY_ID.msgid not in notes and submission.ANSWER_BY_PLACE.msgid not in notes, notes
        assert program.problems == [] and program.not_found == []
        # stock nbgrader on every known answer for lesson 1 in English, a sample elsewhere (jisr's own
        # grader meets every known answer of every lesson in test_exercises and test_agreement)
        variants = _variants(lesson, language, every=language == "en" and lesson.key == "fundamentals/what-is-ai")
        for student, (answers, _) in variants.items():
            _submit(course, lesson_id, student, answers)
        _nbgrader(["autograde", lesson_id, "--force"], course, tool_env)
        scores = _scores(course, lesson_id, list(variants))
        full = scores["reference"][1]
        # lesson 1: the users' items of 1 point each and the designers' function of 3
        assert full == sum(float(s.get("points", 1)) for s in lesson.exercises.values() if s.get("graded")) > 0
        for student, (_, verdict) in variants.items():
            score, max_score = scores[student]
            assert max_score == full
            if verdict == "full":
                assert score == full, f"{language}/{student}: {score}/{full}, expected full marks"
            elif verdict.startswith("minus "):
                assert score == full - float(verdict[6:]), f"{language}/{student}: {score}/{full}, expected {verdict}"
            elif verdict == "zero":
                assert score == 0, f"{language}/{student}: {score}/{full}, expected zero"
            else:
                assert score < full, f"{language}/{student}: {score}/{full}, a wrong answer kept full marks"
