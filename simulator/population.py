"""The true city: households (KK) and their members, before any source sees them.

One row per person in `Population.people`. Columns prefixed `old_` hold what an
older snapshot (DTKS, P3KE, some foundations) still has: the address before a
move, and for a child who married and got their own KK, the parents' KK and
address with relationship ANAK. `old_seen` is False for people an older
snapshot cannot know (members of a household formed after the split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from connectors import reference
from domain import regions
from domain.city import CITY_CODE
from simulator import names, nik

TODAY: Final = np.datetime64("2025-06-30")

HEAD, SPOUSE, CHILD, PARENT = 0, 1, 2, 3
ROLES: Final[tuple[str, ...]] = ("KEPALA", "ISTRI", "ANAK", "ORANG TUA")

# share of families in each DTSEN welfare decile; Bandung is richer than average
DECILE_SHARES: Final = np.array([0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.12, 0.12, 0.13])


@dataclass(frozen=True)
class Population:
    people: pd.DataFrame
    households: int


def _areas() -> tuple[pd.DataFrame, np.ndarray]:
    kec = {k.code: k.name for k in reference.kecamatan()}
    kel = pd.DataFrame(
        [(k.code, k.kecamatan_code, k.name, kec[k.kecamatan_code]) for k in reference.kelurahan()],
        columns=["kel_code", "kec_code", "kelurahan", "kecamatan"],
    )
    streets = []
    for i, name in enumerate(kel["kelurahan"]):
        gang = names.GANG_NAMES
        streets += [
            f"Jl. {name}",
            f"Jl. {name} Raya",
            f"Gg. {gang[i % len(gang)]}",
            f"Gg. {gang[(i * 7 + 3) % len(gang)]}",
            names.CITY_STREETS[i % len(names.CITY_STREETS)],
        ]
    return kel, np.asarray(streets, dtype=object)


def _address(rng: np.random.Generator, n: int, n_kel: int) -> dict[str, np.ndarray]:
    kel = rng.integers(0, n_kel, size=n)
    return {
        "kel": kel,
        "street": kel * 5 + rng.integers(0, 5, size=n),
        "house_number": rng.integers(1, 180, size=n),
        "rt": rng.integers(1, 16, size=n),
        "rw": rng.integers(1, 13, size=n),
    }


def _households(rng: np.random.Generator, h: int, n_kel: int) -> pd.DataFrame:
    head_age = np.clip(rng.normal(46, 13, size=h), 21, 88).astype(np.int64)
    spouse = rng.random(h) < np.where(head_age < 65, 0.83, 0.55)
    head_female = np.where(spouse, rng.random(h) < 0.04, rng.random(h) < 0.55)
    lam = np.select([head_age < 30, head_age < 56], [1.0, 2.3], 1.2)
    children = np.minimum(rng.poisson(lam), 6)
    elder = (head_age < 55) & (rng.random(h) < 0.09)
    hh = pd.DataFrame(
        {
            "head_age": head_age,
            "spouse": spouse,
            "head_female": head_female,
            "children": children,
            "elder": elder,
            "decile": rng.choice(10, size=h, p=DECILE_SHARES / DECILE_SHARES.sum()) + 1,
        }
    )
    for k, v in _address(rng, h, n_kel).items():
        hh[k] = v
    # moved between the old snapshot and now: a new address and a new KK
    hh["moved"] = rng.random(h) < 0.07
    old = _address(rng, h, n_kel)
    for k, v in old.items():
        hh["old_" + k] = np.where(hh["moved"], v, hh[k])
    # a married child who left the parents' KK: the parent household it came from
    young = np.flatnonzero((head_age <= 38) & ~hh["moved"].to_numpy())
    older = np.flatnonzero(head_age >= 50)
    split = young[rng.random(len(young)) < 0.30] if len(older) else young[:0]
    parent = np.full(h, -1, dtype=np.int64)
    parent[split] = rng.choice(older, size=len(split)) if len(split) else parent[split]
    hh["split_from"] = parent
    return hh


def _members(rng: np.random.Generator, hh: pd.DataFrame) -> pd.DataFrame:
    size = (1 + hh["spouse"] + hh["children"] + hh["elder"]).to_numpy(dtype=np.int64)
    hidx = np.repeat(np.arange(len(hh)), size)
    pos = np.arange(len(hidx)) - np.repeat(np.cumsum(size) - size, size)
    sp = hh["spouse"].to_numpy(dtype=np.int64)[hidx]
    kids = hh["children"].to_numpy(dtype=np.int64)[hidx]
    role = np.select([pos == 0, (sp == 1) & (pos == 1), pos < 1 + sp + kids], [0, 1, 2], 3)
    head_age = hh["head_age"].to_numpy()[hidx]
    head_female = hh["head_female"].to_numpy()[hidx]
    n = len(hidx)
    child_age = np.minimum((head_age - 19) * rng.random(n) ** 0.8, head_age - 17)
    age = np.select(
        [role == HEAD, role == SPOUSE, role == CHILD],
        [head_age, np.clip(head_age + rng.normal(-3, 4, n), 17, 95), np.maximum(child_age, 0)],
        np.minimum(head_age + rng.integers(21, 36, n), 99),
    )
    female = np.select(
        [role == HEAD, role == SPOUSE, role == CHILD],
        [head_female, ~head_female, rng.random(n) < 0.49],
        rng.random(n) < 0.62,
    )
    days = (age * 365.25).astype(np.int64) + rng.integers(0, 365, n)
    return pd.DataFrame(
        {
            "household": hidx,
            "role": role,
            "female": female,
            "birth_date": TODAY - days.astype("timedelta64[D]"),
            "age": age.astype(np.int64),
        }
    )


def _ppks(rng: np.random.Generator, p: pd.DataFrame) -> pd.Series:
    n = len(p)
    age, dec, fem = p["age"].to_numpy(), p["decile"].to_numpy(), p["female"].to_numpy()
    adult, child = age >= 18, age < 18
    hh_draw = p["hh_draw"].to_numpy()
    r = rng.random((22, n))
    rules: list[tuple[str, np.ndarray]] = [
        ("PPKS01", (age < 5) & (dec <= 2) & (r[0] < 0.02)),
        ("PPKS02", (age >= 5) & child & (dec <= 2) & (r[1] < 0.03)),
        ("PPKS03", (age >= 12) & child & (r[2] < 0.001)),
        ("PPKS04", (age >= 8) & child & (dec == 1) & (r[3] < 0.006)),
        ("PPKS05", child & (r[4] < 0.01)),
        ("PPKS06", child & (r[5] < 0.001)),
        ("PPKS07", child & (dec <= 3) & (r[6] < 0.002)),
        ("PPKS08", (age >= 60) & (dec <= 4) & (r[7] < 0.25)),
        ("PPKS09", adult & (r[8] < 0.015)),
        ("PPKS10", adult & fem & (age < 50) & (r[9] < 0.0005)),
        ("PPKS11", adult & (dec == 1) & (r[10] < 0.004)),
        ("PPKS12", adult & (dec == 1) & (r[11] < 0.005)),
        ("PPKS13", adult & (dec <= 2) & (r[12] < 0.02)),
        ("PPKS15", adult & ~fem & (r[13] < 0.002)),
        ("PPKS16", adult & (r[14] < 0.0008)),
        ("PPKS17", (age >= 15) & (age < 45) & (r[15] < 0.0015)),
        ("PPKS18", adult & (age < 40) & (r[16] < 0.0003)),
        ("PPKS19", adult & (r[17] < 0.001)),
        ("PPKS20", adult & (age < 50) & (dec <= 4) & (r[18] < 0.002)),
        ("PPKS21", hh_draw < 0.002),
        ("PPKS23", (p["role"].to_numpy() == HEAD) & fem & (dec <= 4) & (r[19] < 0.5)),
        ("PPKS24", (dec <= 2) | ((dec == 3) & (hh_draw < 0.5))),
        ("PPKS25", (dec <= 5) & (hh_draw > 0.998)),
    ]
    out = pd.Series("", index=p.index, dtype="str")
    for code, mask in rules:
        out = out.where(~mask, out + ";" + code)
    out = out.str.lstrip(";")
    return out.where(out != "", None)


def _nik_prefix(rng: np.random.Generator, kec_code: np.ndarray) -> np.ndarray:
    n = len(kec_code)
    kec_all = np.asarray([int(k.code) for k in reference.kecamatan()])
    outside = np.asarray([int(r.code) for r in reference.regions() if r.code != CITY_CODE])
    west_java = outside < 3300
    w = np.where(west_java, 6.0, 1.0)
    region = rng.choice(len(outside), size=n, p=w / w.sum())
    # a real district of the region (Kemendagri's list), as a real NIK starts with one
    codes = [[int(a.code) for a in regions.districts_of(str(code))] for code in outside]
    district = np.asarray([[c[k % len(c)] for k in range(25)] for c in codes], dtype=np.int64)
    far = district[region, rng.integers(0, 25, n)]
    u = rng.random(n)
    return np.select([u < 0.76, u < 0.88], [kec_code, kec_all[rng.integers(0, 30, n)]], far)


def _phones(rng: np.random.Generator, n: int) -> pd.Series:
    operator = np.asarray([812, 813, 821, 822, 852, 853, 857, 858, 877, 878, 881, 895, 896])
    num = operator[rng.integers(0, len(operator), n)] * 10**8 + rng.integers(10**7, 10**8, n)
    return "0" + pd.Series(num).astype("str")


def build(rng: np.random.Generator, households: int) -> Population:
    kel, streets = _areas()
    hh = _households(rng, households, len(kel))
    hh["kec_code"] = kel["kec_code"].to_numpy()[hh["kel"]].astype(np.int64)
    hh["old_kec_code"] = kel["kec_code"].to_numpy()[hh["old_kel"]].astype(np.int64)
    issue = TODAY - rng.integers(0, 20 * 365, households).astype("timedelta64[D]")
    hh["no_kk"] = nik.numbers(hh["kec_code"].to_numpy(), issue, None).to_numpy()
    older_issue = issue - rng.integers(365, 5 * 365, households).astype("timedelta64[D]")
    old_kk = nik.numbers(hh["old_kec_code"].to_numpy(), older_issue, None).to_numpy()
    # an unmoved household keeps its card; numbers() keeps old and new apart
    hh["old_no_kk"] = np.where(hh["moved"], old_kk, hh["no_kk"])
    hh["hh_draw"] = rng.random(households)
    hh["household_phone"] = _phones(rng, households).to_numpy()

    p = _members(rng, hh)
    h = p["household"].to_numpy()
    for col in ("decile", "kec_code", "no_kk", "hh_draw", "moved", "household_phone"):
        p[col] = hh[col].to_numpy()[h]
    p["person"] = np.arange(len(p))
    p["full_name"] = names.full_names(rng, p["female"].to_numpy()).to_numpy()
    p["sex"] = np.where(p["female"], "P", "L")
    p["relationship"] = np.asarray(ROLES, dtype=object)[p["role"]]
    p.loc[(p["role"] == SPOUSE) & ~p["female"], "relationship"] = "SUAMI"
    prefix = _nik_prefix(rng, p["kec_code"].to_numpy())
    nik_date = p["birth_date"].to_numpy()
    shifted = rng.random(len(p)) < 0.02  # NIK date disagrees with a corrected birth date
    nik_date = np.where(shifted, nik_date + rng.integers(-40, 40, len(p)), nik_date)
    p["nik"] = nik.numbers(prefix, nik_date, p["female"].to_numpy()).to_numpy()
    p["nik_prefix"] = prefix
    region = {int(r.code): r.name.removeprefix("Kota ") for r in reference.regions()}
    born_far = prefix // 100 != int(CITY_CODE)
    place = np.where(
        rng.random(len(p)) < 0.8, "Bandung", names.draw(rng, names.BIRTH_PLACES, len(p))
    )
    far_place = pd.Series(prefix // 100).map(region).to_numpy()
    p["birth_place"] = np.where(born_far & (rng.random(len(p)) < 0.8), far_place, place)
    p["ppks"] = _ppks(rng, p).to_numpy()
    phone_p = np.select([p["role"] == HEAD, p["age"] >= 17], [0.85, 0.45], 0.0)
    own = _phones(rng, len(p)).to_numpy()
    p["phone"] = np.where(rng.random(len(p)) < phone_p, own, None)
    p.loc[p["role"] == HEAD, "phone"] = np.where(
        rng.random(int((p["role"] == HEAD).sum())) < 0.85,
        hh["household_phone"].to_numpy(),
        None,
    )
    _addresses(p, hh, kel, streets)
    _old_view(p, hh)
    return Population(people=p.drop(columns=["hh_draw"]), households=households)


def _addresses(p: pd.DataFrame, hh: pd.DataFrame, kel: pd.DataFrame, streets: np.ndarray) -> None:
    h = p["household"].to_numpy()
    for prefix in ("", "old_"):
        k = hh[prefix + "kel"].to_numpy()[h]
        p[prefix + "kelurahan"] = kel["kelurahan"].to_numpy()[k]
        p[prefix + "kecamatan"] = kel["kecamatan"].to_numpy()[k]
        p[prefix + "street"] = streets[hh[prefix + "street"].to_numpy()[h]]
        for col in ("house_number", "rt", "rw"):
            p[prefix + col] = hh[prefix + col].to_numpy()[h]


def _old_view(p: pd.DataFrame, hh: pd.DataFrame) -> None:
    """What an older snapshot knew: old KK and address, split children at home."""
    h = p["household"].to_numpy()
    p["old_no_kk"] = hh["old_no_kk"].to_numpy()[h]
    p["old_relationship"] = p["relationship"]
    parent = hh["split_from"].to_numpy()[h]
    split = parent >= 0
    head = p["role"].to_numpy() == HEAD
    moved_out = split & head
    p["old_seen"] = ~split | head
    src = parent[moved_out]
    p.loc[moved_out, "old_no_kk"] = hh["old_no_kk"].to_numpy()[src]
    p.loc[moved_out, "old_relationship"] = "ANAK"
    heads = p.loc[head].set_index("household")
    for col in ("kelurahan", "kecamatan", "street", "house_number", "rt", "rw"):
        p.loc[moved_out, "old_" + col] = heads["old_" + col].reindex(src).to_numpy()
