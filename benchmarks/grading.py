"""Submissions per minute: plain `nbgrader autograde` against Jisr's sandboxed grader,
on the same submissions in the same run.

    python benchmarks/grading.py --submissions 40

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from jisr.autograder.batch import grade_assignment
from jisr.nbgrader_course import make_course
from jisr.source import lesson_by_key


def make_class(course: Path, n: int) -> None:
    """n submissions: a mix of correct, blank, wrong and alternative answers."""
    lesson = lesson_by_key("fundamentals/what-is-ai")
    source = nbformat.read(course / "source/what-is-ai/what-is-ai.ipynb", as_version=4)
    reference = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q3-answer")
    answers = [reference, None] + [w["code"] for w in lesson.grading["q3"]["wrong_answers"]] + [a["code"] for a in lesson.grading["q3"]["alternatives"]]
    for i in range(n):
        target = course / "submitted" / f"student{i:03d}" / "what-is-ai"
        shutil.copytree(course / "release" / "what-is-ai", target)
        path = target / "what-is-ai.ipynb"
        nb = nbformat.read(path, as_version=4)
        answer = answers[i % len(answers)]
        for cell in nb.cells:
            if answer is not None and cell.metadata.get("nbgrader", {}).get("grade_id") == "q3-answer":
                cell.source = answer
        nbformat.write(nb, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        course = make_course("en", Path(tmp) / "en")
        subprocess.run(["nbgrader", "generate_assignment", "what-is-ai", "--force"], cwd=course, env=env, check=True, capture_output=True)
        make_class(course, args.submissions)
        start = time.perf_counter()
        subprocess.run(["nbgrader", "autograde", "what-is-ai", "--force"], cwd=course, env=env, check=True, capture_output=True)
        plain = time.perf_counter() - start
        (course / "gradebook.db").unlink()
        subprocess.run(["nbgrader", "db", "assignment", "add", "what-is-ai"], cwd=course, env=env, check=True, capture_output=True)
        subprocess.run(["nbgrader", "generate_assignment", "what-is-ai", "--force"], cwd=course, env=env, check=True, capture_output=True)
        start = time.perf_counter()
        grade_assignment(course, "what-is-ai", workers=args.workers)
        ours = time.perf_counter() - start
    n = args.submissions
    print(f"{n} submissions, {os.cpu_count()} cores")
    print(f"plain nbgrader autograde: {plain:7.1f} s  {60 * n / plain:6.1f} submissions/minute")
    print(f"jisr grade (sandboxed, {args.workers} workers): {ours:7.1f} s  {60 * n / ours:6.1f} submissions/minute")
    print(f"ratio (jisr / nbgrader): {plain / ours:.2f}")


if __name__ == "__main__":
    main()
