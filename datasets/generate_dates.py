"""Generate ``dates_tafilalet.csv``: a small, synthetic set of Moroccan dates.

The data is **synthetic**. The ranges are plausible for the two varieties
(Mejhoul dates are large and heavy, Boufeggous dates are medium-sized) but they
were chosen by the authors, not measured in a cooperative. See
``dates_tafilalet.md`` for the datasheet.

Run ``python datasets/generate_dates.py`` to regenerate the file; the seed is
fixed, so the output is identical every time.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 2026
N_PER_VARIETY = 60
# variety: (mean length cm, sd length, mean weight g, sd weight, correlation)
VARIETIES = {
    "Mejhoul": (5.0, 0.45, 20.0, 3.5, 0.7),
    "Boufeggous": (4.1, 0.40, 13.0, 2.5, 0.7),
}


def generate(seed: int = SEED) -> list[dict[str, object]]:
    """Return the rows of the data set, shuffled, as dictionaries."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for variety, (ml, sl, mw, sw, rho) in VARIETIES.items():
        cov = [[sl**2, rho * sl * sw], [rho * sl * sw, sw**2]]
        sample = rng.multivariate_normal([ml, mw], cov, size=N_PER_VARIETY)
        for length, weight in sample:
            rows.append(
                {
                    "length_cm": round(float(np.clip(length, 2.5, 7.5)), 1),
                    "weight_g": round(float(np.clip(weight, 5.0, 35.0)), 1),
                    "variety": variety,
                }
            )
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def main() -> None:
    out = Path(__file__).with_name("dates_tafilalet.csv")
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["length_cm", "weight_g", "variety"])
        writer.writeheader()
        writer.writerows(generate())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
