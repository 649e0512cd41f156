"""A learner notebook opened where ``jisr`` is not installed says what to do.

The first ``import jisr`` of a learner notebook is wrapped in a guard: when the
package is missing, the cell shows a few lines in the notebook's language (the
commands to install the course and open it, and the page that explains them)
instead of a traceback, and "Run all" stops there instead of failing in every
later cell. The texts are written at render time, so they need nothing installed.

>>> code = guard_import("import jisr\\nlesson = jisr.start_lesson('x')")
>>> code.splitlines()[0]
'try:'
>>> "lesson = jisr.start_lesson('x')" in code
True
"""

from __future__ import annotations

import re
import textwrap

from .i18n import NOTEBOOK_LANGUAGE_VARIABLE, Message, N_, Translator
from .languages import LANGUAGES

WIDTH = 48
"""Message lines stay short; the commands are never cut (a learner copies them as they are)."""

_IMPORT = re.compile(r"^import jisr[ \t]*$", re.M)


def wheel_name() -> str:
    """The file name of this version's wheel, as the offline kit and teachers hand it out."""
    from . import __version__

    return f"jisr-{__version__}-py3-none-any.whl"


def missing_message(t: Translator, language: str) -> list[str]:
    """The lines shown when ``jisr`` cannot be imported, in ``t``'s language."""
    wheel = wheel_name()
    paragraphs = [
        Message(N_("This notebook needs the course package jisr, which is not installed here.")).format(t),
        Message(N_("On Windows, install it once from the Command Prompt, in the folder that holds the file {wheel}:"),
                {"wheel": wheel}).format(t),
        f"    py -m pip install {wheel}",
        Message(N_("then open the lessons with:")).format(t),
        f"    py -m jisr lab --lang {language}",
        Message(N_("On macOS, on Linux or on a JupyterHub, the page “Run the lessons” of the course book gives the commands and says where to get the file.")).format(t),
    ]
    lines: list[str] = []
    for text in paragraphs:
        # commands stay on one line: a learner copies them as they are
        lines += [text] if text.startswith("    ") else textwrap.wrap(text, WIDTH)
    return lines


def guard_import(code: str) -> str:
    """Wrap the first ``import jisr`` line of ``code`` in the guard; other code is unchanged.

    The guard carries the message in every course language and shows the one
    the parameters cell declared (``lang = "ar"``), so that the code stays the
    same in every language.
    """
    if not _IMPORT.search(code):
        return code
    entries = []
    for language in LANGUAGES:
        lines = "\n".join(f"            {line!r}," for line in missing_message(Translator.for_package(language), language))
        entries.append(f"        {language!r}: [\n{lines}\n        ],")
    guard = (
        "try:\n"
        "    import jisr\n"
        "except ModuleNotFoundError:\n"
        "    how = {\n"
        + "\n".join(entries) + "\n"
        "    }\n"
        "\n"
        "    class JisrMissing(Exception):\n"
        "        def _render_traceback_(self):  # shown instead of a traceback\n"
        f"            language = globals().get({NOTEBOOK_LANGUAGE_VARIABLE!r})\n"
        "            return how.get(language, how[\"en\"])\n"
        "\n"
        "    raise JisrMissing() from None"
    )
    return _IMPORT.sub(lambda _: guard, code, count=1)
