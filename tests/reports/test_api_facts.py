"""What the API recorded reaches the report on the ids that survive: a service
recorded on a household merged since counts for its survivor (chains too)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from journal import Journal, NewFact, kinds
from linkage.registry import ensure_registry_tables
from reports.api_facts import stage
from reports.queries import Period

NOV = Period.of_month(dt.date(2026, 11, 1), 17, "Asia/Jakarta")


def test_services_on_merged_households_and_persons_count_for_their_survivors(
    tmp_path: Path,
) -> None:
    con = duckdb.connect()
    ensure_registry_tables(con)
    now = dt.datetime(2026, 11, 1)
    # H-1 merged into H-2, which was later merged into H-3; P-1 merged into P-2
    con.executemany(
        "INSERT INTO household_registry (household_id, status, survivor_id, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        [
            ("H-1", "merged", "H-2", now, now),
            ("H-2", "merged", "H-3", now, now),
            ("H-3", "active", None, now, now),
            ("H-9", "active", None, now, now),
        ],
    )
    con.executemany(
        "INSERT INTO person_registry (person_id, status, survivor_id, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        [("P-1", "merged", "P-2", now, now), ("P-2", "active", None, now, now)],
    )
    journal = Journal.at_home(tmp_path)
    journal.append(
        [
            NewFact(
                kinds.SERVICE_RECORDED,
                household_ids=(h,),
                at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC),
                payload={
                    "row": {
                        "service_id": f"svc-{h}",
                        "household_id": h,
                        "person_id": p,
                        "program": "PKH",
                        "service_date": "2026-11-05",
                        "amount": 100,
                    }
                },
            )
            for h, p in (("H-1", "P-1"), ("H-9", None))
        ]
    )
    stage(con, NOV.starts_at, NOV.ends_at, journal)
    rows = con.execute(
        "SELECT service_id, household_id, person_id FROM _rp_api_service ORDER BY 1"
    ).fetchall()
    assert rows == [("svc-H-1", "H-3", "P-2"), ("svc-H-9", "H-9", None)]


def test_an_enrolment_counts_as_last_recorded_before_the_month_ends(tmp_path: Path) -> None:
    con = duckdb.connect()
    ensure_registry_tables(con)
    now = dt.datetime(2026, 11, 1)
    con.execute(
        "INSERT INTO household_registry VALUES ('H-1', 'merged', 'H-2', $n, $n), "
        "('H-2', 'active', NULL, $n, $n)",
        {"n": now},
    )
    journal = Journal.at_home(tmp_path)

    def enrol(day: int, until: str | None) -> NewFact:
        return NewFact(
            kinds.ENROLMENT_RECORDED,
            household_ids=("H-1",),
            at=dt.datetime(2026, 11, day, tzinfo=dt.UTC),
            payload={
                "row": {
                    "household_id": "H-1",
                    "program": "PKH",
                    "since": "2026-11-01",
                    "until": until,
                }
            },
        )

    # enrolled on the 2nd, ended on the 10th, and (after the cut-off) enrolled again
    journal.append([enrol(2, None), enrol(10, "2026-11-10"), enrol(20, None)])
    stage(con, NOV.starts_at, NOV.ends_at, journal)
    rows = con.execute(
        "SELECT household_id, program, since, until FROM _rp_api_enrolment"
    ).fetchall()
    assert rows == [("H-2", "PKH", dt.date(2026, 11, 1), dt.date(2026, 11, 10))]


def test_the_month_ends_at_midnight_in_the_office_not_in_utc(tmp_path: Path) -> None:
    """Bandung is UTC+7: a service recorded at 03:00 WIB on the 18th (20:00 UTC
    on the 17th) is after the 17th's cut-off, so November's report leaves it
    for December's; one at 23:00 WIB on the 17th (16:00 UTC) is November's."""
    con = duckdb.connect()
    ensure_registry_tables(con)
    journal = Journal.at_home(tmp_path)

    def service(sid: str, at: dt.datetime) -> NewFact:
        row = {"service_id": sid, "household_id": "H-1", "program": "PKH", "amount": 1}
        return NewFact(kinds.SERVICE_RECORDED, household_ids=("H-1",), at=at, payload={"row": row})

    journal.append(
        [
            service("late-evening", dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)),
            service("next-morning", dt.datetime(2026, 11, 17, 20, 0, tzinfo=dt.UTC)),
        ]
    )
    dec = Period.of_month(dt.date(2026, 12, 1), 17, "Asia/Jakarta")
    assert NOV.ends_at == dec.starts_at == dt.datetime(2026, 11, 17, 17, 0, tzinfo=dt.UTC)

    def staged(period: Period) -> list[str]:
        stage(con, period.starts_at, period.ends_at, journal)
        return [r[0] for r in con.execute("SELECT service_id FROM _rp_api_service").fetchall()]

    assert staged(NOV) == ["late-evening"]  # the table holds everything before the end
    assert sorted(staged(dec)) == ["late-evening", "next-morning"]


def test_naive_bounds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="time zone"):
        stage(duckdb.connect(), dt.datetime(2026, 10, 18), dt.datetime(2026, 11, 18), None)
