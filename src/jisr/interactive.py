"""Sliders that ask a model for a prediction: live in JupyterLab, live on the book page too.

In a notebook, :func:`sliders` shows ipywidgets sliders wired to the model in
the kernel. The same output also carries a kernel-free copy for the book: when
the book is built, every position of the sliders is sent through the model
once, and the predictions travel with the page (a few hundred bytes);
``book/static/jisr.js`` turns the copy's range inputs on and looks the
prediction up as the reader moves them. So the page's prediction is exactly
the model's, with no kernel and no widget renderer to download.

>>> from sklearn.neighbors import KNeighborsClassifier
>>> model = KNeighborsClassifier(n_neighbors=1).fit([[0.0], [10.0]], ["low", "high"])
>>> tool = sliders(model, {"x": ("Value", 0.0, 10.0, 1.0, 2.0)}, "The model predicts: {prediction}", language="en")
>>> tool.predict({"x": 8.0})
'high'
>>> tool.grid()["predictions"]
'11111100000'
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .languages import LANGUAGES

MAX_STATES = 50_000
"""Positions precomputed for the page at most (each costs one character)."""

_CODES = string.digits + string.ascii_letters


@dataclass(frozen=True)
class Slider:
    """One feature the reader can set: its column name, label and range."""

    name: str
    label: str
    minimum: float
    maximum: float
    step: float
    value: float

    @property
    def decimals(self) -> int:
        return max(0, -Decimal(str(self.step)).normalize().as_tuple().exponent)  # type: ignore[operator]

    def positions(self) -> list[float]:
        count = round((self.maximum - self.minimum) / self.step) + 1
        return [round(self.minimum + i * self.step, self.decimals) for i in range(count)]


def format_number(value: float, language: str, decimals: int) -> str:
    """``value`` as a reader of ``language`` writes it (5,2 in French and Arabic, 5.2 in English)."""
    from .i18n import format_number as written

    return written(value, decimals, language)


def number_locale(language: str) -> str:
    """The BCP 47 tag the page's script formats numbers with (the same CLDR locale as Babel's)."""
    from .i18n import NUMBER_LOCALES

    return NUMBER_LOCALES.get(language, "en").replace("_", "-")


class Sliders:
    """A model's prediction for the features set by sliders (see :func:`sliders`)."""

    def __init__(self, model: Any, features: list[Slider], message: str, language: str,
                 class_labels: dict[str, str] | None = None) -> None:
        self.model = model
        self.class_labels = {str(k): v for k, v in (class_labels or {}).items()}
        self.features = features
        self.message = message
        self.language = language
        fields = [name for _, name, _, _ in string.Formatter().parse(message) if name is not None]
        if len(fields) != 1:
            raise ValueError(f"the message needs exactly one {{placeholder}} for the prediction, got {message!r}")
        self._field = fields[0]
        states = 1
        for feature in features:
            states *= len(feature.positions())
        if states > MAX_STATES:
            raise ValueError(f"{states} slider positions: at most {MAX_STATES} fit on a page; use a larger step")

    def _frame(self, rows: list[list[float]]) -> Any:
        if not hasattr(self.model, "feature_names_in_"):
            return rows  # fitted on plain arrays: give it plain rows
        import pandas as pd

        return pd.DataFrame(rows, columns=[f.name for f in self.features])

    def predict(self, values: dict[str, float]) -> str:
        """The model's prediction for one position of the sliders."""
        return str(self.model.predict(self._frame([[values[f.name] for f in self.features]]))[0])

    def say(self, prediction: str) -> str:
        """The message with the prediction, in the language's typography (« prédit\u00a0: »)."""
        from .typography import typeset_text

        return typeset_text(self.message.format(**{self._field: self.class_labels.get(prediction, prediction)}), self.language)

    def grid(self) -> dict[str, Any]:
        """Every position's prediction, the last slider varying fastest."""
        rows = [list(p) for p in itertools.product(*(f.positions() for f in self.features))]
        predictions = [str(p) for p in self.model.predict(self._frame(rows))]
        classes = sorted(set(predictions))
        if len(classes) > len(_CODES):
            raise ValueError(f"{len(classes)} different predictions: the page can show at most {len(_CODES)}")
        # the page shows each class by its label in the page's language (« المجهول (Mejhoul) »)
        return {"classes": [self.class_labels.get(c, c) for c in classes],
                "predictions": "".join(_CODES[classes.index(p)] for p in predictions)}

    # ---------------------------------------------------------------- the book's copy (no kernel)

    def html(self) -> str:
        """The kernel-free copy: range inputs, disabled until ``jisr.js`` wires them to the grid."""
        start = {f.name: f.value for f in self.features}
        before, _, after = self.say("\0").partition("\0")
        data = {
            "features": [{"name": f.name, "min": f.minimum, "max": f.maximum, "step": f.step, "decimals": f.decimals}
                         for f in self.features],
            "message": [before, after],
            **self.grid(),
        }
        # ids from the content, not the object: the page is the same at every build
        key = "jisr-" + hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:8]
        rows = []
        for index, f in enumerate(self.features):
            rows.append(
                f'<div class="jisr-slider"><label for="{key}-{index}">{html.escape(f.label)}</label>'
                f'<input type="range" id="{key}-{index}" name="{html.escape(f.name)}" min="{f.minimum}" '
                f'max="{f.maximum}" step="{f.step}" value="{f.value}" dir="ltr" disabled>'
                f'<output for="{key}-{index}" dir="ltr">{format_number(f.value, self.language, f.decimals)}</output></div>'
            )
        prediction = html.escape(self.say(self.predict(start)))
        return (
            f'<div class="jisr-interactive" lang="{self.language}" data-jisr-number-locale="{number_locale(self.language)}" dir="{LANGUAGES[self.language].direction}" data-jisr-interactive="{html.escape(json.dumps(data))}">'
            + "".join(rows)
            + f'<p class="jisr-prediction" aria-live="polite">{prediction}</p></div>'
        )

    # ---------------------------------------------------------------- the notebook's widgets (kernel)

    def widget(self) -> Any:
        """ipywidgets sliders that ask the model in the kernel."""
        import ipywidgets as widgets

        controls = {
            f.name: widgets.FloatSlider(min=f.minimum, max=f.maximum, step=f.step, value=f.value, description=f.label,
                                        readout_format=f".{f.decimals}f", style={"description_width": "initial"})
            for f in self.features
        }
        answer = widgets.HTML()

        def update(_change: Any = None) -> None:
            prediction = self.predict({name: control.value for name, control in controls.items()})
            answer.value = f'<p class="jisr-prediction" lang="{self.language}" aria-live="polite">{html.escape(self.say(prediction))}</p>'

        for control in controls.values():
            control.observe(update, names="value")
        update()
        return widgets.VBox([*controls.values(), answer])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": self.say(self.predict({f.name: f.value for f in self.features})),
                                  "text/html": self.html()}
        try:
            view = self.widget()._repr_mimebundle_()
        except ImportError:
            return bundle
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle


def sliders(model: Any, features: dict[str, tuple[str, float, float, float, float]], message: str,
            language: str | None = None, class_labels: dict[str, str] | None = None) -> Sliders:
    """Sliders for ``model``'s features and a sentence that says its prediction.

    Parameters
    ----------
    model
        A fitted model with ``predict`` that takes a data frame with these columns.
    features
        ``{column: (label, minimum, maximum, step, start value)}``, in the model's column order.
    message
        The sentence, already translated, with one placeholder for the prediction,
        e.g. ``tr("The model predicts: {variety}")``.
    language
        The notebook's language (number format, ``lang``); found like the lesson's when not given.
    class_labels
        ``{class: label}``: how to say each prediction in the page's language, e.g.
        ``{"Mejhoul": tr("Mejhoul")}`` gives « المجهول (Mejhoul) » in Arabic.
        A class without a label is shown as the model names it.
    """
    if language is None:
        from .i18n import current_language

        language = current_language()
    parsed = [Slider(name, label, float(lo), float(hi), float(step), float(value))
              for name, (label, lo, hi, step, value) in features.items()]
    return Sliders(model, parsed, message, language, class_labels)
