"""The dates of lesson 1."""

from __future__ import annotations

import csv
import importlib.util

from jisr import datasets
from jisr.paths import datasets_dir


def test_dates_load_with_the_right_shape_and_types() -> None:
    dates = datasets.load("dates_tafilalet")
    assert dates.shape == (120, 3)
    assert list(dates.columns) == ["length_cm", "weight_g", "variety"]
    assert dates["length_cm"].dtype.kind == "f" and dates["weight_g"].dtype.kind == "f"
    assert not dates.isna().any().any()
    assert set(dates["variety"]) == {"Mejhoul", "Boufeggous"}
    means = dates.groupby("variety")["weight_g"].mean()
    assert means["Mejhoul"] > means["Boufeggous"]


def test_generator_reproduces_the_shipped_file() -> None:
    spec = importlib.util.spec_from_file_location("generate_dates", datasets_dir() / "generate_dates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.generate()
    assert rows == module.generate()  # same seed, same data
    with (datasets_dir() / "dates_tafilalet.csv").open(encoding="utf-8") as fh:
        shipped = [{"length_cm": float(r["length_cm"]), "weight_g": float(r["weight_g"]), "variety": r["variety"]} for r in csv.DictReader(fh)]
    assert shipped == rows
