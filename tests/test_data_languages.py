"""The language-identification set: separate splits, real Darija, and a measurable
failure of a general-purpose identifier that a tiny trained model overcomes."""

from __future__ import annotations

import importlib.util

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from jisr import datasets
from jisr.data.languages import LABELS, py3langid_predictions
from jisr.paths import datasets_dir


@pytest.fixture(scope="module")
def splits():
    return datasets.load("darija_langid", split="train"), datasets.load("darija_langid", split="test")


def test_splits_are_separate_and_cover_every_label(splits) -> None:
    train, test = splits
    assert set(train["label"]) == set(LABELS) == set(test["label"])
    assert not set(train["item"]) & set(test["item"])
    assert not set(train["text"]) & set(test["text"])
    assert (train["text"].str.len() > 0).all() and not train.isna().any().any()
    assert (test["source"] == "darija-open-dataset").sum() >= 100  # real Darija words
    tifinagh = test.loc[test["label"] == "tamazight_tifinagh", "text"]
    assert tifinagh.map(lambda t: any("\u2d30" <= ch <= "\u2d7f" for ch in t)).all()


def test_generator_reproduces_the_shipped_files() -> None:
    spec = importlib.util.spec_from_file_location("generate_langid", datasets_dir() / "generate_langid.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    train, test = module.generate()
    assert (train, test) == module.generate()
    shipped = datasets.load("darija_langid", split="train")
    assert list(shipped["text"]) == [r["text"] for r in train]


def test_py3langid_fails_where_the_set_says(splits) -> None:
    _, test = splits
    predicted = py3langid_predictions(test["text"])
    for label in ("darija_latin", "tamazight_tifinagh"):
        rows = test["label"] == label
        assert (predicted[rows] == label).mean() == 0  # it has no such language
    darija_arabic = test["label"] == "darija_arabic"
    assert (predicted[darija_arabic] == "darija_arabic").mean() < 0.3  # it knows "ary", rarely finds it
    assert (predicted[darija_arabic] == "msa").mean() > 0.6  # Darija is mostly taken for Arabic
    for label in ("english", "french", "msa"):
        rows = test["label"] == label
        assert (predicted[rows] == label).mean() > 0.6


def test_a_tiny_classifier_beats_py3langid(splits) -> None:
    train, test = splits
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)), LogisticRegression(max_iter=2000))
    model.fit(train["text"], train["label"].astype(str))
    ours = (model.predict(test["text"]) == test["label"].astype(str)).mean()
    theirs = (py3langid_predictions(test["text"]) == test["label"].astype(str)).mean()
    print(f"tiny model {ours:.2f} vs py3langid {theirs:.2f}")
    assert ours > theirs + 0.3
