"""The course languages: English is the source, French and Arabic are translations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """One course language.

    Examples
    --------
    >>> LANGUAGES["ar"].direction
    'rtl'
    """

    code: str
    native_name: str
    direction: str  # "ltr" or "rtl"


SOURCE_LANGUAGE = "en"
LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "ltr"),
    "fr": Language("fr", "Français", "ltr"),
    "ar": Language("ar", "العربية", "rtl"),
}
TRANSLATIONS: tuple[str, ...] = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)


def validate(code: str) -> str:
    """Return ``code`` if it is a course language, else raise ``ValueError``."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; expected one of {', '.join(LANGUAGES)}")
    return code
