"""An untrusted submission becomes a trusted program: one test per attack on the notebook.

Every submission starts from the real lesson fundamentals/what-is-ai: its nbgrader
source (``jisr.render.render``) and the notebook a learner receives (solutions
replaced with ``jisr.render.strip_solutions``, hidden tests cut as nbgrader cuts
them). Each attack changes that notebook as a learner could, writes it to a file
and reads it back through ``read_submission`` and ``build_program``; nothing is mocked.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from jisr.autograder import submission as sub
from jisr.autograder.submission import Program, SubmissionError, build_program, read_submission
from jisr.i18n import Translator
from jisr.render import render, strip_solutions
from jisr.source import lesson_by_key

LESSON = "fundamentals/what-is-ai"
SETUP, ANSWER, TESTS = "setup", "q5-answer", "q5-tests"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
# lesson 1: the users' choice and number items and the designers' function q5, all graded
_SPECS = lesson_by_key(LESSON).exercises
GRADED_ANSWERS = [f"{qid}-answer" for qid, spec in _SPECS.items() if spec.get("graded")]
POINTS = {f"{qid}-tests": float(spec.get("points", 1)) for qid, spec in _SPECS.items() if spec.get("graded")}
STARTERS = {f"{qid}-answer": f"{spec['target']} = ..." for qid, spec in _SPECS.items()
            if spec.get("graded") and spec["kind"] in ("choice", "number")}  # as released

CORRECT = """def accuracy(y_true, y_pred):
    correct = 0
    for true_label, predicted_label in zip(y_true, y_pred):
        if true_label == predicted_label:
            correct += 1
    return correct / len(y_true)
"""
WRONG = """def accuracy(y_true, y_pred):
    return sum(1 for t, p in zip(y_true, y_pred) if t == p)
"""
STRIP_ASSERTS = """import ast


class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()


get_ipython().ast_transformers.append(NoAsserts())
"""

Submit = Callable[[nbformat.NotebookNode], Program]


# --------------------------------------------------------------------------- the real lesson


@pytest.fixture(scope="module")
def source() -> nbformat.NotebookNode:
    """The instructor's nbgrader source notebook, the truth."""
    return render(lesson_by_key(LESSON), "en", "nbgrader")


