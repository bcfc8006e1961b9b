"""Households from KK numbers, addresses, phones and person links."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from linkage_city import mini_city, stage

from linkage import run_linkage

KK = "3273011203150004"
NEW_KK = "3273011907240002"


def _member(
    source: str,
    record_id: str,
    name: str,
    born: date,
    sex: str,
    nik: str | None,
    kk: str | None,
    relationship: str | None,
    **more: Any,
) -> dict[str, Any]:
    return {
        "source": source,
        "source_record_id": record_id,
        "full_name": name,
        "birth_date": born,
        "sex": sex,
        "nik": nik,
        "no_kk": kk,
        "relationship": relationship,
        "street": "Gg. Mawar",
        "house_number": "17",
        "rt": "004",
        "rw": "02",
        "kelurahan": "Isola",
        "kecamatan": "Sukasari",
        **more,
    }


def _family() -> list[dict[str, Any]]:
    return [
        _member(
            "dtks",
            "f-1",
            "Dadang Suryana",
            date(1970, 5, 2),
            "L",
            "3273010205700001",
            KK,
            "KEPALA",
            phone="081320001111",
        ),
        _member(
            "dtks", "f-2", "Euis Nurhayati", date(1974, 8, 9), "P", "3273014908740002", KK, "ISTRI"
        ),
        _member(
            "dtks", "f-3", "Rina Suryana", date(1999, 1, 23), "P", "3273016301990003", KK, "ANAK"
        ),
        _member(
            "dtks", "f-4", "Asep Suryana", date(2004, 11, 30), "L", "3273013011040001", KK, "ANAK"
        ),
    ]


def _households(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT record_key, household_id FROM identity_map").fetchall())


def test_a_member_with_a_mistyped_nik_stays_in_the_household(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=30, seed=71)
    family = _family()
    typo = _member(
        "p3ke", "x-9", "Asep Suryana", date(2004, 11, 30), "L", "3273013011040091", KK, "ANAK"
    )
    no_kk = _member(
        "yayasan",
        "y-7",
        "EUIS NURHAYATI",
        date(1974, 8, 9),
        "P",
        None,
        None,
        None,
        phone="+62 813-2000-1111",
    )
    stage(con, rows + family + [typo, no_kk])
    run_linkage(con, model_dir)
    households = _households(con)
    home = households["dtks:f-1"]
    assert {households[k] for k in ("dtks:f-2", "dtks:f-3", "dtks:f-4")} == {home}
    assert households["p3ke:x-9"] == home
    assert households["yayasan:y-7"] == home
    assert sum(h == home for h in households.values()) == 6


def test_a_member_with_a_new_family_card_splits_off(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=30, seed=72)
    stage(con, rows + _family())
    run_linkage(con, model_dir)
    before = _households(con)
    home = before["dtks:f-1"]
    assert before["dtks:f-3"] == home

    married = _member(
        "dtks",
        "f-3",
        "Rina Suryana",
        date(1999, 1, 23),
        "P",
        "3273016301990003",
        NEW_KK,
        "KEPALA",
        street="Jl. Sarijadi Raya",
        house_number="88",
        rt="007",
        rw="05",
        kelurahan="Sarijadi",
    )
    husband = _member(
        "dtks",
        "f-9",
        "Ujang Permana",
        date(1996, 4, 4),
        "L",
        "3273010404960001",
        NEW_KK,
        "KEPALA",
        street="Jl. Sarijadi Raya",
        house_number="88",
        rt="007",
        rw="05",
        kelurahan="Sarijadi",
    )
    changed = [r for r in _family() if r["source_record_id"] != "f-3"] + [married, husband]
    stage(con, rows + changed)
    run_linkage(con, model_dir)
    after = _households(con)
    assert after["dtks:f-1"] == home
    assert after["dtks:f-3"] != home
    assert after["dtks:f-3"] == after["dtks:f-9"]
    moves = con.execute(
        "SELECT ids FROM identity_events WHERE kind = 'move' AND entity = 'household'"
    ).fetchall()
    person = con.execute(
        "SELECT person_id FROM identity_map WHERE record_key = 'dtks:f-3'"
    ).fetchall()[0][0]
    assert [person, home, after["dtks:f-3"]] in [list(m[0]) for m in moves]
