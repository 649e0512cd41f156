"""Grading through the real sandbox: verdicts are decided outside the student's process,
so the tricks that fool an in-process grader earn nothing, and honest answers keep full marks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jisr.autograder import sandbox
from jisr.autograder.grade import grade_program
from jisr.autograder.submission import build_program
from jisr.render import render, strip_solutions
from jisr.source import lesson_by_key

pytestmark = pytest.mark.slow
LESSON = lesson_by_key("fundamentals/what-is-ai")
SOURCE = render(LESSON, "en", "nbgrader")
REFERENCE = next(c.source for c in SOURCE.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer")
LIMITS = sandbox.Limits(cpu_seconds=60, wall_seconds=90, memory_mb=2048)


def released() -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(SOURCE), as_version=4))
    for cell in nb.cells:
        cell.source = strip_solutions(cell.source)
        if "BEGIN HIDDEN TESTS" in cell.source:
            cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
    return nb


def grade(answer: str | None, extra_before_answer: str | None = None):
    nb = released()
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer":
            if answer is not None:
                cell.source = answer
            if extra_before_answer:
                nb.cells.insert(index, nbformat.v4.new_code_cell(extra_before_answer))
            break
    return grade_program(build_program(SOURCE, nb), LESSON, LIMITS)


@pytest.fixture(scope="module", autouse=True)
def needs_sandbox() -> None:
    assert sandbox.available(), sandbox.unavailable_reason()


def test_reference_blank_wrong_and_alternatives() -> None:
    assert grade(REFERENCE).score == 3
    assert grade(None).score == 0
    for wrong in LESSON.grading["q5"]["wrong_answers"] + LESSON.exercises["q5"]["mistakes"]:
        assert grade(wrong["code"]).score == 0, wrong["name"]
    for alternative in LESSON.grading["q5"]["alternatives"]:
        assert grade(alternative["code"]).score == 3, alternative["name"]


CHEATS = {
    # 11: an AST transformer deleting every assert (it fools nbgrader's in-process tests)
    "assert-stripping transformer": """
import ast
from IPython import get_ipython
class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAsserts())
def accuracy(y_true, y_pred):
    return 0.5
""",
    # 12 and 13: wrap later cells in try/except, patch run_cell
    "try/except input transformer": """
from IPython import get_ipython
ip = get_ipython()
ip.input_transformers_post.append(lambda lines: ["try:\\n"] + ["    " + l for l in lines] + ["\\nexcept Exception:\\n    pass\\n"])
ip.run_cell = lambda *a, **k: None
def accuracy(y_true, y_pred):
    return 0.0
""",
    # 14: hide tracebacks and silence errors, so a failing test looks like a passing one
    "traceback suppression": """
import sys, os
from IPython import get_ipython
ip = get_ipython()
if ip is not None:
    ip.showtraceback = lambda *a, **k: None
    ip.showsyntaxerror = lambda *a, **k: None
sys.excepthook = lambda *a: None
sys.stderr = open(os.devnull, "w")
def accuracy(y_true, y_pred):
    raise ValueError("silent")
""",
    # 15 and 16: redefined helpers and rebound builtins
    "rebound builtins": """
import builtins, numpy
builtins.abs = lambda x: 0
builtins.isinstance = lambda *a: True
builtins.type = lambda *a: float
numpy.testing.assert_allclose = lambda *a, **k: None
def accuracy(y_true, y_pred):
    return "1.0"
""",
    # 17: an object that claims to equal everything, a float subclass
    "always-equal object": """
class Anything(float):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__
def accuracy(y_true, y_pred):
    return Anything(0.123)
""",
    # 18: leave early
    "sys.exit": """
import sys
def accuracy(y_true, y_pred):
    sys.exit(0)
sys.exit(0)
""",
    # 31: print what a grader prints
    "fake grader output": """
print('{"score": 3, "max_score": 3}')
print("All tests passed. 3/3")
def accuracy(y_true, y_pred):
    return None
""",
    # 32: object arrays and pickles as results
    "object array result": """
import numpy as np, pickle
class Evil:
    def __reduce__(self):
        return (print, ("pwned",))
def accuracy(y_true, y_pred):
    return np.array([Evil()], dtype=object)
""",
    # 34: detect grading mode and behave differently
    "grading-mode detection": """
import os
GRADING = not os.path.exists(os.path.expanduser("~/.jupyter")) or "JISR_ROOT" in os.environ
def accuracy(y_true, y_pred):
    return 1.0 if GRADING else 0.5
""",
}


@pytest.mark.parametrize("name", list(CHEATS))
def test_cheats_earn_nothing(name: str) -> None:
    result = grade(CHEATS[name])
    assert result.score == 0, name


def test_a_correct_answer_that_prints_warnings_keeps_full_marks() -> None:  # 35
    answer = (
        "import warnings\n"
        "def accuracy(y_true, y_pred):\n"
        "    warnings.warn('computing accuracy', UserWarning)\n"
        "    print('debug: comparing', len(y_true), 'labels')\n"
        "    return sum(a == b for a, b in zip(y_true, y_pred)) / len(y_true)\n"
    )
    assert grade(answer).score == 3


def test_a_cheat_in_an_extra_cell_cannot_lift_a_wrong_answer() -> None:
    shadow = "open('numpy.py', 'w').write('raise SystemExit')\nopen('sitecustomize.py', 'w').write('')\n"  # 33
    assert grade(LESSON.grading["q5"]["wrong_answers"][0]["code"], extra_before_answer=shadow).score == 0
    assert grade(REFERENCE, extra_before_answer=shadow).score == 3


def test_a_runaway_answer_is_stopped_and_reported(tmp_path: Path) -> None:  # 20, 23
    limits = sandbox.Limits(cpu_seconds=20, wall_seconds=25, memory_mb=2048)
    nb = released()
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer":
            cell.source = "while True:\n    pass\n"
    result = grade_program(build_program(SOURCE, nb), LESSON, limits)
    assert result.score == 0
    assert result.status in ("timeout", "killed")
