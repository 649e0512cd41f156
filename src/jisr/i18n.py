"""Translations at run time: gettext catalogs, plurals, and the learner's language.

Every learner-visible string is a catalog message. Logic returns a
:class:`Message` (an English message id with parameters); a view formats it in
the learner's language only when it is shown.

Examples
--------
>>> t = Translator.for_package("fr")
>>> t.gettext("Correct!")
'Bonne réponse !'
>>> Message("Correct!").format(t)
'Bonne réponse !'
"""

from __future__ import annotations

import gettext as _gettext
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polib

from .languages import LANGUAGES, SOURCE_LANGUAGE
from .paths import package_locales_dir

LANG_MARKER = "jisr-lang.txt"
"""A file holding a language code; rendered notebooks find it in their folder."""

_DEFAULT_PLURAL = "nplurals=2; plural=(n != 1);"


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the package catalog; return it unchanged."""
    return message


@dataclass(frozen=True)
class Message:
    """A message id (English) with parameters, translated only when shown.

    ``plural`` and ``n`` select a plural form with the language's own rules
    (Arabic has six).
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    n: int | None = None

    def format(self, translator: Translator) -> str:
        if self.plural is not None and self.n is not None:
            text = translator.ngettext(self.msgid, self.plural, self.n)
        else:
            text = translator.gettext(self.msgid)
        if not self.params:
            return text
        params = {k: translator.number(v.value, v.digits) if isinstance(v, Number) else v for k, v in self.params.items()}
        return text.format(**params)


@dataclass(frozen=True)
class Number:
    """A number in a :class:`Message`, written for the reader only when shown (0,5 in French).

    >>> Message("after {s} seconds", {"s": Number(0.5)}).format(Translator("fr"))
    'after 0,5 seconds'
    """

    value: float
    digits: int | None = None


@lru_cache(maxsize=64)
def _load_po(path: str, mtime: float) -> tuple[dict[str, list[str]], str]:
    """Read a ``.po`` file into {msgid: [forms]}, skipping fuzzy and empty entries."""
    po = polib.pofile(path)
    table: dict[str, list[str]] = {}
    for entry in po:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue  # a stale translation is worse than the English source
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
            if all(forms):
                table[entry.msgid] = forms
        elif entry.msgstr:
            table[entry.msgid] = [entry.msgstr]
    return table, po.metadata.get("Plural-Forms", _DEFAULT_PLURAL)


def _plural_function(header: str):
    expr = header.split("plural=", 1)[1].rstrip().rstrip(";")
    return _gettext.c2py(expr)


class Translator:
    """Look up messages in one or more ``.po`` catalogs, first match wins.

    A message missing from every catalog falls back to the English source,
    so a missing translation never hides text from a learner; ``jisr check``
    reports it.
    """

    def __init__(self, language: str, catalogs: Iterable[Path] = ()) -> None:
        self.language = language
        self._tables: list[dict[str, list[str]]] = []
        plural_header = _DEFAULT_PLURAL
        for path in catalogs:
            if language == SOURCE_LANGUAGE or not path.is_file():
                continue
            table, plural_header = _load_po(str(path), path.stat().st_mtime)
            self._tables.append(table)
        self._plural = _plural_function(plural_header)

    @classmethod
    def for_package(cls, language: str) -> Translator:
        """The translator for the package's own messages (feedback, CLI)."""
        return cls(language, [package_locales_dir() / f"{language}.po"])

    def _lookup(self, msgid: str) -> list[str] | None:
        for table in self._tables:
            if msgid in table:
                return table[msgid]
        return None

    def gettext(self, msgid: str) -> str:
        forms = self._lookup(msgid)
        return forms[0] if forms else msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._lookup(singular)
        if forms:
            index = int(self._plural(n))
            return forms[min(index, len(forms) - 1)]
        return singular if n == 1 else plural

    def __call__(self, msgid: str) -> str:
        return self.gettext(msgid)

    def plot(self, msgid: str) -> str:
        """Translate a label for matplotlib, which does not shape Arabic itself."""
        return shape_for_plot(self.gettext(msgid), self.language)

    def n(self, singular: str, plural: str, n: int) -> str:
        """Short form of :meth:`ngettext` for notebooks."""
        return self.ngettext(singular, plural, n)

    def number(self, value: float, digits: int | None = None) -> str:
        """``value`` written for a reader of this language (see :func:`format_number`)."""
        return format_number(value, digits, self.language)


