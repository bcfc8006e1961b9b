"""The subject access report (UU PDP Art. 7): a copy of one person's data.

Put together from every store: the source records that hold the person, as
staged, with each source's organization and declared legal basis; the links
made (identity map, match evidence, merges, splits and moves); the person,
household, problems, services, assessments and referrals in the graph; and
who read or changed the data, when and why (the audit log). As JSON, and as a
self-contained HTML page in which every value is escaped.
"""

from __future__ import annotations

import datetime as dt
import getpass
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from connectors.canonical import PERSON_FIELDS
from graph import GraphError, open_driver, subject_graph
from hub.intake import IntakeStore
from hub.security.audit import AuditEvent, AuditLog
from hub.settings import Settings, graph_target
from linkage import IdentityLedger, records_of_person

PURPOSE = "subject_access [legal_obligation]"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: object) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description or ()]
    return [
        {k: _plain(v) for k, v in zip(names, row, strict=True) if v is not None}
        for row in cursor.fetchall()
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool) else str(value)


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(  # type: ignore[index]
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
            " AND database_name = current_database()",
            [table],
        ).fetchone()[0]
    )


def staged_part(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any]:
    keys = records_of_person(con, person_id)
    fields = ", ".join(f"r.{f}" for f in PERSON_FIELDS)
    out: dict[str, Any] = {
        "records": _rows(
            con,
            f"""
        SELECT r.source, r.organization, s.organization_name, s.organization_type,
               s.legal_basis, s.purposes, s.retention, r.record_key, r.status, r.version,
               r.valid_from AS staged_at, {fields}
        FROM records r LEFT JOIN sources s ON s.id = r.source
        WHERE r.record_key IN (SELECT unnest($k)) AND r.valid_to IS NULL
        ORDER BY r.record_key""",
            {"k": keys},
        )
    }
    out["services"] = _rows(
        con,
        """
        SELECT s.record_key, s.source, s.organization, s.program, s.service_date, s.amount,
               s.funder
        FROM services s JOIN records r ON r.record_key = s.record_key AND r.version = s.version
        WHERE r.valid_to IS NULL AND s.record_key IN (SELECT unnest($k))
        ORDER BY s.service_date, s.record_key""",
        {"k": keys},
    )
    out["links"] = (
        _rows(
            con,
            """
        SELECT record_key, person_id, household_id, match_probability, model_version, linked_at
        FROM identity_map WHERE person_id = $p ORDER BY record_key""",
            {"p": person_id},
        )
        if _has(con, "identity_map")
        else []
    )
    # only pairs of the person's own records: evidence against someone else's
    # record would show that person's values
    out["match_evidence"] = (
        _rows(
            con,
            """
        SELECT record_key_l, record_key_r, match_probability, match_weight, evidence
        FROM link_evidence WHERE record_key_l IN (SELECT unnest($k))
           AND record_key_r IN (SELECT unnest($k)) ORDER BY 1, 2""",
            {"k": keys},
        )
        if _has(con, "link_evidence")
        else []
    )
    out["identity_events"] = (
        _rows(
            con,
            """
        SELECT event_id, "at", kind, entity, ids, survivor_id, reason FROM identity_events
        WHERE list_contains(ids, $p) OR survivor_id = $p ORDER BY event_id""",
            {"p": person_id},
        )
        if _has(con, "identity_events")
        else []
    )
    registry = (
        _rows(
            con,
            "SELECT status, survivor_id, created_at, updated_at"
            " FROM person_registry WHERE person_id = $p",
            {"p": person_id},
        )
        if _has(con, "person_registry")
        else []
    )
    out["registry"] = registry[0] if registry else None
    return out


def _event(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "ts": e.ts.isoformat(),
        "subject": e.subject,
        "organization": e.organization,
        "role": e.role,
        "operation": e.operation,
        "purpose": e.purpose,
    }


def pending_part(
    settings: Settings, person_id: str, staged: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """What partners submitted through the API that was given this person's id
    and is not among the person's linked records yet (the next `hub ingest` and
    `hub link` take it in): as received, with who sent it and when."""
    ledger = IdentityLedger.of(settings)
    try:
        assigned = [a.record_key for a in ledger.assignments() if a.person_id == person_id]
    finally:
        ledger.close()
    known = {r.get("record_key") for r in staged.get("records", [])}
    waiting = [key for key in assigned if key not in known]
    if not waiting:
        return []
    intake = IntakeStore.of(settings)
    try:
        return intake.submissions(waiting)
    finally:
        intake.close()


def build_report(
    settings: Settings, con: duckdb.DuckDBPyConnection, person_id: str, *, actor: str | None = None
) -> dict[str, Any]:
    """The whole report; producing it is itself audited (it reads the person's data)."""
    report: dict[str, Any] = {
        "person_id": person_id,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    report.update(staged_part(con, person_id))
    report["pending_submissions"] = pending_part(settings, person_id, report)
    try:
        with open_driver(graph_target(settings)) as driver:
            report["graph"] = subject_graph(driver, settings.neo4j_database, person_id)
    except (GraphError, ConnectionError, OSError) as exc:
        report["graph"] = None
        report["graph_unavailable"] = f"the graph could not be read ({exc.__class__.__name__})"
    log = AuditLog.from_settings(settings)
    try:
        report["reads"] = [_event(e) for e in log.subject_access_report(person_id)]
        log.append(
            AuditEvent(
                actor or f"cli:{getpass.getuser()}",
                "DINSOS",
                "dinsos_admin",
                "read:subject_access_report",
                (person_id,),
                (),
                PURPOSE,
            )
        )
    finally:
        log.db.close()
    return report


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, default=str)


def _cell(value: Any) -> str:
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return html.escape("" if value is None else str(value), quote=True)


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{_cell(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_SECTIONS = (
    ("records", "Source records that hold your data (as staged)"),
    ("pending_submissions", "Sent by partners through the API, not yet linked"),
    ("services", "Services recorded by the sources"),
    ("links", "How your records were linked"),
    ("match_evidence", "Match evidence between records"),
    ("identity_events", "Merges, splits and moves"),
    ("reads", "Who read or changed your data, and why"),
)


def to_html(report: Mapping[str, Any]) -> str:
    """One page; every value goes through html.escape (no script or markup from data)."""
    graph = report.get("graph") or {}
    parts = [
        f"<h1>Laporan akses data pribadi / Subject access report: "
        f"{_cell(report['person_id'])}</h1>",
        f"<p>Generated {_cell(report.get('generated_at'))}.</p>",
    ]
    if graph:
        parts += [
            "<h2>You, as the hub knows you</h2>",
            _table([graph.get("person") or {}]),
            "<h2>Your household</h2>",
            _table([graph.get("household") or {}]),
            _table(graph.get("members") or []),
            "<h2>Problems (PPKS)</h2>",
            _table([{"code": c} for c in graph["problems"]]),
        ]
        for key, title in (
            ("services", "Services in the graph"),
            ("assessments", "Assessments"),
            ("referrals", "Referrals"),
        ):
            parts += [f"<h2>{title}</h2>", _table(graph.get(key) or [])]
    elif report.get("graph_unavailable"):
        parts.append(f"<p>{_cell(report['graph_unavailable'])}</p>")
    for key, title in _SECTIONS:
        parts += [f"<h2>{title}</h2>", _table(report.get(key) or [])]
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;font-size:90%;vertical-align:top}"
    )
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        " style-src 'unsafe-inline'\">"
        f"<title>Subject access report</title><style>{style}</style></head><body>"
        + "".join(parts)
        + "</body></html>"
    )


__all__ = ["build_report", "staged_part", "to_html", "to_json"]
