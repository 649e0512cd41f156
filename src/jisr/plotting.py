"""Plots that speak the notebook's language: decimal commas in French, whole-number ticks for counts.

Matplotlib writes 0.8 on every axis; ``axes.formatter.use_locale`` would need
a system locale that most computers lack. Here the separator comes from
Babel with the course's locales (``jisr.i18n.NUMBER_LOCALES``: 0,8 in French
and in Moroccan Arabic), so nothing depends on the machine's settings.

``use_language(language)`` makes every new linear axis format its tick labels
for ``language``; the lesson's hidden set-up cell calls it, so the plotting code
the learner reads stays plain matplotlib. ``integer_ticks(ax)`` keeps an axis
that counts things (k neighbours, dates) on whole numbers: no tick at 2.5.

>>> fmt = NumberFormatter("fr")
>>> fmt.decimal_text("0.85")
'0,85'
>>> NumberFormatter("en").decimal_text("0.85")
'0.85'
"""

from __future__ import annotations

from typing import Any

from matplotlib import scale, ticker

_ORIGINAL_DEFAULTS = scale.LinearScale.set_default_locators_and_formatters


def decimal_symbol(language: str) -> str:
    """The decimal separator readers of ``language`` expect (Babel's locale data)."""
    from babel.numbers import get_decimal_symbol

    from .i18n import NUMBER_LOCALES

    return get_decimal_symbol(NUMBER_LOCALES.get(language, "en"))


class NumberFormatter(ticker.ScalarFormatter):
    """Matplotlib's usual tick labels, with ``language``'s decimal separator."""

    def __init__(self, language: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.language = language
        self._decimal = decimal_symbol(language)

    def decimal_text(self, text: str) -> str:
        return text.replace(".", self._decimal) if self._decimal != "." else text

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.decimal_text(super().__call__(x, pos))

    def format_data_short(self, value: float) -> str:
        return self.decimal_text(super().format_data_short(value))


def use_language(language: str) -> None:
    """Every linear axis made from now on writes its numbers for ``language``.

    Calling it again with another language switches; ``"en"`` restores matplotlib's own.
    """

    phone_friendly()

    def defaults(self: scale.LinearScale, axis: Any) -> None:
        _ORIGINAL_DEFAULTS(self, axis)
        if language != "en":
            axis.set_major_formatter(NumberFormatter(language))

    scale.LinearScale.set_default_locators_and_formatters = defaults  # type: ignore[method-assign]


PHONE_RC = {"font.size": 12.5, "axes.titlesize": 13, "axes.labelsize": 12.5, "xtick.labelsize": 11.5,
            "ytick.labelsize": 11.5, "legend.fontsize": 11.5, "figure.figsize": (5.0, 3.5)}
"""Chart defaults legible on a 390 px phone: a 5-inch-wide figure shrinks less, and
12-13 pt text stays about 11 px high once the page scales it down."""


def phone_friendly() -> None:
    """Larger text and a narrower figure for every chart made from now on."""
    import matplotlib

    matplotlib.rcParams.update(PHONE_RC)


def integer_ticks(ax: Any, axis: str = "x") -> None:
    """Ticks on whole numbers only, for an axis that counts (``axis`` is "x", "y" or "both")."""
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_locator(ticker.MaxNLocator(integer=True))
