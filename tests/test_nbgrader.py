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
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == f"{qid}-answer":
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
    reference = {q: _answer_cell(nb, q).source for q in graded}
    variants: dict[str, tuple[dict[str, str] | None, str]] = {"reference": (reference, "full"), "blank": (None, "zero")}
    for qid, spec in graded.items():
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
        variants = _variants(lesson, language, every=language == "en")
        for student, (answers, _) in variants.items():
            _submit(course, lesson_id, student, answers)
        _nbgrader(["autograde", lesson_id, "--force"], course, tool_env)
        scores = _scores(course, lesson_id, list(variants))
        full = scores["reference"][1]
        assert full > 0
        for student, (_, verdict) in variants.items():
            score, max_score = scores[student]
            assert max_score == full
            if verdict == "full":
                assert score == full, f"{language}/{student}: {score}/{full}, expected full marks"
            elif verdict == "zero":
                assert score == 0, f"{language}/{student}: {score}/{full}, expected zero"
            else:
                assert score < full, f"{language}/{student}: {score}/{full}, a wrong answer kept full marks"