@pytest.fixture
def released(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A fresh copy of the notebook a learner receives, as ``nbgrader generate_assignment`` makes it."""
    nb = copy.deepcopy(source)
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grading.get("solution"):
            cell.source = strip_solutions(cell.source)
        elif cell.cell_type == "code" and grading.get("grade"):
            cell.source = cell.source.split(BEGIN_HIDDEN)[0].rstrip("\n")
    return nb


@pytest.fixture
def submit(source: nbformat.NotebookNode, tmp_path: Path) -> Submit:
    """Write a submission to a file and turn it into a program, as the grader does."""

    def run(nb: nbformat.NotebookNode) -> Program:
        path = tmp_path / "what-is-ai.ipynb"
        nbformat.write(nb, path)
        return build_program(source, read_submission(path))

    return run


def position(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return nb.cells[position(nb, grade_id)]


def instructor_code(source: nbformat.NotebookNode) -> list[str]:
    """Every instructor code cell of the source, byte for byte, graded cells without their hidden part."""
    texts = []
    for c in source.cells:
        grading = c.metadata.get("nbgrader", {})
        choice_or_number = any(t.startswith("answer-") for t in c.metadata.get("tags", []))  # a plain answer cell
        if c.cell_type == "code" and not grading.get("solution") and not choice_or_number:
            texts.append(c.source.split(BEGIN_HIDDEN)[0].rstrip("\n") if grading.get("grade") else c.source)
    return texts


def student_block(program: Program) -> list[str]:
    """The learner's cells of the function exercise: its answer and what follows it, up to q5's
    test, all together (the choice and number answers are learner's cells of their own)."""
    origins = [c.origin for c in program.cells]
    first = next(i for i, c in enumerate(program.cells) if c.grade_id == ANSWER and c.origin == "student")
    last = next(i for i, c in enumerate(program.cells) if c.source == "q5.assert_passes()")
    assert set(origins[first:last]) == {"student"}, "learner's code is spread between instructor cells"
    assert origins[first - 1] == "instructor"
    return [c.source for c in program.cells[first:last]]


def assert_trusted(program: Program, source: nbformat.NotebookNode) -> None:
    """The instructor's cells, byte for byte and in order; no hidden test anywhere in the program."""
    assert program.lesson == LESSON and program.language == "en"
    assert [c.source for c in program.cells if c.origin == "instructor"] == instructor_code(source)
    assert cell(source, SETUP).source in [c.source for c in program.cells if c.origin == "instructor"]
    hidden = cell(source, TESTS).source.split(BEGIN_HIDDEN)[1].split("### END HIDDEN TESTS")[0].strip()
    assert hidden and program.hidden == {TESTS: hidden}
    for c in program.cells:
        assert "HIDDEN TESTS" not in c.source and hidden not in c.source and "cases=" not in c.source
    assert [c.grade_id for c in program.cells if c.grade_id and c.origin == "student"] == GRADED_ANSWERS
    assert program.points == POINTS


def problems(program: Program) -> list[str]:
    return [p.msgid for p in program.problems]


# --------------------------------------------------------------------------- honest submissions


def test_all_correct(released, submit, source) -> None:
    cell(released, ANSWER).source = CORRECT
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers == {**STARTERS, ANSWER: CORRECT} and student_block(program) == [CORRECT]
    assert program.problems == [] and program.not_found == []


def test_all_wrong(released, submit, source) -> None:
    cell(released, ANSWER).source = WRONG
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers == {**STARTERS, ANSWER: WRONG} and student_block(program) == [WRONG]
    assert program.problems == []


def test_untouched_release_runs_the_stub(released, submit, source) -> None:
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers[ANSWER] == strip_solutions(cell(source, ANSWER).source)
    assert "raise NotImplementedError()" in program.answers[ANSWER] and "BEGIN SOLUTION" not in program.answers[ANSWER]
    assert program.problems == [] and program.not_found == []


def test_program_is_a_valid_notebook_without_nbgrader_metadata(released, submit) -> None:
    cell(released, ANSWER).source = CORRECT
    nb = submit(released).to_notebook()
    nbformat.validate(nb)
    assert all("nbgrader" not in c.metadata for c in nb.cells)
    assert [c.metadata["jisr"].get("grade_id") for c in nb.cells if c.metadata["jisr"]["origin"] == "student"] == GRADED_ANSWERS


# --------------------------------------------------------------------------- attacks on locked cells


@pytest.mark.parametrize("grade_id", [TESTS, SETUP])
def test_locked_cell_edited(released, submit, source, grade_id: str) -> None:
    cell(released, ANSWER).source = WRONG
    cell(released, grade_id).source = "pass"
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers == {**STARTERS, ANSWER: WRONG}
    assert problems(program) == [sub.LOCKED_EDITED.msgid] and program.problems[0].params == {"cell": grade_id}
    assert "pass" not in [c.source for c in program.cells]


def test_test_cell_deleted(released, submit, source) -> None:
    cell(released, ANSWER).source = CORRECT
    del released.cells[position(released, TESTS)]
    program = submit(released)
    assert_trusted(program, source)
    assert problems(program) == [sub.LOCKED_DELETED.msgid]


def test_test_cell_retyped_with_the_same_grade_id(released, submit, source) -> None:
    cell(released, ANSWER).source = WRONG
    index = position(released, TESTS)
    fake = nbformat.v4.new_code_cell("assert True", metadata=copy.deepcopy(released.cells[index].metadata))
    released.cells[index] = fake  # a new cell (new id) in place of the deleted one
    program = submit(released)
    assert_trusted(program, source)
    assert problems(program) == [sub.LOCKED_EDITED.msgid]
    assert all("assert True" not in c.source for c in program.cells)


def test_test_cell_retyped_with_another_grade_id(released, submit, source) -> None:
    cell(released, ANSWER).source = WRONG
    index = position(released, TESTS)
    grading = {**released.cells[index].metadata["nbgrader"], "grade_id": "q5-tests-v2", "points": 100}
    released.cells[index] = nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": grading})
    program = submit(released)
    assert_trusted(program, source)
    assert problems(program) == [sub.LOCKED_DELETED.msgid, sub.FOREIGN_GRADE_ID.msgid, sub.OWN_CELLS_AFTER.msgid]
    # it may run as the learner's own code, never as a test and never for points
    assert student_block(program) == [WRONG, "assert True"]
    assert [c for c in program.cells if c.source == "assert True"][0].grade_id is None


def test_test_cell_metadata_edited(released, submit, source) -> None:
    cell(released, ANSWER).source = WRONG
    cell(released, TESTS).metadata["nbgrader"].update(grade=False, points=100, locked=False)
    program = submit(released)
    assert_trusted(program, source)
    assert problems(program) == [sub.LOCKED_METADATA.msgid]
    assert program.points == POINTS


def test_test_cell_turned_into_markdown(released, submit, source) -> None:
    index = position(released, TESTS)
    old = released.cells[index]
    released.cells[index] = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata, id=old.id)
    program = submit(released)
    assert_trusted(program, source)
    assert problems(program) == [sub.LOCKED_RETYPED.msgid] and program.problems[0].params["type"] == "markdown"


def test_test_cell_duplicated(released, submit, source) -> None:
    copy_of_tests = copy.deepcopy(cell(released, TESTS))
    copy_of_tests.id = "my-copy"
    released.cells.insert(position(released, ANSWER), copy_of_tests)
    program = submit(released)
    assert_trusted(program, source)
    assert problems(program) == [sub.LOCKED_COPY.msgid]


def test_assert_stripper_posing_as_the_test_cell(released, submit, source) -> None:
    cell(released, ANSWER).source = CORRECT
    cell(released, TESTS).source = STRIP_ASSERTS
    program = submit(released)
    assert_trusted(program, source)
    assert problems(program) == [sub.LOCKED_EDITED.msgid]
    assert all("NoAsserts" not in c.source for c in program.cells)


# --------------------------------------------------------------------------- attacks on answer cells


def test_duplicated_answer_cell(released, submit, source) -> None:
    index = position(released, ANSWER)
    released.cells[index].source = WRONG
    duplicate = copy.deepcopy(released.cells[index])
    duplicate.id, duplicate.source = "pasted-copy", CORRECT
    released.cells.insert(index + 1, duplicate)
    program = submit(released)
    assert_trusted(program, source)
    # the first claim is the answer; the copy defines accuracy again and never runs
    assert program.answers == {**STARTERS, ANSWER: WRONG} and student_block(program) == [WRONG]
    assert problems(program) == [sub.ANSWER_DUPLICATE.msgid]


def test_split_answer_cell(released, submit, source) -> None:
    """JupyterLab's Split Cell copies the metadata into a new cell above; the original keeps its id."""
    helper = "def count_matches(y_true, y_pred):\n    return sum(t == p for t, p in zip(y_true, y_pred))"
    main = "def accuracy(y_true, y_pred):\n    return count_matches(y_true, y_pred) / len(y_true)"
    index = position(released, ANSWER)
    original = released.cells[index]
    original.source = main
    released.cells.insert(index, nbformat.v4.new_code_cell(helper, metadata=copy.deepcopy(original.metadata)))
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers == {**STARTERS, ANSWER: helper} and student_block(program) == [helper, main]
    assert [(c.grade_id, c.follows) for c in program.cells if c.origin == "student" and ANSWER in (c.grade_id, c.follows)] == [
        (ANSWER, None), (None, ANSWER)]
    assert problems(program) == [sub.ANSWER_SPLIT.msgid]


def test_answer_metadata_stripped_is_found_by_cell_id(released, submit, source) -> None:
    answer = cell(released, ANSWER)
    answer.source, answer.metadata = CORRECT, {}
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers == {**STARTERS, ANSWER: CORRECT} and problems(program) == [sub.ANSWER_BY_ID.msgid]


def test_answer_metadata_and_id_changed_is_found_by_place(released, submit, source) -> None:
    answer = cell(released, ANSWER)
    answer.source, answer.id = CORRECT, "retyped"
    answer.metadata["nbgrader"]["grade_id"] = "my-answer"
    released.cells.insert(position(released, TESTS), nbformat.v4.new_markdown_cell("my notes"))
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers == {**STARTERS, ANSWER: CORRECT} and student_block(program) == [CORRECT]
    assert problems(program) == [sub.ANSWER_BY_PLACE.msgid]


def test_answer_deleted_is_not_attempted(released, submit, source) -> None:
    del released.cells[position(released, ANSWER)]
    program = submit(released)
    assert_trusted(program, source)
    assert program.not_found == [ANSWER] and student_block(program) == [program.answers[ANSWER]]
    assert program.answers[ANSWER] == strip_solutions(cell(source, ANSWER).source)
    assert problems(program) == [sub.ANSWER_MISSING.msgid]


# --------------------------------------------------------------------------- reordering and extra cells


def test_cells_reordered_and_extra_cells_added(released, submit, source) -> None:
    helper = "def count_matches(a, b):\n    return sum(x == y for x, y in zip(a, b))"
    answer = "def accuracy(y_true, y_pred):\n    return count_matches(y_true, y_pred) / len(y_true)"
    trial = "print(accuracy([1, 0], [1, 1]))"
    cell(released, ANSWER).source = answer
    # the tests moved above the answer, the set-up to the end
    tests = released.cells.pop(position(released, TESTS))
    released.cells.insert(position(released, ANSWER), tests)
    released.cells.append(released.cells.pop(position(released, SETUP)))
    # the learner's own cells: a helper at the very top, a trial and an assert stripper after the answer, notes
    released.cells.insert(0, nbformat.v4.new_code_cell(helper))
    after = position(released, ANSWER) + 1
    released.cells[after:after] = [nbformat.v4.new_code_cell(trial), nbformat.v4.new_code_cell(STRIP_ASSERTS),
                                   nbformat.v4.new_markdown_cell("notes"), nbformat.v4.new_code_cell("   ")]
    program = submit(released)
    assert_trusted(program, source)  # set-up and tests back in place, untouched
    assert program.answers == {**STARTERS, ANSWER: answer}
    # the learner's code runs together where the answer is; the stripper stays learner's code;
    # the helper from the top runs just before the first answer (q1's)
    assert student_block(program) == [answer, trial, STRIP_ASSERTS]
    first_answer = next(i for i, c in enumerate(program.cells) if c.grade_id == "q1-answer")
    assert program.cells[first_answer - 1].source == helper and program.cells[first_answer - 1].origin == "student"
    assert [(c.grade_id, c.follows) for c in program.cells if c.origin == "student" and c.grade_id in (None, ANSWER)] == [
        (None, None), (ANSWER, None), (None, ANSWER), (None, ANSWER)]
    assert problems(program) == [sub.MOVED.msgid, sub.OWN_CELLS_AFTER.msgid, sub.OWN_CELLS_BEFORE.msgid]
    after_message = program.problems[1]
    assert after_message.n == 2 and after_message.format(Translator("en")).startswith("2 cells of your own run")


# --------------------------------------------------------------------------- another notebook


def test_wrong_notebook(released, submit) -> None:
    released.metadata["jisr"]["lesson"] = "users/chatbots"
    with pytest.raises(SubmissionError) as caught:
        submit(released)
    assert caught.value.message.msgid == sub.WRONG_LESSON.msgid
    assert caught.value.message.params == {"lesson": LESSON, "found": "users/chatbots"}
    assert str(caught.value) == f"This is not the notebook of lesson {LESSON}: it is the notebook of lesson users/chatbots."


def test_old_notebook(released, submit) -> None:
    del released.metadata["jisr"]
    with pytest.raises(SubmissionError) as caught:
        submit(released)
    assert caught.value.message.msgid == sub.NO_LESSON.msgid


def test_other_language_is_graded_all_the_same(released, submit, source) -> None:
    released.metadata["jisr"]["lang"] = "ar"
    cell(released, ANSWER).source = CORRECT
    program = submit(released)
    assert_trusted(program, source)
    assert program.answers == {**STARTERS, ANSWER: CORRECT} and problems(program) == [sub.OTHER_LANGUAGE.msgid]


# --------------------------------------------------------------------------- files that are not notebooks


def refused(path: Path, **limits: int) -> str:
    with pytest.raises(SubmissionError) as caught:
        read_submission(path, **limits)
    return caught.value.message.msgid


def test_invalid_json(released, tmp_path) -> None:
    path = tmp_path / "what-is-ai.ipynb"
    text = nbformat.writes(released)
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(SubmissionError) as caught:
        read_submission(path)
    assert caught.value.message.msgid == sub.BROKEN_JSON.msgid and caught.value.message.params["line"] > 1


def test_file_of_50_mb_is_refused_before_reading(released, tmp_path) -> None:
    """A real notebook made huge by one output (50 MB of text printed by a loop)."""
    released.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="HUGE")]
    head, tail = nbformat.writes(released).encode("utf-8").split(b"HUGE")
    path = tmp_path / "what-is-ai.ipynb"
    with path.open("wb") as handle:
        handle.write(head)
        for _ in range(50):
            handle.write(b"x" * 1_000_000)
        handle.write(tail)
    assert path.stat().st_size > 50_000_000
    json.loads(path.read_bytes())  # valid JSON: only its size is wrong
    assert refused(path) == sub.TOO_LARGE.msgid


