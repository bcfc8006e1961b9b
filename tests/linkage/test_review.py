from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from linkage_city import mini_city, stage

from linkage import (
    ReviewError,
    count_open,
    decide,
    list_open,
    pair_id,
    pair_records,
    run_linkage,
)
from linkage.pipeline import LinkageSettings


def test_uncertain_pairs_are_queued_and_a_decision_closes_them(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=31)
    stage(con, rows)
    # a wide review band, so this small city has something to review
    summary = run_linkage(
        con, model_dir, settings=LinkageSettings(link_threshold=0.999999, review_threshold=0.5)
    )
    queue = list_open(con, limit=1000)
    assert summary.review_open == len(queue) > 0
    pair = queue[0]
    assert pair.pair_id == pair_id(pair.record_key_r, pair.record_key_l)
    decide(con, "same", pair=pair.pair_id, decided_by="pekerja sosial")
    assert pair.pair_id not in {p.pair_id for p in list_open(con, limit=1000)}
    run_linkage(
        con, model_dir, settings=LinkageSettings(link_threshold=0.999999, review_threshold=0.5)
    )
    people = dict(con.execute("SELECT record_key, person_id FROM identity_map").fetchall())
    assert people[pair.record_key_l] == people[pair.record_key_r]
    assert pair.pair_id not in {p.pair_id for p in list_open(con, limit=1000)}


def test_bad_decisions_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ReviewError, match="same' or 'not_same"):
        decide(con, "maybe", pair="x")
    with pytest.raises(ReviewError, match="hub review list"):
        decide(con, "same", pair="no-such-pair")
    with pytest.raises(ReviewError, match="itself"):
        decide(con, "same", record_keys=("a:1", "a:1"))


def test_the_queue_puts_households_receiving_aid_first_with_evidence(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=31)
    stage(con, rows)
    run_linkage(
        con, model_dir, settings=LinkageSettings(link_threshold=0.999999, review_threshold=0.5)
    )
    queue = list_open(con, limit=1000)
    assert len(queue) > 1
    # mark the household of the last pair's first record as receiving aid
    last = queue[-1]
    con.execute(
        """CREATE TABLE current_services AS
           SELECT record_key, 'dinsos' AS source, 'PKH' AS program FROM identity_map
           WHERE household_id = (SELECT household_id FROM identity_map WHERE record_key = $k)""",
        {"k": last.record_key_l},
    )
    again = list_open(con, limit=1000)
    assert again[0].cost == 2 and again[0].cost_reason == "household receives aid"
    assert [p.cost for p in again] == sorted((p.cost for p in again), reverse=True)
    assert last.pair_id in {p.pair_id for p in again if p.cost == 2}
    for pair in again:
        assert {c["comparison"] for c in pair.evidence} >= {"name", "birth_date"}
        weak = {c["comparison"] for c in pair.evidence if float(c["match_weight"] or 0) <= 0}
        assert set(pair.to_check) == weak
    # one pair per two people: no two open pairs join the same two person ids
    people = dict(con.execute("SELECT record_key, person_id FROM identity_map").fetchall())
    joined = [frozenset((people[p.record_key_l], people[p.record_key_r])) for p in again]
    assert len(joined) == len(set(joined))
    assert all(len(j) == 2 for j in joined)


def test_the_queue_pages_leaves_out_pairs_decided_elsewhere_and_names_their_records(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=31)
    stage(con, rows)
    run_linkage(
        con, model_dir, settings=LinkageSettings(link_threshold=0.999999, review_threshold=0.5)
    )
    queue = list_open(con, limit=1000)
    assert len(queue) > 2 and count_open(con) == len(queue)
    paged = [p for start in range(len(queue)) for p in list_open(con, 1, offset=start)]
    assert paged == queue
    # decided through the API (kept in the ledger, not in this staging yet)
    decided = [queue[0].pair_id]
    rest = list_open(con, 1000, decided=decided)
    assert rest == queue[1:] and count_open(con, decided=decided) == len(queue) - 1
    keys = [queue[0].record_key_l, queue[0].record_key_r]
    records = pair_records(con, keys)
    staged = dict(
        con.execute(
            "SELECT record_key, full_name FROM current_records WHERE record_key IN (?, ?)", keys
        ).fetchall()
    )
    assert {k: r["full_name"] for k, r in records.items()} == staged
    people = {r["person_id"] for r in records.values()}
    assert len(people) == 2, "a queued pair is two people"