NUMBER_LOCALES = {"ar": "ar_MA", "fr": "fr_MA", "en": "en"}
"""The Babel locale that writes numbers for each language's readers in Morocco.

Moroccan Arabic writing uses the digits 0-9 with a decimal comma (CLDR's
``ar_MA``: 0,87 and 1.234,5), not the Arabic-Indic digits of the Mashriq;
French uses a decimal comma and a narrow no-break space between thousands."""


def format_number(value: float, digits: int | None, language: str) -> str:
    """Write ``value`` with ``digits`` decimals (all of them kept, 0.50 stays 0,50) as
    a reader of ``language`` expects; ``digits=None`` keeps up to three.

    >>> format_number(0.8667, 3, "fr"), format_number(0.8667, 2, "ar"), format_number(1234.5, 1, "en")
    ('0,867', '0,87', '1,234.5')
    """
    from babel.numbers import format_decimal

    locale = NUMBER_LOCALES.get(language, "en")
    if digits is None:
        return format_decimal(value, locale=locale)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=locale)


def matplotlib_shapes_text() -> bool:
    """True when matplotlib lays text out with libraqm (3.11 and later): it joins
    Arabic letters and orders right-to-left text by itself."""
    from matplotlib import ft2font

    return hasattr(ft2font, "__libraqm_version__")


def shape_for_plot(text: str, language: str) -> str:
    """Prepare a label so that matplotlib draws Arabic joined and right-to-left.

    Matplotlib 3.11 shapes text itself (libraqm): the label is returned as it
    is, since shaping it twice would reverse it. Older matplotlib draws
    characters one by one, left to right: there the reshaper picks each
    letter's joined form and bidi reorders the line for display.
    """
    if LANGUAGES[language].direction != "rtl" or matplotlib_shapes_text():
        return text
    import arabic_reshaper
    from bidi import get_display

    return get_display(arabic_reshaper.reshape(text))


def _language_from_notebook(path: Path) -> str | None:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    code = meta.get("jisr", {}).get("lang")
    return code if code in LANGUAGES else None


def _language_from_marker(start: Path) -> str | None:
    for folder in [start, *start.parents]:
        marker = folder / LANG_MARKER
        if marker.is_file():
            code = marker.read_text(encoding="utf-8").strip()
            if code in LANGUAGES:
                return code
    return None


NOTEBOOK_LANGUAGE_VARIABLE = "lang"
"""The variable the rendered notebook's ``parameters`` cell sets to its language.

The parameters cell holds settings, not lesson code (papermill may replace
it: ``-p lang fr``), so it is the one cell allowed to differ by language.
Whatever runs the notebook (JupyterLab, nbconvert, papermill, VS Code), that
cell runs first, so the notebook's own language wins."""


def notebook_language(namespace: Mapping[str, Any] | None) -> str | None:
    """The language a running notebook declares: its ``lang`` setting, or the
    metadata of the file VS Code says it runs (``__vsc_ipynb_file__``)."""
    if not namespace:
        return None
    code = namespace.get(NOTEBOOK_LANGUAGE_VARIABLE)
    if isinstance(code, str) and code in LANGUAGES:
        return code
    path = namespace.get("__vsc_ipynb_file__")
    if isinstance(path, str) and path.endswith(".ipynb"):
        return _language_from_notebook(Path(path))
    return None


def current_language(cwd: Path | None = None, namespace: Mapping[str, Any] | None = None) -> str:
    """Find the learner's language without any code that differs by language.

    In order: the notebook's own setting (``lang`` in its parameters cell,
    see :func:`notebook_language`, when ``namespace`` is the notebook's);
    ``JISR_LANG``; the metadata of the notebook the kernel serves (Jupyter
    Server puts its path in ``JPY_SESSION_NAME``); a ``jisr-lang.txt`` file
    in the working folder or above it (rendered courses, nbgrader releases and
    the book's sources carry one); English.
    """
    declared = notebook_language(namespace)
    if declared:
        return declared
    env = os.environ.get("JISR_LANG", "")
    if env in LANGUAGES:
        return env
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb"):
        found = _language_from_notebook(Path(session))
        if found:
            return found
    return _language_from_marker((cwd or Path.cwd()).resolve()) or SOURCE_LANGUAGE


def cli_language() -> str:
    """The language for command-line messages: ``JISR_LANG``, then ``LANG``."""
    for value in (os.environ.get("JISR_LANG", ""), os.environ.get("LANG", "")):
        code = value.split("_")[0].split(".")[0]
        if code in LANGUAGES:
            return code
    return SOURCE_LANGUAGE
