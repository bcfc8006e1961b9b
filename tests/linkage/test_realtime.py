from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from linkage_city import mini_city, stage

from linkage import LinkageError, run_linkage
from linkage.ledger import IdentityLedger
from linkage.realtime import RealtimeLinker
from store import Store


def test_a_new_record_of_a_known_person_gets_their_ids(
    con: duckdb.DuckDBPyConnection, model_dir: Path, tmp_path: Path
) -> None:
    rows, _ = mini_city(households=40, seed=41)
    stage(con, rows)
    run_linkage(con, model_dir)
    known = next(r for r in rows if r["source"] == "dtks" and r["source_record_id"] == "p3-0")
    person, household = con.execute(
        "SELECT person_id, household_id FROM identity_map WHERE record_key = 'dtks:p3-0'"
    ).fetchall()[0]
    ledger = IdentityLedger(tmp_path / "identities.sqlite")
    linker = RealtimeLinker(con, model_dir, ledger=ledger)

    result = linker.link_record(
        {
            **known,
            "source": "puskesmas",
            "source_record_id": "rt-1",
            "full_name": known["full_name"].upper(),
            "nik": None,
        }
    )
    assert (result.person_id, result.household_id, result.is_new) == (person, household, False)
    assert result.match_probability is not None and result.match_probability >= 0.95
    assert {e["comparison"] for e in result.evidence} >= {"name", "birth_date"}

    stranger = linker.link_record(
        {
            "source": "puskesmas",
            "source_record_id": "rt-2",
            "full_name": "Zulkarnaen Batubara",
            "birth_date": date(1931, 2, 3),
            "sex": "L",
            "kelurahan": "Ledeng",
            "kecamatan": "Cidadap",
            "street": "Jl. Sersan Bajuri",
            "house_number": "999",
        }
    )
    assert stranger.is_new and stranger.person_id != person
    # the new id is above every id staging holds, and nothing is written to staging
    highest = con.execute("SELECT max(person_id) FROM person_registry").fetchone()
    assert highest is not None and stranger.person_id > highest[0]
    assert con.execute(
        "SELECT count(*) FROM identity_map WHERE record_key LIKE 'puskesmas:%'"
    ).fetchone() == (0,)
    kept = ledger.assignment("puskesmas:rt-1")
    assert kept is not None and (kept.person_id, kept.minted) == (person, ())
    minted = ledger.assignment("puskesmas:rt-2")
    assert minted is not None and "person" in minted.minted
    # the same record again is recognised, not linked twice
    again = linker.link_record({"source": "puskesmas", "source_record_id": "rt-2"})
    assert (again.person_id, again.is_new) == (stranger.person_id, False)
    linker.close()


def test_realtime_needs_a_linked_city(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(LinkageError, match="hub link"):
        RealtimeLinker(con, tmp_path)


def test_compiled_scoring_matches_predict_between(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=30, seed=42)
    stage(con, rows)
    run_linkage(con, model_dir)
    fast = RealtimeLinker(con, model_dir)
    splink = RealtimeLinker(con, model_dir, compiled=False)
    for number, row in enumerate(rows[:12]):
        record = {**row, "source": "check", "source_record_id": str(number)}
        record.pop("record_key", None)
        a, b = fast.link_record(dict(record)), splink.link_record(dict(record))
        assert a.person_id == b.person_id
        assert a.match_probability == pytest.approx(b.match_probability)
        assert a.evidence == b.evidence


def test_default_record_standardiser_matches_the_bulk_path(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    from linkage.standardise import standardise

    rows, _ = mini_city(households=30, seed=43)
    stage(con, rows)
    run_linkage(con, model_dir)
    fast = RealtimeLinker(con, model_dir)
    bulk = RealtimeLinker(con, model_dir, standardiser=standardise)
    assert fast._record_standardiser is not None and bulk._record_standardiser is None
    records = [{**row, "source": "check"} for row in rows[:10]]
    records.append(
        {
            "source": "check",
            "source_record_id": "free-text",
            "full_name": "H. Moch. Djoko Soesilo",
            "birth_date": "1970-03-02",  # text: goes through the DuckDB cast
            "address": "RT 07 RW 09 Cisaranten Kidul Gedebage",
        }
    )
    records.append(
        {
            "source": "check",
            "source_record_id": "free-text-2",
            "full_name": "Siti Nurhayati",
            "address": "Jl. Kopo No 12 Babakan Ciparay",
        }
    )
    for record in records:
        key = f"check:{record['source_record_id']}"
        mine = fast._standardised(dict(record), key).to_pylist()
        theirs = bulk._standardised(dict(record), key).to_pylist()
        assert mine == theirs
    placed = fast._standardised(records[-1], "check:x").to_pylist()[0]
    assert placed["kelurahan_code"] == "3273031002"
    fast.close()
    bulk.close()


def test_two_linkers_sharing_a_ledger_give_one_person_one_identity(
    con: duckdb.DuckDBPyConnection, model_dir: Path, store_backend: Store
) -> None:
    """Two server processes each hold a linker on the same staging and share the
    ledger: the same new person submitted to both gets one identity, and two new
    people submitted at the same moment get two different ids."""
    from concurrent.futures import ThreadPoolExecutor

    rows, _ = mini_city(households=30, seed=44)
    stage(con, rows)
    run_linkage(con, model_dir)
    identities = store_backend.database("identities")
    first = RealtimeLinker(con, model_dir, ledger=IdentityLedger(identities))
    second = RealtimeLinker(con, model_dir, ledger=IdentityLedger(identities))
    person = {
        "full_name": "Zulkarnaen Batubara",
        "birth_date": date(1931, 2, 3),
        "sex": "L",
        "kelurahan": "Ledeng",
        "kecamatan": "Cidadap",
        "street": "Jl. Sersan Bajuri",
        "house_number": "999",
        "phone": "081299887766",
    }
    other = {
        **person,
        "full_name": "Yuyun Wahyuningsih",
        "sex": "P",
        "birth_date": date(1977, 8, 9),
        "phone": "081311223344",
    }
    try:
        with ThreadPoolExecutor(2) as pool:
            a = pool.submit(
                first.link_record, {**person, "source": "yayasan-a", "source_record_id": "1"}
            )
            b = pool.submit(
                second.link_record, {**other, "source": "yayasan-b", "source_record_id": "1"}
            )
            stranger_a, stranger_b = a.result(), b.result()
        assert stranger_a.is_new and stranger_b.is_new
        assert stranger_a.person_id != stranger_b.person_id
        # the same person reaches the other process, under another record
        again = second.link_record({**person, "source": "yayasan-c", "source_record_id": "7"})
        assert (again.person_id, again.is_new) == (stranger_a.person_id, False)
        # and the same record resubmitted to the other process is recognised
        same = first.link_record({"source": "yayasan-b", "source_record_id": "1"})
        assert (same.person_id, same.is_new) == (stranger_b.person_id, False)
    finally:
        first.close()
        second.close()
    ledger = IdentityLedger(identities)
    numbers = [a.person_id for a in ledger.assignments() if "person" in a.minted]
    assert len(numbers) == len(set(numbers)) == 2
