"""The teacher's side: an nbgrader course per language, from the same lesson sources.

``make_course("fr")`` writes ``_build/nbgrader/fr/`` with ``nbgrader_config.py``
and ``source/<lesson id>/<lesson id>.ipynb``; from there nbgrader's own
workflow runs as usual (``nbgrader generate_assignment``, release, collect,
``nbgrader autograde``, formgrader, feedback).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .i18n import LANG_MARKER
from .paths import build_dir, project_root
from .render import render
from .source import LessonSource, find_lessons


def graded_lessons() -> list[LessonSource]:
    """Lessons that have at least one graded exercise."""
    return [lesson for lesson in find_lessons() if any(s.get("graded") for s in lesson.exercises.values())]


def make_course(language: str, root: Path | None = None) -> Path:
    """Write (or refresh) the nbgrader course folder for ``language``; return it."""
    root = root or build_dir() / "nbgrader" / language
    root.mkdir(parents=True, exist_ok=True)
    template = (project_root() / "autograder" / "nbgrader_config.py").read_text(encoding="utf-8")
    config = template + f'\nc.CourseDirectory.course_id = "jisr-{language}"\nc.CourseDirectory.root = {str(root)!r}\n'
    (root / "nbgrader_config.py").write_text(config, encoding="utf-8")
    for lesson in graded_lessons():
        folder = root / "source" / lesson.meta["id"]
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(render(lesson, language, "nbgrader"), folder / f"{lesson.meta['id']}.ipynb")
        (folder / LANG_MARKER).write_text(language, encoding="utf-8")
    return root
