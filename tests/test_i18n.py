"""Finding the learner's language, fallbacks, and Arabic plot labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jisr.i18n import LANG_MARKER, Translator, current_language, shape_for_plot


def test_language_comes_from_the_environment_then_the_notebook_then_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JISR_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert current_language(tmp_path) == "en"
    (tmp_path / LANG_MARKER).write_text("fr")
    (tmp_path / "part").mkdir()
    assert current_language(tmp_path / "part") == "fr"
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text(json.dumps({"metadata": {"jisr": {"lang": "ar"}}, "cells": []}))
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    assert current_language(tmp_path) == "ar"
    monkeypatch.setenv("JISR_LANG", "en")
    assert current_language(tmp_path) == "en"


def test_missing_translation_falls_back_to_english() -> None:
    t = Translator.for_package("fr")
    assert t.gettext("A message nobody translated") == "A message nobody translated"
    assert t.ngettext("one thing", "{n} things", 3) == "{n} things"


def test_fuzzy_entries_are_not_shown(tmp_path: Path) -> None:
    po = tmp_path / "fr.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n#, fuzzy\nmsgid "Hello"\nmsgstr "Bonjour (ancien)"\n\nmsgid "Bye"\nmsgstr "Au revoir"\n', encoding="utf-8")
    t = Translator("fr", [po])
    assert t("Hello") == "Hello" and t("Bye") == "Au revoir"


def test_arabic_plot_labels_are_shaped_exactly_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import jisr.i18n as i18n

    # matplotlib 3.11 (pinned) shapes Arabic itself: shaping again would reverse the label
    assert i18n.matplotlib_shapes_text()
    assert shape_for_plot("الطول", "ar") == "الطول"
    # an older matplotlib draws letters one by one: the label is joined and ordered for it
    monkeypatch.setattr(i18n, "matplotlib_shapes_text", lambda: False)
    shaped = shape_for_plot("الطول", "ar")
    assert all(0xFE70 <= ord(ch) <= 0xFEFF for ch in shaped)
    assert shaped != "الطول"
    assert shape_for_plot("Length", "fr") == "Length"


def test_arabic_label_renders_like_the_browser_would(tmp_path: Path) -> None:
    """Drawn through tr.plot, an Arabic word keeps its joined width (isolated letters are wider)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def width(text: str) -> float:
        fig = plt.figure()
        label = fig.text(0, 0, text, fontsize=20)
        fig.canvas.draw()
        w = label.get_window_extent().width
        plt.close(fig)
        return w

    word = "الطول"
    isolated = "\u200c".join(word)  # zero-width non-joiners force every letter apart
    assert width(shape_for_plot(word, "ar")) < width(isolated)


def test_the_notebooks_own_setting_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jisr.i18n import notebook_language

    monkeypatch.setenv("JISR_LANG", "fr")
    (tmp_path / LANG_MARKER).write_text("en", encoding="utf-8")
    assert current_language(tmp_path, namespace={"lang": "ar"}) == "ar"  # the parameters cell's setting wins
    assert current_language(tmp_path, namespace={"lang": "xx"}) == "fr"  # an unknown code is ignored
    assert current_language(tmp_path, namespace={"lang": 3}) == "fr"
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text(json.dumps({"metadata": {"jisr": {"lang": "ar"}}, "cells": []}), encoding="utf-8")
    assert notebook_language({"__vsc_ipynb_file__": str(notebook)}) == "ar"  # VS Code names the file it runs
    assert notebook_language({"__vsc_ipynb_file__": str(tmp_path / "missing.ipynb")}) is None
    assert notebook_language(None) is None
