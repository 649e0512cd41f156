"""The seeded SYNTHETIC data sets: shapes, types, ranges, determinism and calibration."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from jisr import datasets
from jisr.data import synthetic

NAMES = ("rainfall_yield", "solar_output", "artisan_prices", "school_dropout")


def is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or series.dtype == object


@pytest.mark.parametrize("name", NAMES)
def test_registered_as_generated_with_a_datasheet(name: str) -> None:
    info = datasets.info(name)
    assert info.kind == "generated" and info.licence == "CC-BY-SA-4.0"
    english = datasets.describe(name, "en")
    assert "SYNTHETIC" in english and "assumption" in english.lower()
    assert "synthétiques" in datasets.describe(name, "fr").lower()
    assert "اصطناعية" in datasets.describe(name, "ar")


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_frame_other_seed_other_frame(name: str) -> None:
    first = datasets.load(name, seed=7)
    pd.testing.assert_frame_equal(first, datasets.load(name, seed=7))
    assert not first.equals(datasets.load(name, seed=8))
    assert not first.isna().any().any()


# -- rainfall_yield ---------------------------------------------------------------------

def test_rainfall_yield_shape_types_and_ranges() -> None:
    data = datasets.load("rainfall_yield")
    assert data.shape == (35, 8)
    assert list(data.columns) == ["season", "harvest_year", "region", "rainfall_mm", "area_mha",
                                  "cereal_yield_t_per_ha", "cereal_production_mt", "season_type"]
    assert data["harvest_year"].tolist() == list(range(1990, 2025))
    assert data["season"].iloc[0] == "1989-1990"
    for col in ("rainfall_mm", "area_mha", "cereal_yield_t_per_ha", "cereal_production_mt"):
        assert data[col].dtype == np.float64
    assert all(is_text(data[c]) for c in ("season", "region", "season_type"))
    assert set(data["season_type"]) == {"drought", "normal", "wet"}
    assert data["rainfall_mm"].between(50, 900).all()
    assert data["area_mha"].between(2.0, 5.8).all()
    assert data["cereal_yield_t_per_ha"].between(0.3, 2.8).all()
    assert data["cereal_production_mt"].between(0.5, 14.0).all()


def test_rainfall_yield_regions_add_up_to_the_nation() -> None:
    national = datasets.load("rainfall_yield", seed=2)
    regional = datasets.load("rainfall_yield", seed=2, regional=True)
    assert regional.shape == (35 * 8, 8) and regional["region"].nunique() == 8
    total = regional.groupby("harvest_year")["cereal_production_mt"].sum().to_numpy()
    assert np.allclose(total, national["cereal_production_mt"].to_numpy(), atol=0.06)
    assert datasets.load("rainfall_yield", first_season=2000, last_season=2004).shape == (5, 8)


def test_rainfall_yield_is_calibrated_to_reported_harvests() -> None:
    """Droughts near the ~3.1-3.4 Mt of 2016, 2022 and 2024; wet years near the ~10.3 Mt of
    2018 and 2021, never far above the 11.5 Mt record; yields not far above the 2.37 t/ha record."""
    reported_drought = np.mean([synthetic.CEREAL_REFERENCE_MT[y] for y in (2016, 2022, 2024)])
    reported_wet = np.mean([synthetic.CEREAL_REFERENCE_MT[y] for y in (2018, 2021)])
    droughts, wets = [], []
    for seed in range(5):
        data = datasets.load("rainfall_yield", seed=seed)
        by_type = data.groupby("season_type")["cereal_production_mt"]
        droughts.append(by_type.mean()["drought"])
        wets.append(by_type.mean()["wet"])
        assert by_type.max()["drought"] < by_type.min()["wet"] + 1.0
        assert data["cereal_production_mt"].max() < 1.2 * synthetic.CEREAL_REFERENCE_MT[2015]
        assert data["cereal_yield_t_per_ha"].max() < 1.2 * synthetic.CEREAL_RECORD_YIELD_T_HA
        assert data["rainfall_mm"].corr(data["cereal_production_mt"]) > 0.7
    assert abs(np.mean(droughts) - reported_drought) < 0.25 * reported_drought
    assert abs(np.mean(wets) - reported_wet) < 0.15 * reported_wet


# -- solar_output -----------------------------------------------------------------------

def test_solar_output_shape_types_and_ranges() -> None:
    data = datasets.load("solar_output")
    assert data.shape == (3 * 365, 6)
    assert list(data.columns) == ["site", "day_of_year", "month", "weather", "irradiation_kwh_m2", "output_kwh"]
    assert data["day_of_year"].dtype == np.int64 and data["month"].dtype == np.int64
    assert data["irradiation_kwh_m2"].dtype == np.float64 and data["output_kwh"].dtype == np.float64
    assert is_text(data["site"]) and is_text(data["weather"])
    assert set(data["site"]) == {"Ouarzazate", "Dakhla", "Tanger"}
    assert set(data["weather"]) == set(synthetic.WEATHERS)
    assert data["month"].between(1, 12).all() and data.groupby("site")["day_of_year"].nunique().eq(365).all()
    assert data.loc[data["day_of_year"] == 32, "month"].eq(2).all()
    assert data["irradiation_kwh_m2"].between(0.3, 9.5).all()
    assert data["output_kwh"].between(0.2, 8.0).all()
    assert datasets.load("solar_output", days=31).shape == (93, 6)


def test_solar_output_is_calibrated_to_published_irradiation() -> None:
    data = datasets.load("solar_output")
    mean_ghi = data.groupby("site")["irradiation_kwh_m2"].mean()
    assert mean_ghi["Dakhla"] == pytest.approx(synthetic.SOLAR_GHI_TARGET["Dakhla"], rel=0.05)  # cited 5.54
    monthly = data[data["site"] == "Ouarzazate"].groupby("month")["irradiation_kwh_m2"].mean()
    low, high = synthetic.OUARZAZATE_MONTHLY_RANGE  # cited 3.86 to 7.85
    assert monthly.min() == pytest.approx(low, rel=0.10) and monthly.max() == pytest.approx(high, rel=0.10)
    yearly = data.groupby("site")["output_kwh"].sum()
    assert yearly["Ouarzazate"] == pytest.approx(synthetic.GSA_PVOUT_REFERENCE, rel=0.10)
    assert yearly["Ouarzazate"] > yearly["Dakhla"] > yearly["Tanger"]


def test_solar_weather_differs_by_site_and_season() -> None:
    data = datasets.load("solar_output")
    winter = data[data["month"].isin([12, 1, 2])]
    overcast = winter.groupby("site")["weather"].apply(lambda w: (w == "overcast").mean())
    assert overcast["Tanger"] > 2 * overcast["Ouarzazate"]
    dusty = data.groupby("site")["weather"].apply(lambda w: (w == "dusty").mean())
    assert dusty.idxmax() == "Dakhla"
    tanger = data[data["site"] == "Tanger"].groupby("month")["irradiation_kwh_m2"].mean()
    assert tanger[6] > 2 * tanger[12]  # a strong seasonal cycle at 36° N


# -- artisan_prices ---------------------------------------------------------------------

def test_artisan_prices_shape_types_and_ranges() -> None:
    data = datasets.load("artisan_prices")
    assert data.shape == (600, 11)
    assert list(data.columns) == ["product", "style", "city", "material", "seller", "channel",
                                  "quantity", "unit", "hours_of_work", "price_per_unit_mad", "price_mad"]
    for col in ("quantity", "hours_of_work", "price_per_unit_mad", "price_mad"):
        assert data[col].dtype == np.float64 and (data[col] > 0).all()
    assert all(is_text(data[c]) for c in ("product", "style", "city", "material", "seller", "channel", "unit"))
    assert set(data["product"]) == {"zellige", "carpet", "argan oil"}
    assert set(data["seller"]) == {"cooperative", "shop"}
    assert (data["unit"] == np.where(data["product"] == "argan oil", "litre", "m2")).all()
    assert np.allclose(data["price_mad"], data["price_per_unit_mad"] * data["quantity"], atol=1)
    per_unit = data.groupby("product")["price_per_unit_mad"]
    assert per_unit.min()["zellige"] >= 150 and per_unit.max()["zellige"] <= 6000
    assert per_unit.min()["carpet"] >= 150 and per_unit.max()["carpet"] <= 6000
    assert per_unit.min()["argan oil"] >= 230 and per_unit.max()["argan oil"] <= 2500
    assert datasets.load("artisan_prices", n=25).shape == (25, 11)


def test_artisan_prices_follow_the_cited_argan_level_and_common_sense() -> None:
    data = datasets.load("artisan_prices", n=3000)
    litre = data[(data["product"] == "argan oil") & (data["quantity"] == 1.0)
                 & (data["seller"] == "cooperative") & (data["channel"] == "in person")]
    machine = litre[litre["material"].str.endswith("machine-pressed")]["price_per_unit_mad"].median()
    hand = litre[litre["material"].str.endswith("hand-pressed")]["price_per_unit_mad"].median()
    low, high = synthetic.ARGAN_REFERENCE_MAD_L["machine_pressed"]  # cited 450-550 MAD/L (2022)
    assert low - 25 <= machine <= high + 25
    assert machine < hand <= 1.15 * synthetic.ARGAN_REFERENCE_MAD_L["hand_pressed_max"]  # cited: up to 600
    median = data.groupby("style")["price_per_unit_mad"].median()
    assert median["mosaic zellige"] > 2 * median["plain zellige"]
    assert median["Boucherouite"] < min(median["Beni Ouarain"], median["Azilal"], median["Glaoui"])
    by_seller = data.groupby(["style", "seller"])["price_per_unit_mad"].median().unstack()
    assert (by_seller["shop"] > by_seller["cooperative"]).all()
    carpets = data[data["product"] == "carpet"]
    assert carpets["hours_of_work"].corr(carpets["price_mad"]) > 0.6


# -- school_dropout ---------------------------------------------------------------------

def test_school_dropout_shape_types_and_ranges() -> None:
    data = datasets.load("school_dropout")
    assert data.shape == (5000, 13)
    assert list(data.columns) == ["pupil_id", "region", "area", "gender", "cycle", "grade", "age",
                                  "distance_to_school_km", "school_transport", "parents_literate",
                                  "repeated_year", "absences_days", "dropped_out"]
    for col in ("grade", "age", "school_transport", "parents_literate", "repeated_year",
                "absences_days", "dropped_out"):
        assert data[col].dtype == np.int64
    assert data["distance_to_school_km"].dtype == np.float64
    assert all(is_text(data[c]) for c in ("pupil_id", "region", "area", "gender", "cycle"))
    assert data["pupil_id"].is_unique and all(re.fullmatch(r"P\d{5}", i) for i in data["pupil_id"])
    assert data["region"].nunique() == 12
    assert set(data["area"]) == {"rural", "urban"} and set(data["gender"]) == {"girl", "boy"}
    assert (data["cycle"] == np.where(data["grade"] >= 7, "lower secondary", "primary")).all()
    assert data["grade"].between(1, 9).all() and data["age"].between(6, 16).all()
    assert data["distance_to_school_km"].between(0.1, 25).all()
    assert data["absences_days"].between(0, 120).all()
    for col in ("school_transport", "parents_literate", "repeated_year", "dropped_out"):
        assert set(data[col]) <= {0, 1}
    assert 0.3 < (data["area"] == "rural").mean() < 0.5


def test_school_dropout_rates_match_the_cited_figures_and_the_planted_bias() -> None:
    data = datasets.load("school_dropout")
    rate = data.groupby(["cycle", "area", "gender"])["dropped_out"].mean()
    for (area, gender, cycle), target in synthetic.DROPOUT_TARGETS.items():
        assert rate[(cycle, area, gender)] == pytest.approx(target, abs=0.005)
    primary = data[data["cycle"] == "primary"].groupby("area")["dropped_out"].mean()
    assert primary["rural"] == pytest.approx(0.048, abs=0.003)  # CSEFRS Atlas, 2018
    assert primary["urban"] == pytest.approx(0.022, abs=0.003)
    secondary = data[data["cycle"] == "lower secondary"]
    girls = secondary[secondary["gender"] == "girl"].groupby("area")["dropped_out"].mean()
    assert girls["rural"] - girls["urban"] > 0.07  # the planted gap, in rate points
    overall = data.groupby("area")["dropped_out"].mean()
    assert overall["rural"] > 1.4 * overall["urban"]


def test_school_dropout_features_carry_signal() -> None:
    data = datasets.load("school_dropout")
    means = data.groupby("dropped_out")[["absences_days", "distance_to_school_km", "repeated_year"]].mean()
    assert (means.loc[1] > means.loc[0]).all()
    rural = data.groupby("area")["distance_to_school_km"].median()
    assert rural["rural"] > 2 * rural["urban"]  # distance is a proxy for the rural group
