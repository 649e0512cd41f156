"""Translations stay in step with the English: a changed paragraph makes the check fail
until French and Arabic are updated."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from jisr.catalogs import catalog_status, update_catalog
from jisr.check import run_check, update_all
from jisr.languages import TRANSLATIONS
from jisr.paths import project_root
from jisr.source import Unit

LESSON = "courses/fundamentals/what-is-ai"
PARAGRAPH = "Khadija can sort a date at a glance."


@pytest.fixture()
def course_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the course sources to change freely; the package catalogs stay the real ones."""
    root = tmp_path / "jisr"
    for folder in ("courses", "book/pages", "book/locales", "datasets"):
        shutil.copytree(project_root() / folder, root / folder)
    shutil.copy(project_root() / "book/_toc.yml", root / "book/_toc.yml")
    monkeypatch.setenv("JISR_ROOT", str(root))
    # update_all() also rewrites the package's catalogs: point it at a copy, never at the source tree
    import jisr.check
    from jisr.paths import package_locales_dir

    shutil.copytree(package_locales_dir(), root / "package-locales")
    monkeypatch.setattr(jisr.check, "package_locales_dir", lambda: root / "package-locales")
    return root


def _entry_starting(po: polib.POFile, start: str) -> polib.POEntry:
    found = [e for e in po if e.msgid.startswith(start) and not e.obsolete]
    assert len(found) == 1, start
    return found[0]


def run_cli(*args: str, env_lang: str = "en") -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "JISR_LANG": env_lang}
    return subprocess.run([sys.executable, "-m", "jisr.cli", *args], capture_output=True, text=True, env=env)


def test_the_shipped_course_is_fully_translated() -> None:
    report = run_check()
    assert report.problems == []
    for language in TRANSLATIONS:
        assert report.totals(language) == (0, 0, 0), language
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    for language in TRANSLATIONS:
        assert f"{language}: 0 missing, 0 stale, 0 broken" in result.stdout


def test_changed_english_makes_translations_stale(course_copy: Path) -> None:
    lesson = course_copy / LESSON / "lesson.md"
    text = lesson.read_text(encoding="utf-8")
    assert PARAGRAPH in text
    lesson.write_text(text.replace(PARAGRAPH, "Khadija can sort a date in one glance."), encoding="utf-8")

    report = run_check()
    assert not report.ok
    for language in TRANSLATIONS:
        missing, stale, broken = report.totals(language)
        assert (missing, stale) == (0, 1), language
    result = run_cli("check")
    assert result.returncode == 1
    assert "stale" in result.stderr

    # the translators' tool: the old translation is kept, flagged fuzzy, with the old English beside it
    update_all()
    for language in TRANSLATIONS:
        po = polib.pofile(str(course_copy / LESSON / "locales" / f"{language}.po"))
        entry = _entry_starting(po, "Khadija can sort a date in one glance.")
        assert "fuzzy" in entry.flags
        assert entry.previous_msgid.startswith(PARAGRAPH)
        assert entry.msgstr  # the old translation, to edit rather than retype
    assert not run_check().ok  # still stale until a translator reviews it

    for language in TRANSLATIONS:
        path = course_copy / LESSON / "locales" / f"{language}.po"
        po = polib.pofile(str(path))
        entry = _entry_starting(po, "Khadija can sort a date in one glance.")
        entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        po.save(str(path))
    assert run_check().ok
    assert run_cli("check").returncode == 0


def test_a_new_paragraph_is_missing_and_reported_in_the_users_language(course_copy: Path) -> None:
    lesson = course_copy / LESSON / "lesson.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nA completely new closing paragraph about water in the Souss.\n", encoding="utf-8")
    report = run_check()
    assert report.totals("fr")[0] == 1 and report.totals("ar")[0] == 1
    result = run_cli("check", env_lang="fr")
    assert result.returncode == 1
    assert "fr: 1 manquant" in result.stdout or "1 manquant" in result.stdout
    arabic = run_cli("check", env_lang="ar")
    assert arabic.returncode == 1 and any("\u0600" <= ch <= "\u06ff" for ch in arabic.stdout)


def test_broken_placeholders_are_caught(tmp_path: Path) -> None:
    path = tmp_path / "fr.po"
    unit = Unit("Accuracy: {value:.2f}", "x")
    po = update_catalog([unit], path, "fr")
    po[0].msgstr = "Exactitude : {valeur:.2f}"
    po.save(str(path))
    status = catalog_status([unit], path, "fr")
    assert status.broken == ["Accuracy: {value:.2f}"]


def test_arabic_plural_forms_follow_the_language() -> None:
    from jisr.i18n import Message, Translator

    t = Translator.for_package("ar")
    msg = lambda n: Message("{passed} test out of {total} passed.", {"passed": n, "total": 200},  # noqa: E731
                            plural="{passed} tests out of {total} passed.", n=n).format(t)
    forms = {msg(n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(forms) == 6, forms  # six plural forms, as Arabic grammar has


def test_malformed_sources_get_clear_messages_all_at_once(course_copy: Path) -> None:
    broken = course_copy / "courses/fundamentals/broken-yaml"
    shutil.copytree(course_copy / LESSON, broken)
    text = (broken / "lesson.md").read_text(encoding="utf-8").replace("id: what-is-ai", "id: broken-yaml")
    (broken / "lesson.md").write_text(text, encoding="utf-8")
    (broken / "exercises.yml").write_text("q1: [unclosed\n", encoding="utf-8")
    no_objectives = course_copy / "courses/fundamentals/no-objectives"
    shutil.copytree(course_copy / LESSON, no_objectives)
    text = (no_objectives / "lesson.md").read_text(encoding="utf-8").replace("id: what-is-ai", "id: no-objectives")
    (no_objectives / "lesson.md").write_text(text.replace("  objectives:", "  goals:"), encoding="utf-8")

    result = run_cli("check", env_lang="fr")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "broken-yaml/exercises.yml : YAML invalide" in result.stderr
    assert "no-objectives/lesson.md : il manque objectives" in result.stderr
    assert "2 problèmes" in result.stdout or "problèmes" in result.stdout


def test_package_messages_use_typographic_apostrophes() -> None:
    """Issue 8 (E11): « C’était », « l’une », "laptop’s": no straight apostrophe between letters
    outside `code` in the package's French translations nor in its English messages (Sphinx's
    own search message is a lookup key and stays as Sphinx writes it)."""
    import re

    import polib

    from jisr.book import SEARCH_MESSAGES
    from jisr.paths import package_locales_dir

    apostrophe = re.compile(r"(?<=\w)'(?=\w)|(?<=s)'(?=\s)")

    def prose(text: str) -> str:
        return "".join(part for i, part in enumerate(text.split("`")) if i % 2 == 0)

    found = []
    for entry in polib.pofile(str(package_locales_dir() / "fr.po")):
        if entry.obsolete:
            continue
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if apostrophe.search(prose(text)):
                found.append(f"fr: {text[:70]}")
        if entry.msgid not in SEARCH_MESSAGES and apostrophe.search(prose(entry.msgid)):
            found.append(f"en: {entry.msgid[:70]}")
    assert not found, found
