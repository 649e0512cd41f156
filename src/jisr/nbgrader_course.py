"""The teacher's side: an nbgrader course per language, from the same lesson sources.

``make_course("fr")`` writes ``_build/nbgrader/fr/`` with ``nbgrader_config.py``
and ``source/<lesson id>/<lesson id>.ipynb``, then generates every assignment
with nbgrader (``release/`` and ``gradebook.db``), so a teacher goes straight
to releasing, collecting and ``jisr grade``. The configuration holds no
absolute path: nbgrader's course root is the folder it is run from, so the
course works wherever it is copied.

Each lesson is one assignment holding the graded items of every track it counts
for. A track is a set of assignments: ``tracks.yml`` beside the configuration
lists, per track (from ``courses/tracks.yml`` and each lesson's ``exercises.yml``),
its assignments, the grade cells that count for it, their points and the pass mark
of its badge (``jisr.coursemap.course_tracks``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from .i18n import LANG_MARKER
from .paths import build_dir, project_root
from .render import render
from .source import LessonSource, find_lessons


def graded_lessons() -> list[LessonSource]:
    """Lessons that have at least one graded exercise."""
    return [lesson for lesson in find_lessons() if any(s.get("graded") for s in lesson.exercises.values())]


def make_course(language: str, root: Path | None = None, *, generate: bool = True) -> Path:
    """Write (or refresh) the nbgrader course folder for ``language`` and generate its assignments; return it.

    ``generate=False`` writes only ``source/`` and the configuration.
    """
    root = root or build_dir() / "nbgrader" / language
    root.mkdir(parents=True, exist_ok=True)
    template = (project_root() / "autograder" / "nbgrader_config.py").read_text(encoding="utf-8")
    config = template + f'\nc.CourseDirectory.course_id = "jisr-{language}"\n'
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    _write_tracks(root, graded_lessons())
    for lesson in graded_lessons():
        folder = root / "source" / lesson.meta["id"]
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(render(lesson, language, "nbgrader"), folder / f"{lesson.meta['id']}.ipynb")
        (folder / LANG_MARKER).write_text(language, encoding="utf-8")
    if generate:
        for lesson in graded_lessons():
            generate_assignment(root, lesson.meta["id"])
    return root


TRACKS_HEADER = """\
# The course's tracks as sets of this course's assignments (written by `jisr course`
# from courses/tracks.yml and each lesson's exercises.yml; do not edit: run it again).
# A learner earns a track's badge with at least pass_mark_percent of max_points, counting
# only the grade cells listed for the track (nbgrader's gradebook: assignment, grade cell).
"""


def _write_tracks(root: Path, lessons: list[LessonSource]) -> Path:
    from .coursemap import course_tracks

    path = root / "tracks.yml"
    text = TRACKS_HEADER + yaml.safe_dump(course_tracks(lessons), allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def read_tracks(course: Path) -> dict:
    """The tracks of an nbgrader course written by :func:`make_course`."""
    return yaml.safe_load((course / "tracks.yml").read_text(encoding="utf-8")) or {}


class GenerateError(RuntimeError):
    """``nbgrader generate_assignment`` failed; the message has the end of its log."""


def generate_assignment(course: Path, assignment: str) -> None:
    """Run ``nbgrader generate_assignment`` in ``course`` with this Python's tools.

    nbgrader runs the ``alembic`` command when it creates the gradebook: the
    interpreter's own ``bin`` folder goes first on PATH, so it is found whether
    or not the teacher activated the virtual environment.
    """
    tools = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
                          cwd=course, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise GenerateError((done.stdout + done.stderr)[-2000:])
