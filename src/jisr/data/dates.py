"""Dates from a (synthetic) cooperative in Erfoud: lesson 1's data."""

from __future__ import annotations

import pandas as pd

from ..datasets import read_csv, register


@register("dates_tafilalet", licence="CC-BY-SA-4.0", kind="shipped",
          summary="120 synthetic Mejhoul and Boufeggous dates: length, weight, variety")
def load_dates() -> pd.DataFrame:
    """Length (cm), weight (g) and variety of 120 dates; see ``datasets/dates_tafilalet.md``."""
    return read_csv("dates_tafilalet.csv")
