"""Learning with no connection and no account.

* :mod:`jisr.offline.kit` -- ``jisr kit``: one zip with the book in three languages, the
  learner's notebooks, the data sets, the learner's wheel and a "start here" page.
* :mod:`jisr.offline.progress` -- the self-checks a learner passed, kept in the notebook folder.
* :mod:`jisr.offline.browser` -- the messages and lesson list ``book/static/progress.js`` shows
  (progress in the book, kept in the browser's own storage).

Only :mod:`~jisr.offline.progress` is imported by a learner's notebook; it needs the standard library only.
"""
