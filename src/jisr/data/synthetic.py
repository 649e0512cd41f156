"""Seeded generators of SYNTHETIC Moroccan data, calibrated to cited public figures.

Nothing here is a measurement. Each generator draws a table from simple,
documented models whose few key parameters are calibrated to figures published
by the Ministry of Agriculture, FAO, the Conseil supérieur de l'éducation
(CSEFRS), solar-resource studies or the press; every other number is an
assumption of the course authors. The datasheets ``datasets/<name>.md`` say
which is which, with the citations.

Same seed, same table; different seed, another plausible table:

>>> from jisr import datasets
>>> a = datasets.load("school_dropout", seed=3, n=200)
>>> a.equals(datasets.load("school_dropout", seed=3, n=200))
True
>>> sorted(datasets.load("solar_output")["site"].unique())
['Dakhla', 'Ouarzazate', 'Tanger']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..datasets import register

# --------------------------------------------------------------------------------------
# Figures taken from public sources (see the datasheets for the full citations).
# --------------------------------------------------------------------------------------

#: Cereal harvests (soft wheat + durum wheat + barley), million tonnes, as reported.
CEREAL_REFERENCE_MT = {
    2015: 11.5,   # record, 2014-15 season (Ministry of Agriculture, via Middle East Online 2018)
    2016: 3.55,   # drought (Ministry, via Malta News Agency 2017: 35.5 million quintals)
    2018: 10.3,   # (Ministry, via Middle East Online 2018: 103 million quintals)
    2021: 10.32,  # (Ministry, via 7news.ma and CGTN Africa 2021)
    2022: 3.4,    # drought (Ministry, via Atalayar 2022: 34 million quintals; FAO GIEWS: ~3.2 Mt)
    2024: 3.12,   # drought (Ministry, via North Africa Post 2024)
}
#: Highest reported national cereal yields, tonnes per hectare (2018: 2.29, 2021: 2.37).
CEREAL_RECORD_YIELD_T_HA = 2.37

#: Mean daily global horizontal irradiation, kWh/m²/day.
#: Dakhla 5.54 is cited ("Renewable energy in south of Morocco and prospects", abstract);
#: Ouarzazate is an authors' assumption whose monthly cycle spans the cited range
#: 3.86-7.85 kWh/m²/day; Tanger is an authors' assumption (no source found).
SOLAR_GHI_TARGET = {"Ouarzazate": 5.90, "Dakhla": 5.54, "Tanger": 5.00}
#: Ouarzazate: lowest and highest monthly mean of daily GHI, kWh/m²/day, as reported.
OUARZAZATE_MONTHLY_RANGE = (3.86, 7.85)
#: PV output of 1 kWp, kWh per year, Global Solar Atlas for the Béni Mellal-Khénifra region
#: (neighbour of Ouarzazate's region), as reported by Le Matin: an order-of-magnitude check.
GSA_PVOUT_REFERENCE = 1850.5

#: Annual dropout rates in public primary school, 2018 (CSEFRS, Atlas territorial de
#: l'abandon scolaire, 2019, as reported in the press): rural 4.8 %, urban 2.2 %.
#: The lower-secondary rates are AUTHORS' ASSUMPTIONS (the Atlas names lower secondary as
#: the most affected cycle and rural girls as a group at risk, without a figure we could cite).
DROPOUT_TARGETS = {
    ("urban", "boy", "primary"): 0.022,
    ("urban", "girl", "primary"): 0.022,
    ("rural", "boy", "primary"): 0.048,
    ("rural", "girl", "primary"): 0.048,
    ("urban", "boy", "lower secondary"): 0.100,
    ("urban", "girl", "lower secondary"): 0.080,
    ("rural", "boy", "lower secondary"): 0.120,
    ("rural", "girl", "lower secondary"): 0.170,
}

#: Argan oil, MAD per litre, as reported in 2022 (Le360; L'Economiste Maghrébin):
#: 230-250 before the drought, up to 600 for hand-pressed oil, 450-550 machine-pressed.
ARGAN_REFERENCE_MAD_L = {"before_2021": (230, 250), "hand_pressed_max": 600, "machine_pressed": (450, 550)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------------------
# 1. Rainfall and cereal harvests
# --------------------------------------------------------------------------------------

# region: (share of the national cereal area, rainfall relative to the national mean,
# yield potential). Authors' approximations, not statistics.
_CEREAL_REGIONS = {
    "Casablanca-Settat": (0.22, 0.95, 1.00),
    "Fès-Meknès": (0.18, 1.25, 1.05),
    "Rabat-Salé-Kénitra": (0.12, 1.30, 1.05),
    "Marrakech-Safi": (0.14, 0.75, 0.90),
    "Béni Mellal-Khénifra": (0.12, 0.95, 1.00),
    "Oriental": (0.10, 0.70, 0.85),
    "Tanger-Tétouan-Al Hoceïma": (0.07, 1.50, 0.95),
    "Souss-Massa": (0.05, 0.55, 0.80),
}
_RAIN_MEAN_MM, _RAIN_CV = 320.0, 0.30
_FULL_AREA_MHA = 5.4  # cereal area harvested in a wet year (5.37 Mha in 2014-15)


@register("rainfall_yield", licence="CC-BY-SA-4.0", kind="generated",
          summary="SYNTHETIC cereal seasons 1990-2024: Sept-May rainfall, yield and harvest, "
                  "calibrated to reported Moroccan harvests (3 Mt droughts, 10-11.5 Mt records)")
def load_rainfall_yield(seed: int = 0, first_season: int = 1990, last_season: int = 2024,
                        regional: bool = False) -> pd.DataFrame:
    """One row per SYNTHETIC crop season (national), or per season and region.

    ``first_season``/``last_season`` are harvest years (the 2014-2015 season is 2015).
    The season labels only index the rows: the values do NOT reproduce what really
    happened in that year. See ``datasets/rainfall_yield.md``.
    """
    if last_season < first_season:
        raise ValueError("last_season must not be before first_season")
    rng = np.random.default_rng(seed)
    years = np.arange(first_season, last_season + 1)
    n = years.size
    names = list(_CEREAL_REGIONS)
    share, rain_factor, potential = (np.array(col) for col in zip(*_CEREAL_REGIONS.values()))
    rain_factor = rain_factor / np.sum(share * rain_factor)  # area-weighted mean factor is 1

    # National Sept-May rainfall: a gamma law, sampled by strata so that every seed has
    # droughts, normal and wet seasons in about the right proportions.
    shape = 1.0 / _RAIN_CV**2
    pool = np.sort(rng.gamma(shape, _RAIN_MEAN_MM / shape, size=4000))
    strata = (rng.permutation(n) + rng.uniform(size=n)) / n
    national_rain = np.quantile(pool, strata)

    # Regional rainfall, and a season-wide "timing" factor: rain that falls at the wrong
    # moment (as in 2022) helps less than its total suggests.
    rain = national_rain[:, None] * rain_factor[None, :] * rng.lognormal(0.0, 0.12, (n, share.size))
    timing = rng.lognormal(0.0, 0.10, n)
    trend = 0.85 + 0.15 * (years - 1990) / 34.0  # seeds, mechanisation, direct sowing

    relative = rain / rain_factor[None, :]  # rain compared with the region's own normal
    area = _FULL_AREA_MHA * share[None, :] * (0.42 + 0.58 * _sigmoid((relative - 240.0) / 40.0))
    area *= rng.lognormal(0.0, 0.04, area.shape)
    response = 0.70 + 1.50 * _sigmoid((rain - 270.0) / 40.0)
    yield_t_ha = potential[None, :] * trend[:, None] * response * timing[:, None]
    yield_t_ha *= rng.lognormal(0.0, 0.06, yield_t_ha.shape)
    yield_t_ha = np.clip(yield_t_ha, 0.2, 3.0)
    production = area * yield_t_ha

    season = np.array([f"{y - 1}-{y}" for y in years])
    if regional:
        frame = pd.DataFrame({
            "season": np.repeat(season, share.size),
            "harvest_year": np.repeat(years, share.size),
            "region": np.tile(names, n),
            "rainfall_mm": rain.ravel(),
            "area_mha": area.ravel(),
            "cereal_yield_t_per_ha": yield_t_ha.ravel(),
            "cereal_production_mt": production.ravel(),
        })
        normal = (national_rain[:, None] * rain_factor[None, :]).ravel()
    else:
        total_area = area.sum(axis=1)
        total = production.sum(axis=1)
        frame = pd.DataFrame({
            "season": season,
            "harvest_year": years,
            "region": "Morocco",
            "rainfall_mm": (rain * share[None, :]).sum(axis=1),
            "area_mha": total_area,
            "cereal_yield_t_per_ha": total / total_area,
            "cereal_production_mt": total,
        })
        normal = np.full(n, _RAIN_MEAN_MM)
    ratio = frame["rainfall_mm"].to_numpy() / normal
    frame["season_type"] = np.where(ratio < 0.75, "drought", np.where(ratio > 1.2, "wet", "normal"))
    frame["rainfall_mm"] = frame["rainfall_mm"].round(0)
    for col, digits in (("area_mha", 3), ("cereal_yield_t_per_ha", 2), ("cereal_production_mt", 2)):
        frame[col] = frame[col].round(digits)
    return frame


# --------------------------------------------------------------------------------------
# 2. Daily output of a 1 kWp photovoltaic panel
# --------------------------------------------------------------------------------------

WEATHERS = ("clear", "partly cloudy", "overcast", "dusty")
# site: latitude, monthly mean air temperature (°C, authors' rounded approximations), and
# weather frequencies (clear, partly cloudy, overcast, dusty) for winter (DJF), spring (MAM),
# summer (JJA) and autumn (SON): authors' assumptions.
_SITES = {
    "Ouarzazate": (30.93, [9, 12, 16, 19, 24, 29, 32, 31, 26, 20, 14, 10],
                   [(0.80, 0.12, 0.04, 0.04), (0.72, 0.14, 0.04, 0.10),
                    (0.80, 0.10, 0.02, 0.08), (0.76, 0.14, 0.04, 0.06)]),
    "Dakhla": (23.72, [17, 18, 19, 19, 20, 21, 22, 23, 23, 22, 20, 18],
               [(0.60, 0.15, 0.05, 0.20), (0.58, 0.17, 0.05, 0.20),
                (0.55, 0.28, 0.05, 0.12), (0.62, 0.18, 0.05, 0.15)]),
    "Tanger": (35.77, [12, 13, 14, 15, 18, 21, 24, 24, 22, 19, 15, 13],
               [(0.40, 0.30, 0.28, 0.02), (0.55, 0.28, 0.15, 0.02),
                (0.78, 0.17, 0.03, 0.02), (0.55, 0.27, 0.16, 0.02)]),
}
_SEASON_OF_MONTH = np.array([0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0])
# fraction of the clear-sky GHI kept by each weather (low, high), and its direct share
_WEATHER_KEEP = np.array([(0.95, 1.02), (0.62, 0.85), (0.22, 0.45), (0.70, 0.88)])
_WEATHER_BEAM = np.array([0.85, 0.55, 0.10, 0.45])
_MONTH_STARTS = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])  # day-of-year - 1


def _extraterrestrial(latitude: float, day: np.ndarray) -> np.ndarray:
    """Daily irradiation on a horizontal plane above the atmosphere, kWh/m²/day."""
    phi = np.radians(latitude)
    decl = np.radians(23.45) * np.sin(2 * np.pi * (284 + day) / 365)
    omega = np.arccos(np.clip(-np.tan(phi) * np.tan(decl), -1, 1))
    e0 = 1 + 0.033 * np.cos(2 * np.pi * day / 365)
    return 24 / np.pi * 1.367 * e0 * (np.cos(phi) * np.cos(decl) * np.sin(omega)
                                      + omega * np.sin(phi) * np.sin(decl))


@register("solar_output", licence="CC-BY-SA-4.0", kind="generated",
          summary="SYNTHETIC daily irradiation and output of a 1 kWp PV panel in Ouarzazate, "
                  "Dakhla and Tanger over one year, calibrated to published irradiation")
def load_solar_output(seed: int = 0, days: int = 365) -> pd.DataFrame:
    """Daily weather, irradiation (kWh/m²) and PV output (kWh) of 1 kWp at three sites.

    ``days`` (1-365) keeps the first days of the year. See ``datasets/solar_output.md``.
    """
    if not 1 <= days <= 365:
        raise ValueError("days must be between 1 and 365")
    rng = np.random.default_rng(seed)
    day = np.arange(1, 366)
    month = np.searchsorted(_MONTH_STARTS, day - 1, side="right")  # 1..12
    frames = []
    for site, (latitude, temps, freqs) in _SITES.items():
        probs = np.array(freqs)[_SEASON_OF_MONTH[month - 1]]  # (365, 4)
        h0 = _extraterrestrial(latitude, day)
        expected_keep = probs @ _WEATHER_KEEP.mean(axis=1)
        clear_index = SOLAR_GHI_TARGET[site] / np.mean(h0 * expected_keep)  # calibration
        weather = np.minimum((rng.uniform(size=(365, 1)) > np.cumsum(probs, axis=1)).sum(axis=1), 3)
        low, high = _WEATHER_KEEP[weather].T
        ghi = h0 * clear_index * rng.uniform(low, high)

        gain_clear = (0.90 + 0.0085 * latitude) + 0.0105 * latitude * np.cos(2 * np.pi * (day - 355) / 365)
        gain = 1 + (gain_clear - 1) * _WEATHER_BEAM[weather] / _WEATHER_BEAM[0]
        cell_temp = np.array(temps)[month - 1] + 22 * ghi / 7
        ratio = 0.86 * (1 - 0.004 * np.clip(cell_temp - 25, 0, None)) * np.where(weather == 3, 0.97, 1.0)
        output = ghi * gain * ratio
        frames.append(pd.DataFrame({
            "site": site, "day_of_year": day, "month": month,
            "weather": np.array(WEATHERS)[weather],
            "irradiation_kwh_m2": ghi.round(3), "output_kwh": output.round(3),
        }).iloc[:days])
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------
# 3. Prices of crafts
# --------------------------------------------------------------------------------------

# style: (product, unit, material, cities, material cost MAD/unit, hours/unit (low, high),
# quantity choices). All AUTHORS' ESTIMATES, except the argan-oil level (see the datasheet).
_ARGAN_CITIES = ["Agadir", "Essaouira", "Taroudant", "Marrakech"]
_CRAFTS = {
    "plain zellige": ("zellige", "m2", "enamelled Fès clay", ["Fès", "Meknès", "Marrakech", "Tétouan"],
                      120, (6, 10), [2, 4, 6, 10, 15, 20, 30, 40]),
    "mosaic zellige": ("zellige", "m2", "enamelled Fès clay", ["Fès", "Meknès", "Marrakech", "Tétouan"],
                       180, (30, 55), [1, 2, 3, 5, 8, 12, 20]),
    "Beni Ouarain": ("carpet", "m2", "undyed sheep wool", ["Midelt", "Khénifra", "Fès", "Marrakech"],
                     250, (40, 60), [1.5, 2, 3, 4, 6, 8]),
    "Azilal": ("carpet", "m2", "wool and cotton", ["Azilal", "Béni Mellal", "Marrakech"],
               200, (32, 50), [1, 1.5, 2, 3, 4, 6]),
    "Glaoui": ("carpet", "m2", "wool, mixed weave", ["Ouarzazate", "Tazenakht", "Marrakech"],
               220, (30, 48), [1, 1.5, 2, 3, 4, 6]),
    "Boucherouite": ("carpet", "m2", "recycled textile strips", ["Marrakech", "Casablanca", "Azilal"],
                     40, (8, 15), [1, 1.5, 2, 3, 4]),
    "culinary argan oil": ("argan oil", "litre", "roasted argan kernels", _ARGAN_CITIES,
                           290, (3, 5), [0.25, 0.5, 1.0]),
    "cosmetic argan oil": ("argan oil", "litre", "raw argan kernels", _ARGAN_CITIES,
                           310, (3, 5), [0.05, 0.1, 0.25, 0.5, 1.0]),
}
_CITY_FACTOR = {"Marrakech": 1.25, "Fès": 1.10, "Casablanca": 1.10, "Essaouira": 1.10, "Agadir": 1.05}
_CHANNEL_FACTOR = {"in person": 1.0, "online": 1.15, "guided tour": 1.45}  # guides take a commission
_HOURLY_RATE_MAD = 20.0  # authors' assumption for a skilled artisan's hour


def _pick(rng: np.random.Generator, sizes: np.ndarray) -> np.ndarray:
    """One uniform index below each of ``sizes``."""
    return np.floor(rng.uniform(size=sizes.size) * sizes).astype(int)


@register("artisan_prices", licence="CC-BY-SA-4.0", kind="generated",
          summary="SYNTHETIC prices of zellige, handwoven carpets and argan oil with their features "
                  "(authors' estimates; argan oil level from 2022 press reports)")
def load_artisan_prices(seed: int = 0, n: int = 600) -> pd.DataFrame:
    """``n`` SYNTHETIC sales of Moroccan crafts with features and price in dirhams.

    Prices per unit (m² of tiles or carpet, litre of oil) come from a cost model:
    (materials + hours × hourly rate) × margins of seller, channel and city × noise.
    See ``datasets/artisan_prices.md``.
    """
    if n < 1:
        raise ValueError("n must be positive")
    rng = np.random.default_rng(seed)
    specs = list(_CRAFTS.values())
    k = rng.choice(len(specs), size=n, p=[0.10, 0.08, 0.16, 0.12, 0.10, 0.10, 0.17, 0.17])
    style = np.array(list(_CRAFTS))[k]
    product, unit, material = (np.array([s[i] for s in specs])[k] for i in range(3))
    cost = np.array([s[4] for s in specs], dtype=float)[k]
    low, high = np.array([s[5] for s in specs], dtype=float)[k].T
    width = max(max(len(s[3]), len(s[6])) for s in specs)
    cities = np.array([s[3] + [""] * (width - len(s[3])) for s in specs])
    sizes = np.array([s[6] + [0.0] * (width - len(s[6])) for s in specs], dtype=float)
    city = cities[k, _pick(rng, np.array([len(s[3]) for s in specs])[k])]
    quantity = sizes[k, _pick(rng, np.array([len(s[6]) for s in specs])[k])]

    is_oil = product == "argan oil"
    hand_pressed = is_oil & (rng.uniform(size=n) < 0.4)
    hours_per_unit = rng.uniform(low, high)
    hours_per_unit = np.where(hand_pressed, rng.uniform(6, 9, n), hours_per_unit)
    material = np.where(hand_pressed, np.char.add(material, ", hand-pressed"),
                        np.where(is_oil, np.char.add(material, ", machine-pressed"), material))

    seller = np.where(rng.uniform(size=n) < np.where(is_oil, 0.6, 0.35), "cooperative", "shop")
    ch = rng.choice(3, size=n, p=[0.6, 0.2, 0.2])
    channel = np.array(list(_CHANNEL_FACTOR))[ch]
    margin = np.where(seller == "cooperative", rng.uniform(1.15, 1.35, n), rng.uniform(1.45, 1.9, n))
    margin *= np.array(list(_CHANNEL_FACTOR.values()))[ch]
    names, where = np.unique(city, return_inverse=True)
    margin *= np.array([_CITY_FACTOR.get(c, 0.95) for c in names])[where]
    # bulk tiles are a little cheaper per m², small bottles dearer per litre
    margin *= np.where(product == "zellige", 1 - 0.004 * np.minimum(quantity, 40), 1.0)
    margin *= np.where(is_oil, 1 + 0.25 * (1 - quantity) ** 2, 1.0)

    per_unit = (cost + _HOURLY_RATE_MAD * hours_per_unit) * margin * rng.lognormal(0.0, 0.10, n)
    per_unit = np.where(is_oil, np.round(per_unit / 5) * 5, np.round(per_unit / 10) * 10)
    price = np.round(per_unit * quantity, 0)
    return pd.DataFrame({
        "product": product, "style": style, "city": city, "material": material,
        "seller": seller, "channel": channel, "quantity": quantity, "unit": unit,
        "hours_of_work": np.round(hours_per_unit * quantity, 1),
        "price_per_unit_mad": per_unit, "price_mad": price,
    })


# --------------------------------------------------------------------------------------
# 4. Pupils and school dropout, with a planted and documented bias
# --------------------------------------------------------------------------------------

# region: (share of pupils, share of them living in rural areas, regional risk factor).
# Shares are authors' rounded approximations; the risk factors only follow the Atlas's
# ranking (highest: Marrakech-Safi, Tanger-Tétouan-Al Hoceïma, Béni Mellal-Khénifra;
# lowest: the southern regions).
_SCHOOL_REGIONS = {
    "Casablanca-Settat": (0.20, 0.25, 1.00),
    "Rabat-Salé-Kénitra": (0.14, 0.30, 1.00),
    "Marrakech-Safi": (0.13, 0.55, 1.20),
    "Fès-Meknès": (0.12, 0.40, 1.00),
    "Tanger-Tétouan-Al Hoceïma": (0.11, 0.40, 1.20),
    "Souss-Massa": (0.08, 0.45, 0.90),
    "Oriental": (0.07, 0.33, 1.00),
    "Béni Mellal-Khénifra": (0.07, 0.50, 1.15),
    "Drâa-Tafilalet": (0.05, 0.62, 1.00),
    "Guelmim-Oued Noun": (0.015, 0.30, 0.60),
    "Laâyoune-Sakia El Hamra": (0.01, 0.07, 0.60),
    "Dakhla-Oued Ed-Dahab": (0.005, 0.15, 0.60),
}


@register("school_dropout", licence="CC-BY-SA-4.0", kind="generated",
          summary="SYNTHETIC pupils with a PLANTED bias: dropout much higher in rural areas, "
                  "highest for rural girls in lower secondary (fairness lessons)")
def load_school_dropout(seed: int = 0, n: int = 5000) -> pd.DataFrame:
    """``n`` SYNTHETIC pupils (grades 1-9) with features and a ``dropped_out`` label.

    The dropout rate of each group (area × gender × cycle) is set exactly to
    :data:`DROPOUT_TARGETS` (up to rounding): primary rates are calibrated to the
    CSEFRS Atlas (2018), lower-secondary rates are the authors' assumptions. The
    rural/girl excess is planted on purpose for fairness lessons; see
    ``datasets/school_dropout.md``.
    """
    if n < 1:
        raise ValueError("n must be positive")
    rng = np.random.default_rng(seed)
    names = np.array(list(_SCHOOL_REGIONS))
    weight, rural_share, region_risk = (np.array(col) for col in zip(*_SCHOOL_REGIONS.values()))
    region = rng.choice(names.size, size=n, p=weight / weight.sum())
    rural = rng.uniform(size=n) < rural_share[region]
    girl = rng.uniform(size=n) < 0.49
    secondary = rng.uniform(size=n) < np.where(rural, 0.26, 0.32)
    grade = np.where(secondary, rng.integers(7, 10, n), rng.integers(1, 7, n))

    median_km = np.select([rural & secondary, rural, secondary], [6.0, 2.0, 1.5], 0.7)
    distance = np.clip(median_km * rng.lognormal(0.0, 0.65, n), 0.1, 25.0)
    transport = rng.uniform(size=n) < np.where(rural & secondary & (distance > 3), 0.35, 0.03)
    literate = rng.uniform(size=n) < np.where(rural, 0.55, 0.85)
    p_repeat = np.where(secondary, 0.25, 0.12) + np.where(rural, 0.05, 0.0) - np.where(literate, 0.04, 0.0)
    repeated = rng.uniform(size=n) < p_repeat * np.where(grade == 1, 0.3, 1.0)

    # Risk from the features (the part a model can "explain")...
    walk = np.where(transport, 0.5, 1.0) * np.log1p(distance)
    score = (0.55 * walk + 0.8 * repeated - 0.5 * literate + np.log(region_risk[region])
             + np.where(grade == 9, 0.5, 0.0) + np.where(grade == 6, 0.3, 0.0))
    # ...and the planted group rates: one intercept per (area, gender, cycle), chosen so that
    # the group's dropout rate is the target, then exactly round(rate × size) dropouts per group,
    # drawn with probabilities proportional to the individual risks.
    group = (np.where(rural, 2, 0) + girl.astype(int) + np.where(secondary, 4, 0))
    order = [(a, g, c) for c in ("primary", "lower secondary") for a in ("urban", "rural")
             for g in ("boy", "girl")]
    target = np.array([DROPOUT_TARGETS[k] for k in order])
    lo, hi = np.full(8, -15.0), np.full(8, 10.0)
    counts = np.maximum(np.bincount(group, minlength=8), 1)
    for _ in range(60):  # bisection on the 8 intercepts at once
        mid = (lo + hi) / 2
        rate = np.bincount(group, weights=_sigmoid(score + mid[group]), minlength=8) / counts
        lo, hi = np.where(rate < target, mid, lo), np.where(rate < target, hi, mid)
    prob = _sigmoid(score + ((lo + hi) / 2)[group])
    key = np.log(rng.uniform(size=n)) / prob  # weighted sampling without replacement
    dropped = np.zeros(n, dtype=bool)
    for g in range(8):
        members = np.flatnonzero(group == g)
        k = int(round(target[g] * members.size))
        if k:
            dropped[members[np.argsort(key[members])[-k:]]] = True

    mean_absences = (4.0 + 0.4 * np.minimum(distance, 15) * ~transport + 2.0 * repeated
                     + np.where(dropped, 9.0, 0.0))
    absences = rng.negative_binomial(3, 3 / (3 + mean_absences))
    age = 5 + grade + repeated + (rural & (rng.uniform(size=n) < 0.1))
    return pd.DataFrame({
        "pupil_id": [f"P{i:05d}" for i in range(1, n + 1)],
        "region": names[region],
        "area": np.where(rural, "rural", "urban"),
        "gender": np.where(girl, "girl", "boy"),
        "cycle": np.where(secondary, "lower secondary", "primary"),
        "grade": grade.astype(np.int64),
        "age": age.astype(np.int64),
        "distance_to_school_km": distance.round(1),
        "school_transport": transport.astype(np.int64),
        "parents_literate": literate.astype(np.int64),
        "repeated_year": repeated.astype(np.int64),
        "absences_days": absences.astype(np.int64),
        "dropped_out": dropped.astype(np.int64),
    })
