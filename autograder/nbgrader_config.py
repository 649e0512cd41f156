# nbgrader configuration for a Jisr course, one per language.
# `jisr course` copies this file into _build/nbgrader/<lang>/ and appends the
# course id; a teacher can copy it to JupyterHub as it is.
c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file

# Released notebooks show this in place of a solution: no words, so it reads
# the same in Arabic, French and English.
c.ClearSolutions.code_stub = {"python": "# ✍️\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "✍️"

# Lessons are small and frugal; a notebook that runs longer is stuck.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# Grading runs the lesson's own set-up, which needs the course files (the
# language marker jisr-lang.txt travels with each assignment).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# `nbgrader autograde` and the formgrader's "Autograde" button grade with
# Jisr's sandbox, as `jisr grade` does: nbgrader's own step would run the
# students' code with the teacher's rights and trust its own test cells.
from jisr.autograder.nbgrader_plugin import SAFE_AUTOGRADE  # noqa: E402

c.Autograde.autograde_preprocessors = SAFE_AUTOGRADE
