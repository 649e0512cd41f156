"""Shipped data: loads offline, documented, reproducible."""

from __future__ import annotations

import csv
import importlib.util

from jisr import datasets
from jisr.paths import datasets_dir


def test_every_dataset_has_a_datasheet() -> None:
    names = datasets.available()
    assert "dates_tafilalet" in names
    for name in names:
        sheet = datasets.datasheet(name)
        assert sheet.is_file(), f"{name} has no datasheet"
        text = sheet.read_text(encoding="utf-8").lower()
        for section in ("origin", "licence", "how it was made", "limits", "columns"):
            assert section in text, f"{name} datasheet lacks {section}"


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


def test_unknown_dataset_names_the_available_ones() -> None:
    try:
        datasets.load("no_such_data")
    except ValueError as err:
        assert "dates_tafilalet" in str(err)
    else:
        raise AssertionError("loading an unknown data set must fail")
