"""One source's view of the people it holds: which snapshot, which errors.

`observe` picks the rows, takes the current or the old snapshot of each, and
damages names, numbers and dates at the source's rates. The result still has
canonical column names; `sources` and `foundations` give them the headers
and formats of the real export.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator import names, noise
from simulator.population import CHILD, HEAD, Population


@dataclass(frozen=True)
class SourceNoise:
    name: noise.NameNoise = field(default_factory=noise.NameNoise)
    nik_missing: float = 0.0
    nik_typo: float = 0.0
    head_nik: float = 0.0  # share of households whose head's NIK is written for all
    kk_missing: float = 0.0
    # households whose members other than the head lose the KK (about half each),
    # while the source still lists the family together at one address
    family_kk_missing: float = 0.0
    birth_missing: float = 0.0
    swap_day_month: float = 0.0
    default_date: float = 0.0
    year_slip: float = 0.0
    phone_missing: float = 0.0
    address_missing: float = 0.0
    date_typo: float = 0.0
    # Rows that failed the Dukcapil check ("BELUM PADAN"): no valid NIK, and the
    # name and birth date are why they failed, so both carry more damage.
    unmatched: float = 0.0


#: Extra damage on an unmatched row, on top of the source's own rates.
UNMATCHED_NAME = noise.NameNoise(
    muhammad=0.9, old_spelling=0.25, title=0.12, typo=0.08, nickname=0.3, p_for_f=0.3,
    patronym=0.05, call_name=0.03,
)  # fmt: skip
UNMATCHED_DATE = {
    "swap_day_month": 0.12,
    "default_date": 0.18,
    "date_typo": 0.12,
    "year_slip": 0.08,
}


_ADDRESS = ("street", "house_number", "rt", "rw", "kelurahan", "kecamatan")


def observe(
    pop: Population,
    rows: np.ndarray,
    old: np.ndarray,
    rng: np.random.Generator,
    rates: SourceNoise,
) -> pd.DataFrame:
    """`rows` are person indices; `old[i]` says row i comes from the old snapshot."""
    p = pop.people
    v = p.iloc[rows].reset_index(drop=True)
    for col in (*_ADDRESS, "no_kk", "relationship"):
        v[col] = v[col].where(~old, v["old_" + col])
    v = v.drop(columns=[c for c in v.columns if c.startswith("old_")])
    female = v["female"].to_numpy()
    fathers = _fathers(pop, v, rng)
    v["full_name"] = noise.name(v["full_name"], female, fathers, rng, rates.name)
    bad = noise.pick(rng, len(v), rates.unmatched)
    if bad.any():
        v.loc[bad, "full_name"] = noise.name(
            v.loc[bad, "full_name"], female[bad], fathers[bad], rng, UNMATCHED_NAME
        )
    heads = p.loc[p["role"] == HEAD, ["household", "nik"]].set_index("household")["nik"]
    head_nik = heads.reindex(v["household"]).set_axis(v.index)
    hh_mask = noise.pick(rng, pop.households, rates.head_nik)
    v["nik"] = noise.same_for_household(v["nik"], v["household"].to_numpy(), head_nik, hh_mask)
    v["nik"] = noise.nik_typos(v["nik"], rng, rates.nik_typo)
    v["nik"] = noise.missing(v["nik"], rng, rates.nik_missing)
    v["nik"] = noise.invalid_nik(v["nik"], v["no_kk"], rng, bad)
    v["no_kk"] = noise.missing(v["no_kk"], rng, rates.kk_missing)
    if rates.family_kk_missing > 0:  # no draw at rate 0: older profiles stay byte-identical
        family = noise.pick(rng, pop.households, rates.family_kk_missing)[v["household"]]
        member = (v["role"].to_numpy() != HEAD) & noise.pick(rng, len(v), 0.5)
        v["no_kk"] = v["no_kk"].where(~(family & member), None)
    d = v["birth_date"]
    d = noise.swap_day_month(d, rng, rates.swap_day_month)
    d = noise.default_date(d, rng, rates.default_date)
    d = noise.year_slip(d, rng, rates.year_slip)
    d = noise.date_typo(d, rng, rates.date_typo)
    if bad.any():
        b = d[bad]
        b = noise.swap_day_month(b, rng, UNMATCHED_DATE["swap_day_month"])
        b = noise.default_date(b, rng, UNMATCHED_DATE["default_date"])
        b = noise.date_typo(b, rng, UNMATCHED_DATE["date_typo"])
        d = d.copy()
        d[bad] = noise.year_slip(b, rng, UNMATCHED_DATE["year_slip"])
    v["birth_date"] = noise.missing(d, rng, rates.birth_missing)
    v["phone"] = noise.missing(v["phone"], rng, rates.phone_missing)
    v["house_number"] = v["house_number"].astype("int64").astype("str")
    gone = noise.pick(rng, len(v), rates.address_missing)
    for col in ("street", "house_number"):
        v[col] = v[col].where(~gone, None)
    return v


def _fathers(pop: Population, v: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """The father's first name: the head's for a child, a plausible one otherwise."""
    p = pop.people
    heads = p.loc[(p["role"] == HEAD) & ~p["female"], ["household", "full_name"]]
    first = heads.set_index("household")["full_name"].str.split(" ").str[-1]
    father = first.reindex(v["household"]).set_axis(v.index)
    other = pd.Series(names.draw(rng, names.MALE_FIRST, len(v)), index=v.index, dtype="str")
    return father.where(v["role"].to_numpy() == CHILD, other).fillna(other)
