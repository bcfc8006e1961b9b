"""Stable ids: re-runs, new sources, merges and splits (through review decisions)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from linkage_city import mini_city, stage

from linkage import decide, run_linkage


def _ids(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    rows = con.execute("SELECT record_key, person_id, household_id FROM identity_map").fetchall()
    return {key: (person, household) for key, person, household in rows}


def _events(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple[list[str], str | None]]:
    return [
        (list(ids), survivor)
        for ids, survivor in con.execute(
            "SELECT ids, survivor_id FROM identity_events WHERE kind = $k AND entity = 'person'",
            {"k": kind},
        ).fetchall()
    ]


def test_a_new_source_changes_only_the_ids_it_must(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, truth = mini_city(households=40, seed=21)
    stage(con, [r for r in rows if r["source"] == "dtks"])
    run_linkage(con, model_dir)
    before = _ids(con)
    last_event = con.execute("SELECT max(event_id) FROM identity_events").fetchall()[0][0]

    stage(con, rows)
    summary = run_linkage(con, model_dir)
    after = _ids(con)
    assert {k: after[k] for k in before} == before
    assert (summary.merges, summary.splits) == (0, 0)
    new_people = {after[k][0] for k in after if k not in before} - {p for p, _ in before.values()}
    created = con.execute(
        """SELECT ids[1] FROM identity_events
           WHERE event_id > $e AND kind = 'create' AND entity = 'person'""",
        {"e": last_event},
    ).fetchall()
    assert {row[0] for row in created} == new_people
    # most new records are people the first source already knew
    joined = [k for k in after if k not in before and truth[k][0] in {truth[b][0] for b in before}]
    assert sum(after[k][0] == after[f"dtks:{truth[k][0]}"][0] for k in joined) >= 0.9 * len(joined)


def test_a_split_keeps_the_id_for_one_part_and_records_lineage(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=22)
    stage(con, rows)
    run_linkage(con, model_dir)
    before = _ids(con)
    left, right = "dtks:p0-0", "yayasan:y-p0-0"
    if right not in before:
        left, right = next(
            (f"dtks:{k.split(':y-')[1]}", k) for k in before if k.startswith("yayasan:")
        )
    old = before[left][0]
    assert before[right][0] == old

    decide(con, "not_same", record_keys=(left, right), decided_by="tester")
    summary = run_linkage(con, model_dir)
    after = _ids(con)
    assert after[left][0] != after[right][0]
    assert old in (after[left][0], after[right][0])
    new = ({after[left][0], after[right][0]} - {old}).pop()
    assert summary.splits >= 1
    assert ([old, new], old) in _events(con, "split")
    status = con.execute(
        "SELECT status FROM person_registry WHERE person_id = $p", {"p": new}
    ).fetchall()
    assert status == [("active",)]
    # the decision sticks: the next run changes nothing
    run_linkage(con, model_dir)
    assert _ids(con) == after


def test_a_merge_keeps_the_older_id_and_points_the_other_at_it(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=23)
    stage(con, rows)
    run_linkage(con, model_dir)
    before = _ids(con)
    first, second = "dtks:p1-0", "dtks:p2-0"
    a, b = before[first][0], before[second][0]
    assert a != b

    decide(con, "same", record_keys=(first, second), note="same person, two families")
    summary = run_linkage(con, model_dir)
    after = _ids(con)
    survivor = after[first][0]
    assert after[second][0] == survivor
    assert survivor in (a, b)
    merged = ({a, b} - {survivor}).pop()
    assert summary.merges >= 1
    registry = con.execute(
        "SELECT status, survivor_id FROM person_registry WHERE person_id = $p", {"p": merged}
    ).fetchall()
    assert registry == [("merged", survivor)]
    assert any(ids[0] == survivor and merged in ids for ids, _ in _events(con, "merge"))
    # every record that had the merged id now carries the survivor; nobody else moved
    for key, (person, _) in before.items():
        assert after[key][0] == (survivor if person in (a, b) else person)
    run_linkage(con, model_dir)
    assert _ids(con) == after


def test_a_record_that_leaves_keeps_its_last_ids_in_identity_retired(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=30, seed=23)
    stage(con, rows)
    run_linkage(con, model_dir)
    before = _ids(con)
    gone = sorted(before)[0]
    stage(con, [r for r in rows if f"{r['source']}:{r['source_record_id']}" != gone])
    run_linkage(con, model_dir)
    assert gone not in _ids(con)
    retired = con.execute(
        "SELECT person_id, household_id FROM identity_retired WHERE record_key = $k",
        {"k": gone},
    ).fetchall()
    assert retired == [before[gone]]
