"""gettext catalogs for translators: keep them in step with the English source.

``update_catalog`` works like ``msgmerge``: a new English text whose old
version was translated keeps that translation, flagged *fuzzy* (stale) with the
previous English text beside it, so a translator in Poedit or Weblate sees
exactly what changed. ``catalog_status`` is what ``jisr check`` reports.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polib

from .source import Unit

PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "ar": (
        "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
        "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
    ),
}
SIMILARITY = 0.6  # below this, a changed text counts as new rather than stale
# Python format fields ({n}, {value:.2f}); braces right after a letter or a backslash are LaTeX (\text{...})
_PLACEHOLDER = re.compile(r"(?<![\w\\}])\{(?:[A-Za-z_]\w*)?(?:[:!][^{}]*)?\}")


@dataclass
class CatalogStatus:
    """What a catalog lacks for one language."""

    language: str
    path: Path
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # placeholders that differ from the source

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.broken)


def _unique(units: Iterable[Unit]) -> list[Unit]:
    seen: dict[str, Unit] = {}
    for unit in units:
        seen.setdefault(unit.msgid, unit)
    return list(seen.values())


def _load(path: Path, language: str) -> polib.POFile:
    if path.is_file():
        return polib.pofile(str(path), wrapwidth=0)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "jisr",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS[language],
    }
    return po


def _closest(msgid: str, candidates: list[polib.POEntry]) -> polib.POEntry | None:
    best, best_ratio = None, SIMILARITY
    for entry in candidates:
        ratio = difflib.SequenceMatcher(None, msgid, entry.msgid).ratio()
        if ratio >= best_ratio:
            best, best_ratio = entry, ratio
    return best


def update_catalog(units: Iterable[Unit], path: Path, language: str) -> polib.POFile:
    """Merge the source's messages into ``path``; return the saved catalog."""
    units = _unique(units)
    po = _load(path, language)
    by_id = {e.msgid: e for e in po}
    wanted = {u.msgid for u in units}
    leftovers = [e for e in po if e.msgid not in wanted and (e.msgstr or e.msgstr_plural)]
    nplurals = int(PLURAL_FORMS[language].split("nplurals=")[1].split(";")[0])
    entries: list[polib.POEntry] = []
    for unit in units:
        entry = by_id.get(unit.msgid)
        if entry is None:
            entry = polib.POEntry(msgid=unit.msgid, msgstr="")
            if unit.plural:
                entry.msgid_plural = unit.plural
                entry.msgstr_plural = {i: "" for i in range(nplurals)}
            old = _closest(unit.msgid, leftovers)
            if old is not None:
                entry.msgstr, entry.flags = old.msgstr, ["fuzzy"]
                entry.previous_msgid = old.msgid
                if unit.plural and old.msgstr_plural:
                    entry.msgstr_plural = dict(old.msgstr_plural)
                leftovers.remove(old)
        entry.obsolete = False
        entry.occurrences = [(unit.where, "")]
        entry.comment = unit.comment or ""
        entries.append(entry)
    for entry in leftovers:
        entry.obsolete, entry.occurrences = True, []
    po[:] = entries + leftovers
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return po


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def catalog_status(units: Iterable[Unit], path: Path, language: str) -> CatalogStatus:
    """Compare the source's messages with the catalog, without writing anything."""
    status = CatalogStatus(language, path)
    po = _load(path, language)
    by_id = {e.msgid: e for e in po if not e.obsolete}
    units = _unique(units)
    wanted = {u.msgid for u in units}
    translated_leftovers = [e for e in po if e.msgid not in wanted and (e.msgstr or e.msgstr_plural)]
    for unit in units:
        entry = by_id.get(unit.msgid)
        if entry is None:
            # the English changed since the translation was made: stale, not merely missing
            if _closest(unit.msgid, translated_leftovers) is not None:
                status.stale.append(unit.msgid)
            else:
                status.missing.append(unit.msgid)
            continue
        if "fuzzy" in entry.flags:
            status.stale.append(unit.msgid)
            continue
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(forms):
            status.missing.append(unit.msgid)
            continue
        if entry.msgid_plural:
            allowed = set(_placeholders(unit.msgid)) | set(_placeholders(entry.msgid_plural))
            # a form may say a number in words ("one", "two", "all") and drop {n},
            # but never invent a placeholder the code does not pass
            if any(not set(_placeholders(form)) <= allowed for form in forms):
                status.broken.append(unit.msgid)
        elif _placeholders(entry.msgstr) != _placeholders(unit.msgid):
            status.broken.append(unit.msgid)
    return status
