"""Household context: a row with only a name and a phone is the family member it fits."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from linkage_city import mini_city, stage

from linkage import run_linkage
from linkage.context import CONTEXT_LEVELS
from linkage.explain import explain_pair

PHONE = "081398765432"
KK = "3273061505120007"


def _family() -> list[dict[str, Any]]:
    home = {
        "no_kk": KK,
        "street": "Jl. Sukasenang",
        "house_number": "14",
        "rt": "002",
        "rw": "05",
        "kelurahan": "Isola",
        "kecamatan": "Sukasari",
    }
    people = [
        ("1", "Muhammad Dodi", "3273061204700001", date(1970, 4, 12), "L", "KEPALA", PHONE),
        ("2", "Euis Komariah", "3273065509740001", date(1974, 9, 15), "P", "ISTRI", None),
        ("3", "Muhammad Dodi Saputra", "3273060103000003", date(2000, 3, 1), "L", "ANAK", None),
        ("4", "Rizki Ramdani", "3273061707050002", date(2005, 7, 17), "L", "ANAK", None),
    ]
    rows = []
    for number, name, nik, born, sex, role, phone in people:
        for source in ("disdukcapil", "dtsen"):
            rows.append(
                {
                    **home,
                    "source": source,
                    "source_record_id": f"{source[:2]}-{number}",
                    "full_name": name,
                    "nik": nik,
                    "birth_date": born,
                    "sex": sex,
                    "relationship": role,
                    "phone": phone,
                }
            )
    return rows  # fmt: skip


def _bare(
    record_id: str, name: str, born: date | None = None, nik: str | None = None
) -> dict[str, Any]:
    """A foundation's row: a name, a free-text address and the household's phone."""
    return {
        "birth_date": born,
        "nik": nik,
        "source": "yayasan-031",
        "source_record_id": record_id,
        "full_name": name,
        "address": "jl sukasenang 14 rt 2/5 isola",
        "phone": "+62 813-9876-5432",
    }


@pytest.fixture
def linked(con: duckdb.DuckDBPyConnection, model_dir: Path) -> duckdb.DuckDBPyConnection:
    rows, _ = mini_city(households=30, seed=85)
    bare = [
        _bare("a", "Ramdani"),
        _bare("b", "Muhammad"),
        # the head's NIK written for his wife, no birth date
        _bare("c", "Eis Komariah", nik="3273061204700001"),
        # an unknown birthday written as 1 January of the year
        _bare("d", "Dodi", born=date(2000, 1, 1)),
    ]
    stage(con, rows + _family() + bare)
    run_linkage(con, model_dir)
    return con


def _people(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT record_key, person_id FROM identity_map").fetchall())


def test_a_name_and_a_phone_join_the_one_member_the_name_fits(
    linked: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    people = _people(linked)
    # "Ramdani": a word of the youngest son's name only; "Eis": the mother, one
    # typo, under her husband's NIK
    assert people["yayasan-031:a"] == people["disdukcapil:di-4"]
    assert people["yayasan-031:c"] == people["disdukcapil:di-2"]
    link = linked.execute(
        "SELECT level, detail, record_key_r FROM context_links WHERE record_key_l = 'yayasan-031:a'"
    ).fetchall()
    assert link and CONTEXT_LEVELS[link[0][0]] in link[0][1]
    # `hub explain` on the two records says why they are one person
    explained = explain_pair(linked, "yayasan-031:a", link[0][2], model_dir)
    assert explained is not None and explained["household_context"] == link[0][1]


def test_a_name_two_relatives_share_links_to_neither(
    linked: duckdb.DuckDBPyConnection,
) -> None:
    people = _people(linked)
    father, son = people["disdukcapil:di-1"], people["disdukcapil:di-3"]
    assert father != son
    # "Dodi" fits father and son alike; the birth year says which
    assert people["yayasan-031:d"] == son
    # father and son both "Muhammad Dodi ...": the bare "Muhammad" is left alone ...
    assert people["yayasan-031:b"] not in (father, son)
    # ... but still in the family's household
    households = dict(
        linked.execute("SELECT record_key, household_id FROM identity_map").fetchall()
    )
    assert households["yayasan-031:b"] == households["disdukcapil:di-1"]


def test_a_son_under_his_fathers_nik_and_name_stays_his_own_person(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    # clerks write the head's NIK for every member; father and son are both "Iwan"
    rows, _ = mini_city(households=30, seed=86)
    home = {
        "no_kk": "3273062002100004",
        "street": "Gg. Bojong",
        "house_number": "3",
        "rt": "004",
        "rw": "02",
        "kelurahan": "Isola",
        "kecamatan": "Sukasari",
        "phone": "081277788899",
    }
    family = [
        {**home, "source": "disdukcapil", "source_record_id": "f", "full_name": "Iwan",
         "nik": "3273062605790001", "birth_date": date(1979, 5, 26), "sex": "L",
         "relationship": "KEPALA"},
        {**home, "source": "dtks", "source_record_id": "f", "full_name": "Iwan",
         "nik": "3273062605790001", "birth_date": date(1979, 5, 26), "sex": "L",
         "relationship": "KEPALA"},
        {**home, "source": "dtks", "source_record_id": "s", "full_name": "Iwan",
         "nik": "3273062605790001", "birth_date": date(2009, 5, 3), "sex": "L",
         "relationship": "ANAK"},
    ]  # fmt: skip
    stage(con, rows + family)
    run_linkage(con, model_dir)
    people = _people(con)
    assert people["disdukcapil:f"] == people["dtks:f"]
    assert people["dtks:s"] != people["dtks:f"]
