"""The course on a JupyterHub for a class: one machine, one command (``jisr hub``).

- :mod:`.classlist` reads the teacher's class list (who, which role, which language).
- :mod:`.setup` writes the hub's folder: configuration, exchange, one nbgrader
  course (one gradebook) per class, the proxy from npm, initial passwords.
- :mod:`.config` is what the hub's ``jupyterhub_config.py`` calls: accounts,
  roles, the spawner that makes each learner's Unix account, language and limits.
- :mod:`.exchange` is the teacher's term: release in each language, collect
  with the hub's arrival times, grade with the safe grader, return feedback.
- :mod:`.stamp` is the hub service that notes when each submission arrives.
- :mod:`.links` makes the "open on the hub" links (nbgitpuller) of the book.
- :mod:`.lti` maps Moodle's LTI 1.3 roles to the hub's groups.
"""
