"""Retention and erasure wired together: staging (connectors.erasure), the
linkage tables (linkage.erasure), the graph (graph.erasure), the front desk's
data beyond them (the residents' messages in the outbox, and web-form requests
the person typed, found by their NIK) and the audit log.

The audit event names the person ids (internal ids, kept as `erased` in the
registry so they are never reused), the cause, and counts: never the erased
values themselves.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import hmac
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from connectors.erasure import erase_staged, expired_records
from connectors.staging_tables import ensure_staging_tables
from graph import desk_items, open_driver, stale_web_forms
from hub.cycles import SqliteCycles
from hub.dci.senders import MESSAGE_ID_KEEP_S, SenderRegistry
from hub.dci.transactions import Transactions
from hub.errors import HubError
from hub.graph_sync import drain_erasures, queue_erasure
from hub.intake import IntakeStore
from hub.localgraph import ensure_neo4j
from hub.notify import Outbox
from hub.security.audit import AuditEvent, AuditLog
from hub.security.db import SecurityDB
from hub.settings import Settings, graph_target
from hub.status_check import nik_key
from journal import Journal, kinds
from linkage import (
    IdentityLedger,
    forget_records,
    known_person,
    merge_chain,
    records_of_person,
)

ERASE_PURPOSE = "subject_access [legal_obligation]"
#: the NIKs (as HMACs) whose unverified web-form requests an erasure still has to delete
_TYPED = "desk_erasure_pending"
RETENTION_PURPOSE = "oversight [legal_obligation]"


@dataclass
class Erasure:
    record_keys: list[str]
    persons: list[str] = field(default_factory=list)
    households: list[str] = field(default_factory=list)
    staged_records: int = 0
    messages: int = 0
    """residents' messages whose phone and text were blanked (retention)"""
    desk_messages: int = 0
    """residents' messages about the person's requests and complaints, deleted"""
    web_form_requests: int = 0
    """web-form requests the person typed, not verified yet, deleted"""
    dci_transactions: int = 0
    """DCI transactions (with the numbers searched) finished long ago, deleted"""
    graph: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would erase" if self.dry_run else "erased"
        graph = ", ".join(f"{n} {k}" for k, n in self.graph.items() if n)
        return (
            f"{verb} {len(self.record_keys)} records ({self.staged_records} staged), "
            f"{len(self.persons)} people and {len(self.households)} households"
            + (f"; graph: {graph}" if graph else "")
            + (f"; {self.messages} messages blanked" if self.messages else "")
            + (f"; {self.desk_messages} messages deleted" if self.desk_messages else "")
            + (
                f"; {self.web_form_requests} web-form requests deleted"
                if self.web_form_requests
                else ""
            )
            + (
                f"; {self.dci_transactions} DCI transactions deleted"
                if self.dci_transactions
                else ""
            )
        )


def erase_person(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    person_id: str,
    reason: str,
    *,
    actor: str | None = None,
    dry_run: bool = False,
) -> Erasure:
    """Erase one person on request: every record linked to them, in every store."""
    if not reason.strip():
        raise HubError("say why with --reason (e.g. the request's letter number); it is audited.")
    keys = records_of_person(con, person_id)  # under every id the person had
    # and records linked through the API but not staged yet (linkage.ledger)
    ledger = IdentityLedger.of(settings)
    try:
        pending = [a.record_key for a in ledger.assignments() if a.person_id == person_id]
    finally:
        ledger.close()
    keys = sorted({*keys, *pending})
    if not keys and not known_person(con, person_id):
        raise HubError(
            f"no person {person_id} in the identity map or the registry: check the"
            " id (hub audit report --person shows what the hub holds)."
        )
    result = _erase(
        settings, con, keys, "request", dry_run, also=merge_chain(con, "person", [person_id])
    )
    if not dry_run:
        _audit(
            settings,
            actor,
            "erase:person",
            [person_id, *result.persons],
            result,
            f"{ERASE_PURPOSE}: {reason.strip()}",
        )
    return result


