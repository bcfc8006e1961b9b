"""Consent receipts and Dinsos link confirmations, in the security database.

A consent receipt (in the spirit of ISO/IEC TS 27560) records that a person
agreed that an organization may see some categories of their data for a
purpose, until a date: who gave it (the person), to whom, what, why, on what
legal basis, how it was collected, who recorded it and when, and when and by
whom it was withdrawn. A link confirmation records that Dinsos checked that
an organization really serves a person it submitted. Both open the person's
household to the organization (`opened_persons`); a withdrawn or expired
consent, or a revoked link, closes it again at the next request.

Rows are never deleted: withdrawal and revocation are stamped on the row, so
the receipts stay as evidence. `SqliteGrants` is the schema's `AccessGrants`,
on either back-end of the store (the name is kept for its callers).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from domain.shapes import Page, Row
from hub.security.db import SecurityDB
from schema.permissions import HOUSEHOLD_VIEW_CATEGORIES

TABLES: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS consent_receipts (
        {rowid}
        receipt_id        TEXT PRIMARY KEY,
        person_id         TEXT NOT NULL,
        organization      TEXT NOT NULL,
        categories        TEXT NOT NULL,
        purpose           TEXT NOT NULL,
        legal_basis       TEXT NOT NULL,
        method            TEXT NOT NULL,
        recorded_by       TEXT NOT NULL,
        recorded_at       TEXT NOT NULL,
        valid_from        TEXT NOT NULL,
        valid_until       TEXT NOT NULL,
        withdrawn_at      TEXT,
        withdrawn_by      TEXT,
        withdrawal_reason TEXT,
        note              TEXT)""",
    "CREATE INDEX IF NOT EXISTS consent_by_org ON consent_receipts (organization, valid_until)",
    "CREATE INDEX IF NOT EXISTS consent_by_person ON consent_receipts (person_id)",
    """CREATE TABLE IF NOT EXISTS link_confirmations (
        {rowid}
        link_id       TEXT PRIMARY KEY,
        person_id     TEXT NOT NULL,
        organization  TEXT NOT NULL,
        confirmed_by  TEXT NOT NULL,
        confirmed_at  TEXT NOT NULL,
        basis         TEXT NOT NULL,
        note          TEXT,
        revoked_at    TEXT,
        revoked_by    TEXT)""",
    "CREATE INDEX IF NOT EXISTS link_by_org ON link_confirmations (organization)",
    "CREATE INDEX IF NOT EXISTS link_by_person ON link_confirmations (person_id)",
)

_RECEIPT = (
    "receipt_id",
    "person_id",
    "organization",
    "categories",
    "purpose",
    "legal_basis",
    "method",
    "recorded_by",
    "recorded_at",
    "valid_from",
    "valid_until",
    "withdrawn_at",
    "withdrawn_by",
    "withdrawal_reason",
    "note",
)
_LINK = (
    "link_id",
    "person_id",
    "organization",
    "confirmed_by",
    "confirmed_at",
    "basis",
    "note",
    "revoked_at",
    "revoked_by",
)
_TIMES = frozenset(
    {"recorded_at", "valid_from", "valid_until", "withdrawn_at", "confirmed_at", "revoked_at"}
)


def ensure_tables(db: SecurityDB) -> None:
    db.database.apply(TABLES)


def utc_stamp(at: datetime) -> str:
    """UTC, so that stamps compare as text (a naive time is taken as UTC)."""
    return (at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)).isoformat()


def _row(columns: Sequence[str], values: Sequence[Any]) -> Row:
    row = dict(zip(columns, values, strict=True))
    for name in _TIMES & row.keys():
        if row[name] is not None:
            row[name] = datetime.fromisoformat(row[name])
    if "categories" in row:
        row["categories"] = json.loads(row["categories"])
    return row


