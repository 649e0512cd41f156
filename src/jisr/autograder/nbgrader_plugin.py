"""``nbgrader autograde`` (and the formgrader's "Autograde" button) made safe.

nbgrader's autograde step runs the submitted notebook in an ordinary kernel
(its ``Execute`` preprocessor), with the teacher's rights. A course that puts
this in its ``nbgrader_config.py`` (``jisr course`` does it for its courses)::

    from jisr.autograder.nbgrader_plugin import SAFE_AUTOGRADE
    c.Autograde.autograde_preprocessors = SAFE_AUTOGRADE

(nbgrader's own list of steps, :data:`SAFE_AUTOGRADE` below, with ``Execute``
replaced by :class:`SandboxExecute`) replaces that one step with Jisr's: the student's *submitted* file is read
and restored again by Jisr (:func:`jisr.autograder.batch.grade_one`), runs in
the sandbox, and the notebook handed on is the one ``jisr grade`` writes, a
failed test cell carrying an error output. nbgrader's own ``SaveAutoGrades``
then reads from it the same points as ``jisr grade`` records, and the
submission time is Jisr's trusted one (nbgrader had just copied the
student's ``timestamp.txt``). So the button gives what ``jisr grade --student``
gives, and cannot undo it.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

SAFE_AUTOGRADE = [
    "jisr.autograder.nbgrader_plugin.SandboxExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
"""nbgrader's ``Autograde.autograde_preprocessors`` with ``Execute`` replaced by :class:`SandboxExecute`."""


class SandboxExecute(Preprocessor):
    """nbgrader's ``Execute`` step, done by Jisr's sandboxed grader."""

    # nbconvert's preprocessors are off unless enabled; skipped, no test would fail and every test cell would pass
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):  # noqa: ANN001 - nbconvert's signature
        import nbformat
        from nbgrader.coursedir import CourseDirectory

        from . import sandbox
        from .batch import course_language, grade_one
        from .gradebook import record_time, recorded_times
        from .intake import released_time
        from .plain import PLAIN_LIMITS, cell_timeout, course_files, is_plain

        if not sandbox.available():
            raise RuntimeError("Jisr's sandbox cannot start here, so the notebook is not run: "
                               f"{sandbox.unavailable_detail() or sandbox.unavailable_reason()}")
        info = resources["nbgrader"]
        student, assignment, notebook = info["student"], info["assignment"], info["notebook"]
        coursedir = CourseDirectory(config=self.config)
        course = Path(coursedir.root)
        source_folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        source = nbformat.read(source_folder / f"{notebook}.ipynb", as_version=4)
        folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        plain = is_plain(source)
        previous = recorded_times(info["db_url"], assignment).get(student)
        outcome = grade_one(source, folder, assignment, PLAIN_LIMITS if plain else sandbox.Limits(),
                            previous, released_time(course, assignment),
                            language=course_language(source), cell_seconds=cell_timeout(course),
                            files=course_files(source_folder) if plain else None)
        if outcome.autograded is None:
            reason = outcome.error.msgid if outcome.error is not None else "no result"
            raise RuntimeError(f"Jisr could not grade {student}'s {assignment}: {reason}")
        if outcome.timestamp is not None:
            record_time(info["db_url"], assignment, student, outcome.timestamp)
        return outcome.autograded, resources