@pytest.mark.parametrize("kind", ["gzip", "zip"])
def test_compression_bomb_renamed_ipynb(tmp_path, kind: str) -> None:
    bomb = b"\0" * 20_000_000
    if kind == "gzip":
        data = gzip.compress(bomb, compresslevel=9)
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("what-is-ai.ipynb", bomb)
        data = buffer.getvalue()
    assert len(data) < 100_000  # small file, huge content
    path = tmp_path / "what-is-ai.ipynb"
    path.write_bytes(data)
    with pytest.raises(SubmissionError) as caught:
        read_submission(path)
    assert caught.value.message.msgid == sub.ARCHIVE.msgid and caught.value.message.params["kind"] == kind


@pytest.mark.parametrize("depth", [100, 10_000])
def test_deeply_nested_json(tmp_path, depth: int) -> None:
    head = '{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"jisr": {"lesson": "%s"}, "x": ' % LESSON
    path = tmp_path / "what-is-ai.ipynb"
    path.write_text(head + "[" * depth + "]" * depth + "}}", encoding="utf-8")
    assert refused(path) == sub.TOO_DEEP.msgid


def test_200000_empty_cells(tmp_path) -> None:
    cells = ",".join(['{"cell_type":"code","execution_count":null,"metadata":{},"outputs":[],"source":""}'] * 200_000)
    path = tmp_path / "what-is-ai.ipynb"
    path.write_text('{"nbformat":4,"nbformat_minor":5,"metadata":{"jisr":{"lesson":"%s"}},"cells":[%s]}' % (LESSON, cells))
    assert refused(path) == sub.TOO_LARGE.msgid  # already too large as a file
    assert refused(path, max_bytes=50_000_000) == sub.TOO_MANY_CELLS.msgid  # and too many cells anyway