class SqliteGrants:
    """The schema's `AccessGrants` over the security database."""

    def __init__(self, db: SecurityDB) -> None:
        self._db = db
        ensure_tables(db)

    # --- what is open ---------------------------------------------------------
    def opened_persons(self, organization: str, at: datetime) -> list[str]:
        now = utc_stamp(at)
        with self._db.read() as con:
            consents = con.execute(
                "SELECT person_id, categories FROM consent_receipts WHERE organization = ? "
                "AND withdrawn_at IS NULL AND valid_from <= ? AND valid_until > ?",
                (organization, now, now),
            ).fetchall()
            links = con.execute(
                "SELECT person_id FROM link_confirmations WHERE organization = ? "
                "AND revoked_at IS NULL",
                (organization,),
            ).fetchall()
        opened = {p for p, cats in consents if set(json.loads(cats)) >= HOUSEHOLD_VIEW_CATEGORIES}
        opened.update(p for (p,) in links)
        return sorted(opened)

    # --- consent receipts -----------------------------------------------------
    async def record_consent(self, receipt: Mapping[str, Any]) -> Row:
        return await self._insert("consent_receipts", _RECEIPT, "consent", receipt)

    async def withdraw_consent(
        self,
        receipt_id: str,
        withdrawn_by: str,
        reason: str | None,
        at: datetime,
        organization: str | None = None,
    ) -> Row | None:
        return await self._stamp_once(
            "consent_receipts",
            _RECEIPT,
            receipt_id,
            {
                "withdrawn_at": utc_stamp(at),
                "withdrawn_by": withdrawn_by,
                "withdrawal_reason": reason,
            },
            organization,
        )

    async def consents(
        self, *, person_id: str | None, organization: str | None, offset: int, limit: int
    ) -> Page:
        return await self._page(
            "consent_receipts", _RECEIPT, "recorded_at", person_id, organization, offset, limit
        )

    # --- link confirmations ---------------------------------------------------
    async def confirm_link(self, link: Mapping[str, Any]) -> Row:
        return await self._insert("link_confirmations", _LINK, "link", link)

    async def revoke_link(self, link_id: str, revoked_by: str, at: datetime) -> Row | None:
        return await self._stamp_once(
            "link_confirmations",
            _LINK,
            link_id,
            {"revoked_at": utc_stamp(at), "revoked_by": revoked_by},
        )

    async def links(
        self, *, person_id: str | None, organization: str | None, offset: int, limit: int
    ) -> Page:
        return await self._page(
            "link_confirmations", _LINK, "confirmed_at", person_id, organization, offset, limit
        )

    # --- plumbing ---------------------------------------------------------------
    async def _insert(
        self, table: str, columns: Sequence[str], prefix: str, given: Mapping[str, Any]
    ) -> Row:
        """A new row (its id, the first column, made when not given), read back."""
        row: dict[str, Any] = {c: given.get(c) for c in columns}
        key = str(row[columns[0]] or f"{prefix}-{uuid.uuid4()}")
        row[columns[0]] = key
        values = [
            json.dumps(sorted(v))
            if c == "categories"
            else utc_stamp(v)
            if isinstance(v, datetime)
            else v
            for c, v in row.items()
        ]
        await asyncio.to_thread(
            self._write,
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            values,
        )
        found = await self._one(table, columns, columns[0], key)
        assert found is not None
        return found

    async def _stamp_once(
        self,
        table: str,
        columns: Sequence[str],
        key: str,
        stamps: Mapping[str, Any],
        organization: str | None = None,
    ) -> Row | None:
        """Stamp a row still in force (its first stamp column unset; when
        `organization` is given, only a row of that organization) and read it
        back; None when there is no such row."""
        first = next(iter(stamps))
        changed = await asyncio.to_thread(
            self._write,
            f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in stamps)} "
            f"WHERE {columns[0]} = ? AND {first} IS NULL"
            " AND (CAST(? AS TEXT) IS NULL OR organization = ?)",
            [*stamps.values(), key, organization, organization],
        )
        return await self._one(table, columns, columns[0], key) if changed else None

    def _write(self, sql: str, values: Sequence[Any]) -> int:
        with self._db.write() as con:
            return con.execute(sql, list(values)).rowcount

    async def _one(self, table: str, columns: Sequence[str], key: str, value: str) -> Row | None:
        def read() -> Row | None:
            with self._db.read() as con:
                found = con.execute(
                    f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ?", (value,)
                ).fetchone()
            return _row(columns, found) if found else None

        return await asyncio.to_thread(read)

    async def _page(
        self,
        table: str,
        columns: Sequence[str],
        order: str,
        person_id: str | None,
        organization: str | None,
        offset: int,
        limit: int,
    ) -> Page:
        where = (
            "(CAST(? AS TEXT) IS NULL OR person_id = ?)"
            " AND (CAST(? AS TEXT) IS NULL OR organization = ?)"
        )
        params = [person_id, person_id, organization, organization]

        def read() -> Page:
            with self._db.read() as con:
                total = con.execute(
                    f"SELECT count(*) FROM {table} WHERE {where}", params
                ).fetchone()
                found = con.execute(
                    f"SELECT {', '.join(columns)} FROM {table} WHERE {where} "
                    f"ORDER BY {order} DESC, rowid DESC LIMIT ? OFFSET ?",
                    [*params, limit, offset],
                ).fetchall()
            return {
                "rows": [_row(columns, r) for r in found],
                "total": int(total[0]) if total else 0,
            }

        return await asyncio.to_thread(read)


__all__ = ["TABLES", "SqliteGrants", "ensure_tables", "utc_stamp"]
