"""A foundation's row with a name, a free-text address and a phone, nothing else."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from linkage_city import mini_city, stage

from linkage import run_linkage
from linkage.realtime import RealtimeLinker

PHONE = "081322334455"


def _registry() -> list[dict[str, Any]]:
    base = {
        "no_kk": "3273061505120003",
        "street": "Gg. Sukaluyu",
        "house_number": "9",
        "rt": "003",
        "rw": "07",
        "kelurahan": "Isola",
        "kecamatan": "Sukasari",
    }
    return [
        {**base, "source": "dtsen", "source_record_id": "d-1", "full_name": "Hermawan Gumilar",
         "nik": "3273061108750001", "birth_date": date(1975, 8, 11), "sex": "L",
         "relationship": "KEPALA", "phone": PHONE},
        {**base, "source": "dtsen", "source_record_id": "d-2", "full_name": "Neneng Nurjanah",
         "nik": "3273065203790002", "birth_date": date(1979, 3, 12), "sex": "P",
         "relationship": "ISTRI"},
        {**base, "source": "disdukcapil", "source_record_id": "r-1",
         "full_name": "HERMAWAN GUMILAR", "nik": "3273061108750001",
         "birth_date": date(1975, 8, 11), "sex": "L", "relationship": "KEPALA"},
    ]  # fmt: skip


def _bare(record_id: str, name: str) -> dict[str, Any]:
    return {
        "source": "yayasan-007",
        "source_record_id": record_id,
        "full_name": name,
        "address": "gg sukaluyu no 9 rt 3 rw 7 isola bandung",
        "phone": "+62 813-2233-4455",
    }


def test_a_row_with_only_a_name_and_a_phone_links_to_its_person(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=30, seed=81)
    stage(con, rows + _registry() + [_bare("1", "Hermawan Gumilar"), _bare("2", "H. Hermawan")])
    run_linkage(con, model_dir)
    people = dict(con.execute("SELECT record_key, person_id FROM identity_map").fetchall())
    hermawan = people["dtsen:d-1"]
    assert people["disdukcapil:r-1"] == hermawan
    assert people["yayasan-007:1"] == hermawan
    # the wife answers the same phone: a different person, the same household
    assert people["dtsen:d-2"] != hermawan
    households = dict(con.execute("SELECT record_key, household_id FROM identity_map").fetchall())
    assert households["yayasan-007:2"] == households["dtsen:d-1"]

    # the real-time path uses the same comparisons and blocking keys
    linker = RealtimeLinker(con, model_dir)
    try:
        again = linker.link_record(_bare("rt-1", "HERMAWAN GUMILAR"))
    finally:
        linker.close()
    assert again.person_id == hermawan
