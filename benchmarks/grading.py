"""Submissions per minute and scores: plain `nbgrader autograde` against `jisr grade`, on the same class.

    python benchmarks/grading.py --submissions 40

Two classes, each graded by both tools from the same submitted folders:

- a plain nbgrader course (made with nbgrader's own format: answer cells, test
  cells, hidden tests, a partial-credit test, a free-text answer), with honest
  answers and the tricks that fool an ordinary kernel;
- Jisr's lesson what-is-ai, with the lesson's reference, wrong and
  alternative answers.

For each: seconds, submissions per minute, and how many submissions got the
score an honest grader should give. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from jisr.autograder.batch import grade_assignment
from jisr.autograder.plain_sample import ASSIGNMENT as PLAIN
from jisr.autograder.plain_sample import make_course as make_course_plain
from jisr.autograder.plain_sample import submit
from jisr.nbgrader_course import make_course
from jisr.source import lesson_by_key

RIGHT_MEAN = "def mean(xs):\n    return sum(xs) / len(xs)"
WRONG_SQUARE = "def square(x):\n    return 0\n"
# (name, answers, the fair automatic score out of 4)
PLAIN_CLASS = [
    ("right", {"square": "def square(x):\n    return x * x", "mean": RIGHT_MEAN}, 4.0),
    ("visible-only", {"square": "def square(x):\n    return 9", "mean": "def mean(xs):\n    return 2"}, 1.0),
    ("blank", {}, 0.0),
    ("assert-stripper", {"square": "from IPython import get_ipython\nimport ast\nclass N(ast.NodeTransformer):\n"
                                   "    def visit_Assert(self, node):\n        return ast.Pass()\n"
                                   "get_ipython().ast_transformers.append(N())\n" + WRONG_SQUARE, "mean": RIGHT_MEAN}, 2.0),
    ("exit", {"square": "import os\nos._exit(0)\n", "mean": RIGHT_MEAN}, 0.0),
    ("fake-print", {"square": "print('All tests passed. 4/4')\n" + WRONG_SQUARE, "mean": RIGHT_MEAN}, 2.0),
]


def make_plain_course(root: Path, env: dict[str, str], n: int) -> dict[str, float]:
    """n submissions of the tests' plain course (jisr.autograder.plain_sample): honest answers and tricks."""
    make_course_plain(root, env, "plain")
    expected = {}
    for i in range(n):
        name, answers, fair = PLAIN_CLASS[i % len(PLAIN_CLASS)]
        student = f"s{i:03d}-{name}"
        submit(root, student, answers)
        expected[student] = fair
    return expected


def make_lesson_class(course: Path, n: int) -> dict[str, float]:
    """n submissions of what-is-ai: reference, blank, wrong and alternative answers."""
    lesson = lesson_by_key("fundamentals/what-is-ai")
    source = nbformat.read(course / "source/what-is-ai/what-is-ai.ipynb", as_version=4)
    reference = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer")
    answers = ([(reference, 3.0), (None, 0.0)] + [(w["code"], 0.0) for w in lesson.grading["q5"]["wrong_answers"]]
               + [(a["code"], 3.0) for a in lesson.grading["q5"]["alternatives"]])
    expected = {}
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    for i in range(n):
        student = f"student{i:03d}"
        target = course / "submitted" / student / "what-is-ai"
        shutil.copytree(course / "release" / "what-is-ai", target)
        path = target / "what-is-ai.ipynb"
        nb = nbformat.read(path, as_version=4)
        answer, fair = answers[i % len(answers)]
        for cell in nb.cells:
            if answer is not None and cell.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer":
                cell.source = answer
        nbformat.write(nb, path)
        (target / "timestamp.txt").write_text(now)
        expected[student] = fair
    return expected


def auto_scores(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: sum(g.auto_score or 0.0 for n in s.notebooks for g in n.grades)
                for s in gradebook.assignment_submissions(assignment)}


def compare(course: Path, assignment: str, expected: dict[str, float], env: dict[str, str], workers: int,
            stock_config: str) -> tuple[tuple[float, int], tuple[float, int]]:
    """(seconds, fair scores) for stock nbgrader autograde, then for jisr grade, on the same submitted folders."""
    config = course / "nbgrader_config.py"
    ours_config = config.read_text()
    config.write_text(stock_config)  # nbgrader's own Execute step, as a course without Jisr has it
    start = time.perf_counter()
    # a kernel that died (os._exit) makes nbgrader exit 1 for that student; the others are graded
    subprocess.run(["nbgrader", "autograde", assignment, "--force"], cwd=course, env=env, check=False, capture_output=True)
    stock = time.perf_counter() - start
    stock_scores = auto_scores(course, assignment)
    config.write_text(ours_config)
    (course / "gradebook.db").unlink()
    shutil.rmtree(course / "autograded", ignore_errors=True)
    subprocess.run(["nbgrader", "generate_assignment", assignment, "--force"], cwd=course, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    grade_assignment(course, assignment, workers=workers, feedback=False)
    ours = time.perf_counter() - start
    ours_scores = auto_scores(course, assignment)
    fair = lambda found: sum(1 for s, want in expected.items() if found.get(s) == want)  # noqa: E731
    return (stock, fair(stock_scores)), (ours, fair(ours_scores))


def report(title: str, n: int, workers: int, stock: tuple[float, int], ours: tuple[float, int]) -> None:
    print(title)
    print(f"  plain nbgrader autograde:            {stock[0]:7.1f} s  {60 * n / stock[0]:6.1f} submissions/minute  "
          f"fair scores {stock[1]}/{n}")
    print(f"  jisr grade (sandboxed, {workers} workers):    {ours[0]:7.1f} s  {60 * n / ours[0]:6.1f} submissions/minute  "
          f"fair scores {ours[1]}/{n}")
    print(f"  speed ratio (jisr / nbgrader): {stock[0] / ours[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    n = args.submissions
    print(f"{n} submissions per class, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "plain"
        expected = make_plain_course(course, env, n)
        stock_config = (course / "nbgrader_config.py").read_text()
        stock, ours = compare(course, PLAIN, expected, env, args.workers, stock_config)
        report("A plain nbgrader course (hidden tests, partial credit, tricks included):", n, args.workers, stock, ours)
        course = make_course("en", Path(tmp) / "en")
        expected = make_lesson_class(course, n)
        config = (course / "nbgrader_config.py").read_text()
        stock_config = config.split("from jisr.autograder.nbgrader_plugin")[0] + '\nc.CourseDirectory.course_id = "jisr-en"\n'
        stock, ours = compare(course, "what-is-ai", expected, env, args.workers, stock_config)
        report("Jisr's lesson what-is-ai:", n, args.workers, stock, ours)


if __name__ == "__main__":
    main()
