"""Wiring: the decile threshold alerts of one `hub load` (issue 16).

For each `household.decile_changed` fact the load derived, the household's
programs (its active enrolments in linkage's output) are judged by their
eligibility rules with the old and the new decile (`domain.decile_alerts`);
each program whose rule held and now fails gives a `decile_alert.raised`
fact: the enrolment is paused for a field check until a social worker or
Dinsos resolves it (`resolveDecileAlert`). The household's other facts
(members, ages, PPKS) are read from the same output the load sends, so the
rule sees the household as the graph will.

An enrolment recorded only through the API is not in linkage's output: it
raises its alert when it is recorded (`schema.decile_alerts.raise_at_enrolment`)
if the household is over the threshold then. The graph's enrolments carry the
pauses: `hub.journal_replay` marks them after every load.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb

from domain.decile_alerts import alert_payload, crossings
from domain.eligibility import RuleBook, household_facts
from journal import NewFact, kinds


def decile_alerts(
    con: duckdb.DuckDBPyConnection, facts: Sequence[NewFact], book: RuleBook, on: date
) -> list[NewFact]:
    """The alerts of the decile changes among `facts`; `con` holds the load's
    built tables (`_gs_households`, `_gs_persons`, `_gs_enrolments`)."""
    changes = [f for f in facts if f.kind == kinds.DECILE_CHANGED]
    if not changes:
        return []
    ids = [str(f.payload["household_id"]) for f in changes]
    members = _by_household(
        con,
        "SELECT household_id, birth_date, status, ppks FROM _gs_persons "
        "WHERE household_id IN (SELECT unnest($ids::VARCHAR[]))",
        ids,
    )
    enrolled = _by_household(
        con,
        "SELECT household_id, program FROM _gs_enrolments "
        "WHERE active AND household_id IN (SELECT unnest($ids::VARCHAR[]))",
        ids,
    )
    areas = {
        r["household_id"]: r
        for rows in _by_household(
            con,
            "SELECT household_id, kecamatan_code, kelurahan_code FROM _gs_households "
            "WHERE household_id IN (SELECT unnest($ids::VARCHAR[]))",
            ids,
        ).values()
        for r in rows
    }
    out = []
    for change in changes:
        hid = str(change.payload["household_id"])
        old, new = change.payload.get("from"), change.payload.get("to")
        programs = [str(r["program"]) for r in enrolled.get(hid, [])]
        facts_now = household_facts(new, members.get(hid, []), on)
        area = areas.get(hid, {})
        for crossing in crossings(book, facts_now, old, new, on, programs):
            out.append(
                NewFact(
                    kind=kinds.DECILE_ALERT_RAISED,
                    subject=hid,
                    household_ids=(hid,),
                    payload=alert_payload(
                        hid, crossing, area.get("kecamatan_code"), area.get("kelurahan_code")
                    ),
                    key=f"{kinds.DECILE_ALERT_RAISED}:{crossing.program}:{change.key}",
                )
            )
    return out


def _by_household(
    con: duckdb.DuckDBPyConnection, query: str, ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    found = con.execute(query, {"ids": ids})
    names = [d[0] for d in found.description or ()]
    for values in found.fetchall():
        row = dict(zip(names, values, strict=True))
        out.setdefault(str(row["household_id"]), []).append(row)
    return out


__all__ = ["decile_alerts"]
