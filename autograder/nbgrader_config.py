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