def apply_retention(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> Erasure:
    """Erase every record its source's retention rule lets go, blank the
    residents' messages done more than `notify_retention_days` ago, and delete
    the web-form requests nobody verified within `web_form_retention_days`."""
    expired = expired_records(con, now or dt.datetime.now())
    result = _erase(settings, con, [k for k, _ in expired], "retention", dry_run)
    if dry_run:
        return result
    at = now.astimezone(dt.UTC) if now else dt.datetime.now(dt.UTC)
    box = Outbox.of(settings)
    try:
        result.messages = box.forget(at - dt.timedelta(days=settings.notify_retention_days))
    finally:
        box.close()
    unverified = _expire_web_forms(
        settings, con, at - dt.timedelta(days=settings.web_form_retention_days)
    )
    result.web_form_requests += unverified
    result.dci_transactions = forget_dci(settings, actor=actor, now=at)
    rules = (
        [f"retention rules {'; '.join(sorted({rule for _, rule in expired}))}"] if expired else []
    )
    if unverified:
        rules.append(f"web-form requests unverified after {settings.web_form_retention_days} days")
    if rules:
        _audit(
            settings,
            actor,
            "erase:retention",
            result.persons,
            result,
            f"{RETENTION_PURPOSE}: " + "; ".join(rules),
        )
    return result


def forget_dci(settings: Settings, *, actor: str | None = None, now: dt.datetime) -> int:
    """Delete the DCI transactions finished more than `dci_retention_days`
    before `now`, with their requests (the NIK/KK numbers searched), and the
    message ids remembered past their time; audited when any went. How many
    transactions went."""
    db = SecurityDB.from_settings(settings)
    try:
        gone = Transactions(db).forget(now - dt.timedelta(days=settings.dci_retention_days))
        SenderRegistry(db).forget_messages(now - dt.timedelta(seconds=MESSAGE_ID_KEEP_S))
    finally:
        db.close()
    if gone:
        _audit(
            settings,
            actor,
            "erase:retention",
            [],
            Erasure([], dci_transactions=gone),
            f"{RETENTION_PURPOSE}: DCI transactions finished more than "
            f"{settings.dci_retention_days} days ago",
        )
    return gone


def _expire_web_forms(
    settings: Settings, con: duckdb.DuckDBPyConnection, before: dt.datetime
) -> int:
    """Delete the web-form requests still waiting for the desk's check that
    arrived before `before`: from the graph (through the erasure queue, so a
    failure is retried), their journal facts (`hub load` would replay them),
    and their messages. How many went."""
    ensure_neo4j(settings)
    with open_driver(graph_target(settings)) as driver:
        stale = stale_web_forms(driver, settings.neo4j_database, before=before)
        if not stale:
            return 0
        ids = [str(i["id"]) for i in stale]
        queue_erasure(con, record_keys=(), persons=(), households=(), service_requests=ids)
        drain_erasures(con, driver, settings.neo4j_database)
    journal = Journal.of(settings)
    try:
        journal.forget(subjects=ids)
    finally:
        journal.close()
    # by number only: the phone was typed by someone nobody checked, and may be
    # a verified household's too
    _erase_messages(settings, {str(i["number"]) for i in stale if i["number"]}, ())
    return len(stale)


def _erase(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    keys: Sequence[str],
    cause: str,
    dry_run: bool,
    also: Sequence[str] = (),
) -> Erasure:
    now = dt.datetime.now()
    result = Erasure(list(keys), dry_run=dry_run)
    if dry_run:
        result.staged_records = len(keys)
        return result
    key = nik_key(settings)  # web-form requests they typed are found by their NIKs' HMAC
    marks = {_mark(key, n) for n in _niks(settings, con, keys)}
    con.execute("BEGIN TRANSACTION")
    try:
        result.staged_records = erase_staged(con, keys, cause, now)
        forgotten = forget_records(con, keys, now)
        # a person with no record left, and the one asked about (under all its
        # ids) even when the staging side was already erased
        result.persons = sorted({*forgotten.persons, *also})
        result.households = list(forgotten.households)
        touched_households = forgotten.touched_households
        queue_erasure(con, record_keys=keys, persons=result.persons, households=result.households)
        _queue_typed(con, marks)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    # submissions through the API not ingested yet: `hub ingest` must not stage them again
    intake = IntakeStore.of(settings)
    try:
        intake.forget(keys)
    finally:
        intake.close()
    # the journal forgets what the API recorded about them (hub load would replay
    # it), every fact of their desk requests and complaints too, and the messages
    # about those go from the outbox (a web-form request's first fact names no one)
    journal = Journal.of(settings)  # closed at the end: the desk's requests need it too
    _forget_facts(settings, journal, result, touched_households)
    ledger = IdentityLedger.of(settings)
    try:
        ledger.forget(keys, result.persons)
    finally:
        ledger.close()
    # and the program cycles' frozen rosters (the cycles keep their approved counts)
    cycles = SqliteCycles.of(settings)
    try:
        cycles.forget(result.households)
    finally:
        cycles.close()
    # the graph loses what is queued: these, and what an earlier erasure could
    # not reach (Neo4j down); on failure the queue keeps it for the next run
    ensure_neo4j(settings)
    with open_driver(graph_target(settings)) as driver:
        items = desk_items(
            driver,
            settings.neo4j_database,
            persons=result.persons,
            households=result.households,
        )
        # the NIKs of this erasure, and of any earlier one the graph was down for
        con.execute(f"CREATE TABLE IF NOT EXISTS {_TYPED} (nik_mark VARCHAR PRIMARY KEY)")
        wanted = {m for (m,) in con.execute(f"SELECT nik_mark FROM {_TYPED}").fetchall()}
        typed = [i for i in items if i["applicant"] is not None and _typed(key, i) in wanted]
        queue_erasure(
            con,
            record_keys=(),
            persons=(),
            households=(),
            service_requests=[str(i["id"]) for i in typed],
        )
        result.graph = drain_erasures(con, driver, settings.neo4j_database)
        con.execute(f"DELETE FROM {_TYPED} WHERE nik_mark IN (SELECT unnest(?))", [list(wanted)])
    result.web_form_requests = len(typed)
    mine = [i for i in items if i["applicant"] is None or i in typed]
    journal.forget(subjects=[str(i["id"]) for i in typed])
    result.desk_messages += _erase_messages(
        settings,
        {str(i["number"]) for i in mine if i["number"]},
        {str(i["phone"]) for i in mine if i["phone"]},
    )
    journal.close()
    return result


def _forget_facts(
    settings: Settings, journal: Journal, result: Erasure, touched_households: Sequence[str]
) -> None:
    desk = journal.about(
        persons=result.persons, households=result.households, kinds=kinds.SERVICE_DESK
    )
    numbers = {str(f.payload.get("row", {}).get("number") or "") for f in desk} - {""}
    result.desk_messages = _erase_messages(settings, numbers, ())
    # a complaint's targeting finding about a household of theirs holds what was
    # derived from them; its fact names the household only (graph.erasure drops
    # the node with the person)
    findings = journal.about(
        households=touched_households, kinds=(kinds.REPORTED_FINDING_RECORDED,)
    )
    journal.forget(
        persons=result.persons,
        households=result.households,
        subjects=sorted({f.subject for f in (*desk, *findings) if f.subject}),
    )


def _niks(settings: Settings, con: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> set[str]:
    """The NIKs these records give (staged, or submitted and not staged yet)."""
    ensure_staging_tables(con)
    found = {
        str(nik)
        for (nik,) in con.execute(
            "SELECT DISTINCT nik FROM records WHERE record_key IN (SELECT unnest(?))"
            " AND nik IS NOT NULL",
            [list(keys)],
        ).fetchall()
    }
    intake = IntakeStore.of(settings)
    try:
        found |= {str(s["nik"]) for s in intake.submissions(keys) if s.get("nik")}
    finally:
        intake.close()
    return {_digits(n) for n in found} - {""}


def _queue_typed(con: duckdb.DuckDBPyConnection, marks: Collection[str]) -> None:
    """Remember (in the erasure's transaction) the NIKs, as their HMAC under the
    desk's key, whose web-form requests must go, until a run with the graph up
    (any later `hub erase` or `hub retention apply`) has taken them."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {_TYPED} (nik_mark VARCHAR PRIMARY KEY)")
    con.execute(f"INSERT INTO {_TYPED} SELECT unnest(?) ON CONFLICT DO NOTHING", [sorted(marks)])


def _typed(key: bytes, item: dict[str, Any]) -> str:
    """The mark of the NIK a web-form applicant typed (as `registerServiceRequest`
    kept it), or "" without one."""
    try:
        typed = json.loads(str(item["applicant"]))
    except ValueError:
        return ""
    nik = _digits(str(typed.get("nik") or "")) if isinstance(typed, dict) else ""
    return _mark(key, nik) if nik else ""


def _mark(key: bytes, nik: str) -> str:
    return hmac.new(key, nik.encode(), hashlib.sha256).hexdigest()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _erase_messages(settings: Settings, numbers: Collection[str], phones: Collection[str]) -> int:
    """Delete the outbox's messages about these requests or complaints, or to these phones."""
    if not (numbers or phones):
        return 0
    box = Outbox.of(settings)
    try:
        return box.erase(sorted(numbers), sorted(phones))
    finally:
        box.close()


def _audit(
    settings: Settings,
    actor: str | None,
    operation: str,
    persons: Sequence[str],
    result: Erasure,
    purpose: str,
) -> None:
    subject = actor or f"cli:{getpass.getuser()}"
    log = AuditLog.from_settings(settings)
    try:
        log.append(
            AuditEvent(
                subject,
                "DINSOS",
                "dinsos_admin",
                operation,
                tuple(dict.fromkeys(persons)),
                tuple(result.households),
                f"{purpose} ({result.summary()})",
            )
        )
    finally:
        log.db.close()


__all__ = ["Erasure", "apply_retention", "erase_person", "forget_dci"]
