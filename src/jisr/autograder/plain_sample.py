"""A small plain nbgrader course (nbgrader's own format, no Jisr metadata), built with nbgrader's own tools.

One problem set, ``ps1``: answer cells, visible test cells, hidden tests, a
test cell that gives partial credit (it shows a number) and a free-text answer
graded by hand. The tests (tests/test_autograder_plain.py) and the grading
benchmark (benchmarks/grading.py) grade the same course, built here once.
"""

from __future__ import annotations

import datetime
import subprocess
from collections.abc import Mapping
from pathlib import Path

import nbformat

ASSIGNMENT = "ps1"
SETUP = "import math"


def nbgrader_meta(**fields: object) -> dict:
    """A cell's metadata as nbgrader's "Create Assignment" toolbar writes it."""
    base = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    return {"nbgrader": {**base, **fields}}


def plain_source(setup: str = SETUP) -> nbformat.NotebookNode:
    """What a teacher writes with nbgrader's "Create Assignment" toolbar; ``setup`` is the locked first code cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Problem set 1"),
        nbformat.v4.new_code_cell(setup, metadata=nbgrader_meta(grade_id="setup", locked=True)),
        nbformat.v4.new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                                  metadata=nbgrader_meta(grade_id="square", solution=True)),
        nbformat.v4.new_code_cell("assert square(3) == 9\n### BEGIN HIDDEN TESTS\nassert square(-4) == 16\n### END HIDDEN TESTS",
                                  metadata=nbgrader_meta(grade_id="test_square", grade=True, locked=True, points=2)),
        nbformat.v4.new_code_cell("def mean(xs):\n    ### BEGIN SOLUTION\n    return sum(xs) / len(xs)\n    ### END SOLUTION",
                                  metadata=nbgrader_meta(grade_id="mean", solution=True)),
        # partial credit: the cell shows how many of its points were earned
        nbformat.v4.new_code_cell("score = 0\nif mean([1, 2, 3]) == 2:\n    score += 1\n### BEGIN HIDDEN TESTS\n"
                                  "if mean([2.5]) == 2.5:\n    score += 1\n### END HIDDEN TESTS\nscore",
                                  metadata=nbgrader_meta(grade_id="test_mean", grade=True, locked=True, points=2)),
        nbformat.v4.new_markdown_cell("Why does one large value move the mean?\n\nYOUR ANSWER HERE",
                                      metadata=nbgrader_meta(grade_id="explain", grade=True, solution=True, points=1)),
    ]
    return nb


def make_course(root: Path, env: Mapping[str, str], course_id: str, *, setup: str = SETUP, config: str = "",
                files: Mapping[str, str] | None = None) -> Path:
    """The course in ``root``, released with ``nbgrader generate_assignment``.

    ``config`` is added to nbgrader_config.py; ``files`` (name: text) go beside the source notebook.
    """
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(plain_source(setup), source / f"{ASSIGNMENT}.ipynb")
    for name, text in (files or {}).items():
        (source / name).write_text(text)
    (root / "nbgrader_config.py").write_text(f'c = get_config()\nc.CourseDirectory.course_id = "{course_id}"\n{config}')
    done = subprocess.run(["nbgrader", "generate_assignment", ASSIGNMENT], cwd=root, env=dict(env),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed in {root}:\n{done.stderr[-2000:]}")
    return root


def submit(course: Path, student: str, answers: Mapping[str, str]) -> None:
    """``student`` hands in the released notebook with ``answers`` (grade id: cell source) written in, stamped now."""
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    now = datetime.datetime.now(datetime.timezone.utc)
    (folder / "timestamp.txt").write_text(now.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
