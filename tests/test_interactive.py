"""Kernel-free interactives and localized plots: what the book page gets from the kernel."""

from __future__ import annotations

import html
import json
import re

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from jisr import datasets
from jisr.interactive import format_number, sliders
from jisr.languages import LANGUAGES

FEATURES = {"length_cm": ("Length (cm)", 3.0, 6.5, 0.1, 5.0), "weight_g": ("Weight (g)", 6.0, 30.0, 0.5, 18.0)}


@pytest.fixture(scope="module")
def model():
    dates = datasets.load("dates_tafilalet")
    X, y = dates[["length_cm", "weight_g"]], dates["variety"]
    X_train, _, y_train, _ = train_test_split(X, y, test_size=30, stratify=y, random_state=0)
    return KNeighborsClassifier(n_neighbors=5).fit(X_train, y_train)


def page_data(tool) -> dict:
    found = re.search(r'data-jisr-interactive="([^"]*)"', tool.html())
    assert found
    return json.loads(html.unescape(found.group(1)))


def test_every_position_is_the_models_prediction(model) -> None:
    tool = sliders(model, FEATURES, "The model predicts: {variety}", language="en")
    data = page_data(tool)
    lengths = [round(3.0 + i * 0.1, 1) for i in range(36)]
    weights = [round(6.0 + i * 0.5, 1) for i in range(49)]
    assert len(data["predictions"]) == len(lengths) * len(weights)
    rows = pd.DataFrame([(a, b) for a in lengths for b in weights], columns=["length_cm", "weight_g"])
    truth = list(model.predict(rows))
    codes = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert [data["classes"][codes.index(c)] for c in data["predictions"]] == truth
    assert len(set(truth)) == 2, "the sliders should be able to change the prediction"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_page_copy_is_accessible_and_in_the_language(model, language: str) -> None:
    tool = sliders(model, {k: (f"{v[0]} [{language}]", *v[1:]) for k, v in FEATURES.items()},
                   "The model predicts: {variety}", language=language)
    page = tool.html()
    assert f'lang="{language}"' in page and f'dir="{LANGUAGES[language].direction}"' in page
    inputs = re.findall(r'<input type="range" id="([^"]+)"[^>]*disabled>', page)
    assert len(inputs) == 2, "inputs start disabled: no dead control if the page's script does not run"
    for ident in inputs:
        assert f'<label for="{ident}">' in page and f'<output for="{ident}"' in page
    assert 'aria-live="polite"' in page
    assert format_number(18.0, language, 1) in page
    prediction = model.predict(pd.DataFrame({"length_cm": [5.0], "weight_g": [18.0]}))[0]
    assert f"The model predicts: {prediction}" in page or f"The model predicts\u00a0: {prediction}" in page


def test_notebook_gets_live_widgets_and_the_page_copy(model) -> None:
    bundle = sliders(model, FEATURES, "The model predicts: {variety}", language="fr")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert 'class="jisr-interactive"' in bundle["text/html"]
    assert bundle["text/plain"].startswith("The model predicts")


def test_widgets_follow_the_model(model) -> None:
    tool = sliders(model, FEATURES, "{variety}", language="en")
    box = tool.widget()
    length, weight, answer = box.children
    for grams in (6.0, 12.0, 18.0, 25.0):
        weight.value = grams
        expected = model.predict(pd.DataFrame({"length_cm": [length.value], "weight_g": [grams]}))[0]
        assert f">{expected}</p>" in answer.value


def test_too_many_positions_or_placeholders_are_refused(model) -> None:
    with pytest.raises(ValueError, match="positions"):
        sliders(model, {"length_cm": ("L", 0, 100, 0.001, 1), "weight_g": ("W", 0, 10, 0.5, 1)}, "{x}", language="en")
    with pytest.raises(ValueError, match="placeholder"):
        sliders(model, FEATURES, "no placeholder", language="en")


def test_plot_ticks_speak_the_language() -> None:
    import matplotlib.pyplot as plt

    from jisr import plotting

    try:
        for language, expected in (("fr", "0,800"), ("ar", "0,800"), ("en", "0.800")):
            plotting.use_language(language)
            fig, ax = plt.subplots()
            ax.plot([1, 3, 5, 21], [0.7, 0.8, 0.9, 0.85])
            plotting.integer_ticks(ax)
            fig.canvas.draw()
            y_labels = [t.get_text() for t in ax.get_yticklabels()]
            x_labels = [t.get_text() for t in ax.get_xticklabels()]
            plt.close(fig)
            assert expected in y_labels, (language, y_labels)
            assert all(re.fullmatch(r"−?\d+", label) for label in x_labels if label), x_labels
    finally:
        plotting.use_language("en")
