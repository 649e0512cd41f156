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
            # as many decimals as the ticks need (fewer ticks since the phone-sized text, E12)
            assert any(re.fullmatch(re.escape(expected.rstrip("0")) + "0*", label) for label in y_labels), (language, y_labels)
            assert all(re.fullmatch(r"−?\d+", label) for label in x_labels if label), x_labels
    finally:
        plotting.use_language("en")


def test_charts_are_legible_on_a_phone() -> None:
    """Issue 8 (E12): 12-13 pt text on a figure about 5 inches wide: at 390 px the axis
    labels stay about 11 px high (they were 7 px)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from jisr import plotting

    try:
        plotting.use_language("ar")
        fig, ax = plt.subplots()
        ax.set_xlabel("x")
        width = fig.get_size_inches()[0]
        label_pt = ax.xaxis.label.get_fontsize()
        tick_pt = ax.get_xticklabels()[0].get_fontsize()
        plt.close(fig)
        assert 4.5 <= width <= 6 and label_pt >= 12 and tick_pt >= 11
        shown_px = tick_pt * 96 / 72 * 350 / (width * matplotlib.rcParams["figure.dpi"]) * matplotlib.rcParams["figure.dpi"] / 96
        assert shown_px >= 9.5, shown_px  # tick text as drawn in a 350 px wide box
    finally:
        plotting.use_language("en")


def test_arabic_page_names_varieties_in_arabic_and_ranges_run_left_to_right(model) -> None:
    """Issue 8 (E9): the minimum of a range input sits on the left, as on the plot, in every
    language; the prediction uses the page's names for the classes, the Latin in parentheses."""
    labels = {"Mejhoul": "المجهول (Mejhoul)", "Boufeggous": "بوفقوس (Boufeggous)"}
    tool = sliders(model, FEATURES, "يتنبأ النموذج: {variety}", language="ar", class_labels=labels)
    page = tool.html()
    inputs = re.findall(r'<input type="range"[^>]*>', page)
    assert inputs and all('dir="ltr"' in tag for tag in inputs)
    assert 'dir="rtl"' in page  # the text around them stays right-to-left
    data = page_data(tool)
    assert sorted(data["classes"]) == sorted(labels.values())
    start = {f: v[4] for f, v in FEATURES.items()}
    assert labels[tool.predict(start)] in tool.say(tool.predict(start))
    english = sliders(model, FEATURES, "The model predicts: {variety}", language="en")
    assert sorted(page_data(english)["classes"]) == ["Boufeggous", "Mejhoul"]


def test_the_lessons_sliders_cover_the_data() -> None:
    """Issue 8 (E9): every date of the data set can be set with the lesson's sliders."""
    source = (datasets.datasets_dir().parent / "courses/fundamentals/what-is-ai/lesson.md").read_text(encoding="utf-8")
    call = source[source.index("sliders(\n"):]
    dates = datasets.load("dates_tafilalet")
    for column in ("length_cm", "weight_g"):
        found = re.search(rf'"{column}": \(tr\("[^"]+"\), ([\d.]+), ([\d.]+),', call)
        assert found, column
        low, high = float(found.group(1)), float(found.group(2))
        assert low <= dates[column].min() and dates[column].max() <= high, (column, low, high)
