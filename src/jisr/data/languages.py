"""Which language is this? Short texts in Darija (two scripts), Arabic, French,
English and Tamazight, for the language-identification lessons."""

from __future__ import annotations

import pandas as pd

from ..datasets import read_csv, register

LABELS = ("darija_arabic", "darija_latin", "msa", "french", "english", "tamazight_tifinagh")
# py3langid's codes that mean one of our labels ("ary" is Moroccan Arabic; it has no
# code for Arabizi or Tifinagh)
PY3LANGID_CODES = {"ar": "msa", "fr": "french", "en": "english", "ary": "darija_arabic"}


@register("darija_langid", licence="CC-BY-SA-4.0 (authored sentences); MIT (Darija Open Dataset words, via DarijaDistance)",
          kind="shipped", summary="short texts in six languages and scripts, train and test files written separately")
def load_darija_langid(split: str = "train") -> pd.DataFrame:
    """Texts and their language: columns ``text``, ``label``, ``source``, ``item``.

    ``split`` is ``"train"`` or ``"test"``: two files written separately; no
    sentence (``item``) of the test file appears in the training file.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    frame = read_csv(f"darija_langid_{split}.csv", dtype=str, keep_default_na=False)
    frame["label"] = pd.Categorical(frame["label"], categories=LABELS)
    return frame


def py3langid_predictions(texts: pd.Series) -> pd.Series:
    """The labels py3langid gives, mapped to ours where it has one (else its own code)."""
    import py3langid

    codes = texts.map(lambda text: py3langid.classify(text)[0])
    return codes.map(lambda code: PY3LANGID_CODES.get(code, code))