@pytest.mark.parametrize(("content", "expected"), [
    (b"[1, 2, 3]", sub.NOT_NOTEBOOK.msgid),
    (b'{"hello": "world"}', sub.NOT_NOTEBOOK.msgid),
    (b'{"nbformat": 4, "cells": "everything", "metadata": {}}', sub.NOT_NOTEBOOK.msgid),
    (b'{"nbformat": 3, "worksheets": [], "metadata": {}}', sub.OLD_FORMAT.msgid),
    (b'{"nbformat": 4, "cells": [42], "metadata": {}}', sub.BAD_CELL.msgid),
    (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}], "metadata": {}}', sub.BAD_CELL.msgid),
    (b'{"nbformat": 4, "cells": [], "metadata": {}, "n": 1' + b"1" * 5000 + b"}", sub.NOT_JSON.msgid),
    (b"\xff\xd8\xff\xe0 a photo", sub.NOT_TEXT.msgid),
])
def test_json_that_is_not_a_notebook(tmp_path, content: bytes, expected: str) -> None:
    path = tmp_path / "what-is-ai.ipynb"
    path.write_bytes(content)
    assert refused(path) == expected


def test_a_folder_or_a_pipe_is_not_a_notebook(tmp_path) -> None:
    (tmp_path / "folder.ipynb").mkdir()
    assert refused(tmp_path / "folder.ipynb") == sub.NOT_A_FILE.msgid
    os.mkfifo(tmp_path / "pipe.ipynb")  # reading it would wait forever
    assert refused(tmp_path / "pipe.ipynb") == sub.NOT_A_FILE.msgid
    assert refused(tmp_path / "missing.ipynb") == sub.NOT_A_FILE.msgid


def test_link_to_the_instructors_source_is_refused(source, tmp_path) -> None:
    """Followed, a link would bring in the solutions and hidden tests as the learner's answers."""
    secret = tmp_path / "source" / "what-is-ai.ipynb"
    secret.parent.mkdir()
    nbformat.write(source, secret)
    (tmp_path / "what-is-ai.ipynb").symlink_to(secret)
    assert refused(tmp_path / "what-is-ai.ipynb") == sub.LINK.msgid


def test_reading_keeps_only_what_grading_needs(released, tmp_path) -> None:
    released.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello")]
    released.cells[2].id = "not a valid id!"
    path = tmp_path / "what-is-ai.ipynb"
    path.write_text(json.dumps(released), encoding="utf-8")
    nb = read_submission(path)
    nbformat.validate(nb)
    assert nb.cells[2].outputs == [] and nb.cells[2].id == "submitted-3"
    assert [c.source for c in nb.cells] == [c.source for c in released.cells]
