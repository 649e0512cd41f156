"""Data that ships with the course: nothing is downloaded at run time.

Each data set is a file in ``datasets/`` with a datasheet beside it
(``<name>.md``: origin, licence, how it was made, limits).

>>> load("dates_tafilalet").shape
(120, 3)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .paths import datasets_dir


def available() -> list[str]:
    """Names of the data sets that ship with the course."""
    return sorted(p.stem for p in datasets_dir().glob("*.csv"))


def datasheet(name: str) -> Path:
    """Path of the datasheet that documents ``name``."""
    return datasets_dir() / f"{name}.md"


def load(name: str) -> pd.DataFrame:
    """Load a shipped data set as a DataFrame."""
    path = datasets_dir() / f"{name}.csv"
    if not path.is_file():
        raise ValueError(f"unknown data set {name!r}; available: {', '.join(available())}")
    return pd.read_csv(path)
