"""Every data set: registered, documented in three languages, licensed, loadable offline."""

from __future__ import annotations

import pytest

from jisr import datasets
from jisr.paths import datasets_dir

NAMES = datasets.available()
SECTIONS = ("origin", "licence", "how it was made", "limits", "columns")


def test_the_course_data_sets_are_registered() -> None:
    assert "dates_tafilalet" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_has_a_trilingual_datasheet(name: str) -> None:
    sheet = datasets.datasheet(name)
    assert sheet.is_file(), f"{name} has no datasheet: write datasets/{name}.md"
    text = sheet.read_text(encoding="utf-8")
    for title in datasets.SECTION_TITLES.values():
        assert title in text, f"{name} datasheet lacks the section {title!r}"
    english = datasets.describe(name, "en").lower()
    for section in SECTIONS:
        assert section in english, f"{name} datasheet lacks {section}"
    assert datasets.describe(name, "fr") != datasets.describe(name, "en")
    assert any("\u0600" <= ch <= "\u06ff" for ch in datasets.describe(name, "ar"))
    assert datasets.info(name).licence


def test_shipped_files_stay_small() -> None:
    total = sum(p.stat().st_size for p in datasets_dir().rglob("*") if p.is_file())
    assert total < 50 * 1024 * 1024, f"datasets/ weighs {total / 1e6:.1f} MB"


def test_unknown_dataset_names_the_available_ones() -> None:
    with pytest.raises(ValueError, match="dates_tafilalet"):
        datasets.load("no_such_data")
