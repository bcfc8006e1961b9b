"""Households from KK numbers, addresses, phones and person links."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from linkage_city import mini_city, stage

from linkage import run_linkage
from linkage.households import explain_household

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


def test_a_member_listed_with_the_family_but_without_a_kk_joins_it(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=30, seed=73)
    family = [{**r, "row_number": i + 1} for i, r in enumerate(_family())]
    # a late-born child only this source knows, the KK cell left empty and the
    # address typed as one line (no street or number the others can match)
    child = _member(
        "dtks", "f-5", "Dede Suryana", date(2016, 2, 14), "L", None, None, "ANAK",
        street=None, house_number=None, address="RT 4 RW 2 Isola", row_number=5,
    )  # fmt: skip
    stranger = _member(
        "dtks", "s-1", "Tatang Sobari", date(1960, 3, 3), "L", None, None, "KEPALA",
        street=None, house_number=None, address="Jl. Lain 3", row_number=40,
    )  # fmt: skip
    stage(con, rows + family + [child, stranger])
    run_linkage(con, model_dir)
    households = _households(con)
    assert households["dtks:f-5"] == households["dtks:f-1"]
    assert households["dtks:s-1"] != households["dtks:f-1"]
    explained = explain_household(con, "dtks:f-5")
    assert explained is not None
    assert explained["rule"] == "family block"
    assert str(explained["via_record_key"]).startswith("dtks:f-")
    assert "dtks:f-1" in explained["other_records"]
    kk = explain_household(con, "dtks:f-2")
    assert kk is not None and kk["rule"] == "kk" and KK in str(kk["detail"])


def test_a_child_who_heads_a_new_family_card_leaves_the_parents_household(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    """An old list still shows her as ANAK on the parents' card; the registry has her
    as head of her own card, which wins even when the parents' card is newer."""
    rows, _ = mini_city(households=30, seed=74)
    old_list = [{**r, "source": "p3ke"} for r in _family()]
    registry = [r for r in _family() if r["source_record_id"] != "f-3"]
    own = _member(
        "dtks", "f-3", "Rina Suryana", date(1999, 1, 23), "P", "3273016301990003",
        "3273010101100001", "KEPALA", street="Jl. Sarijadi Raya", house_number="88",
        rt="007", rw="05", kelurahan="Sarijadi",
    )  # fmt: skip
    husband = _member(
        "dtks", "f-9", "Ujang Permana", date(1996, 4, 4), "L", "3273010404960001",
        "3273010101100001", "SUAMI", street="Jl. Sarijadi Raya", house_number="88",
        rt="007", rw="05", kelurahan="Sarijadi",
    )  # fmt: skip
    stage(con, rows + old_list + registry + [own, husband])
    run_linkage(con, model_dir)
    households = _households(con)
    assert households["dtks:f-3"] == households["p3ke:f-3"] == households["dtks:f-9"]
    assert households["dtks:f-3"] != households["dtks:f-1"] == households["p3ke:f-1"]
