"""How sources write values: dates, sex, RT/RW, addresses, phones, case.

Each writer turns a true column into the text one source would export, for a
whole column at once.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

BULAN: Final[tuple[str, ...]] = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
    "September", "Oktober", "November", "Desember",
)  # fmt: skip

#: strftime format -> how a config names it; "%d %B %Y" means Indonesian months.
INDONESIAN_LONG: Final[str] = "%d %B %Y"

SEX_STYLES: Final[dict[str, tuple[str, str]]] = {
    "LP": ("L", "P"),
    "long": ("Laki-laki", "Perempuan"),
    "LONG": ("LAKI-LAKI", "PEREMPUAN"),
    "digit": ("1", "2"),
    "pria": ("Pria", "Wanita"),
}


def dates(d: pd.Series, fmt: str) -> pd.Series:
    if fmt == INDONESIAN_LONG:
        month = pd.Series(np.asarray(BULAN, dtype=object)[d.dt.month.fillna(1).astype(int) - 1])
        text = d.dt.strftime("%d ") + month.set_axis(d.index) + d.dt.strftime(" %Y")
        return text.where(d.notna(), None)
    return d.dt.strftime(fmt).where(d.notna(), None)


def sex(s: pd.Series, style: str) -> pd.Series:
    male, female = SEX_STYLES[style]
    return s.map({"L": male, "P": female})


def sex_value_map(style: str) -> dict[str, str]:
    male, female = SEX_STYLES[style]
    return {male: "L", female: "P"}


def padded(n: pd.Series, width: int) -> pd.Series:
    return n.astype("str").str.zfill(width)


def phone(s: pd.Series, rng: np.random.Generator) -> pd.Series:
    """0812..., +62812..., 62812... or 0812-3456-7890, chosen per row."""
    style = rng.integers(0, 6, len(s))
    body = s.str.slice(1)
    dashed = s.str.slice(0, 4) + "-" + s.str.slice(4, 8) + "-" + s.str.slice(8)
    out = s.where(style > 2, None)
    out = out.fillna(("+62" + body).where(style == 0))
    out = out.fillna(("62" + body).where(style == 1))
    return out.fillna(dashed.where(style == 2))


def upper(s: pd.Series) -> pd.Series:
    return s.str.upper()


def free_address(p: pd.DataFrame, prefix: str, rng: np.random.Generator) -> pd.Series:
    """A one-line address, the way a volunteer types it."""
    street = p[prefix + "street"].astype("str")
    no = p[prefix + "house_number"].astype("str")
    rt, rw = p[prefix + "rt"], p[prefix + "rw"]
    kel = p[prefix + "kelurahan"].astype("str")
    kec = p[prefix + "kecamatan"].astype("str")
    style = rng.integers(0, 7, len(p))
    options = [
        street + " No " + no + " RT " + padded(rt, 2) + "/" + padded(rw, 2) + " Kel. " + kel,
        street + " No. " + no + ", RT " + padded(rt, 3) + "/RW " + padded(rw, 3) + ", " + kel,
        street + " " + no + " rt." + rt.astype("str") + " rw." + rw.astype("str") + " " + kel
        + " kec. " + kec,
        street + " no." + no + " RT." + rt.astype("str") + " RW." + rw.astype("str") + ", Kel "
        + kel + ", Kec " + kec + ", Bandung",
        "RT " + padded(rt, 2) + " RW " + padded(rw, 2) + " " + kel + " " + kec,
        # no "Kel." and no "RT": the kelurahan is just a word after the numbers
        street + " " + no + " " + padded(rt, 2) + "/" + padded(rw, 2) + " " + kel,
        street.str.lower() + " no " + no + " rt " + rt.astype("str") + " rw " + rw.astype("str")
        + " " + kel.str.lower() + " bandung",
    ]  # fmt: skip
    out = options[0]
    for i, text in enumerate(options[1:], 1):
        out = out.where(style != i, text)
    return out.set_axis(p.index)
