"""`hub keys ...` and `hub audit ...`, as Typer sub-apps for hub.cli to mount.

app.add_typer(make_keys_app(get_settings), name="keys")
app.add_typer(make_audit_app(get_settings), name="audit")
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from domain.roles import ROLE_NAMES
from hub.security.audit import AuditLog, AuditRecord
from hub.security.chain import AnchorError
from hub.security.db import SecurityDB
from hub.security.errors import AuditChainBroken
from hub.security.keys import KeyRecord, KeyStore
from hub.settings import Settings, load_settings

GetSettings = Callable[[], Settings]


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _key_json(record: KeyRecord) -> dict[str, object]:
    return {
        "key_id": record.key_id,
        "organization": record.organization,
        "role": record.role,
        "label": record.label,
        "created_at": record.created_at.isoformat(),
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "last_used_at": record.last_used_at.isoformat() if record.last_used_at else None,
        "replaces": record.replaces,
    }


def make_keys_app(get_settings: GetSettings = load_settings) -> typer.Typer:
    app = typer.Typer(help="Issue, list, revoke and rotate per-organization API keys.")

    def store() -> KeyStore:
        return KeyStore(SecurityDB.from_settings(get_settings()))

    @app.command()
    def create(
        org: Annotated[str, typer.Option("--org", help="Organization the key belongs to.")],
        role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLE_NAMES)}.")],
        label: Annotated[str | None, typer.Option("--label", help="A note for people.")] = None,
    ) -> None:
        """Create a key; the key itself is printed once, alone on the last line."""
        keys = store()
        try:
            record, plaintext = keys.create(org, role, label)
        finally:
            keys.db.close()
        typer.echo(f"Created key {record.key_id} for {record.organization} ({record.role}).")
        typer.echo("Store it now: it is not kept and cannot be shown again.")
        typer.echo(plaintext)

    @app.command("list")
    def list_(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
        active: Annotated[bool, typer.Option("--active", help="Hide revoked keys.")] = False,
    ) -> None:
        """List keys (never the secrets)."""
        keys = store()
        try:
            records = keys.list(include_revoked=not active)
        finally:
            keys.db.close()
        if as_json:
            typer.echo(json.dumps([_key_json(r) for r in records], indent=2))
            return
        table = Table("key id", "organization", "role", "label", "created", "last used", "revoked")
        for r in records:
            table.add_row(
                r.key_id,
                r.organization,
                r.role,
                r.label or "",
                _when(r.created_at),
                _when(r.last_used_at),
                _when(r.revoked_at),
            )
        Console(width=140).print(table)

    @app.command()
    def revoke(key_id: Annotated[str, typer.Argument(help="The key id from `list`.")]) -> None:
        """Revoke a key; requests with it fail from now on."""
        keys = store()
        try:
            record = keys.revoke(key_id)
        finally:
            keys.db.close()
        typer.echo(f"Revoked key {record.key_id} of {record.organization} ({record.role}).")

    @app.command()
    def rotate(key_id: Annotated[str, typer.Argument(help="The key id from `list`.")]) -> None:
        """Replace a key with a new one (same organization and role); the old one
        is revoked. The new key is printed alone on the last line."""
        keys = store()
        try:
            record, plaintext = keys.rotate(key_id)
        finally:
            keys.db.close()
        typer.echo(f"Revoked key {key_id}; its replacement is {record.key_id}.")
        typer.echo("Store it now: it is not kept and cannot be shown again.")
        typer.echo(plaintext)

    return app


def _event_json(record: AuditRecord) -> dict[str, object]:
    return {
        "seq": record.seq,
        "ts": record.ts.isoformat(),
        "subject": record.subject,
        "organization": record.organization,
        "role": record.role,
        "operation": record.operation,
        "person_ids": list(record.person_ids),
        "household_ids": list(record.household_ids),
        "purpose": record.purpose,
    }


class SubjectAccess(Protocol):
    """The full subject access report (hub.subject_access, wired by hub.cli)."""

    def build(self, person_id: str) -> dict[str, Any]: ...
    def to_html(self, report: dict[str, Any]) -> str: ...


def make_audit_app(
    get_settings: GetSettings = load_settings, subject_access: SubjectAccess | None = None
) -> typer.Typer:
    app = typer.Typer(help="Check the audit log and report who touched a person's data.")

    def log() -> AuditLog:
        return AuditLog.from_settings(get_settings())

    @app.command()
    def verify() -> None:
        """Check the keyed chain and the exported anchors; exits 1 with one line
        naming the first bad row or the missing tail."""
        audit = log()
        try:
            result = audit.verify()
        finally:
            audit.db.close()
        if not result.ok:
            raise AuditChainBroken(
                f"{result.message()} Keep a copy of {audit.db.path} and the anchors files"
                " and report it to the Dinsos data protection officer.",
                first_bad_seq=result.first_bad_seq or 0,
            )
        typer.echo(result.message())

    @app.command()
    def anchor() -> None:
        """Export the chain's head (sequence, HMAC, time) to the anchors files
        outside the database; the server also does this every
        `audit_anchor_interval_s` seconds."""
        audit = log()
        try:
            head = audit.anchor()
        except AnchorError as exc:
            raise AuditChainBroken(f"Not anchored: {exc}.", first_bad_seq=0) from exc
        finally:
            audit.db.close()
        files = ", ".join(str(p) for p in audit.chain.anchor_files)
        typer.echo(f"Anchored seq {head.seq} ({head.hash[:16]}…) at {head.ts} in {files}.")

    @app.command()
    def report(
        person: Annotated[str, typer.Option("--person", help="The person's id.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        html_file: Annotated[
            Path | None,
            typer.Option("--html", help="Also write the report as an HTML page to this file."),
        ] = None,
    ) -> None:
        """Subject access report: a copy of the person's data, the sources that
        hold it, the links made, and everyone who read or changed it."""
        if subject_access is None:
            audit = log()
            try:
                events = audit.subject_access_report(person)
            finally:
                audit.db.close()
            report: dict[str, Any] = {
                "person_id": person,
                "reads": [_event_json(e) for e in events],
            }
        else:
            report = subject_access.build(person)
        if html_file is not None and subject_access is not None:
            html_file.write_text(subject_access.to_html(report), encoding="utf-8")
        if as_json:
            typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
            return
        console = Console(width=140)
        for key in ("records", "services", "links", "match_evidence", "identity_events"):
            if key in report:
                console.print(f"{key.replace('_', ' ')}: {len(report[key])}")
        table = Table("seq", "when (UTC)", "who", "organization", "role", "operation", "purpose")
        for e in report["reads"]:
            table.add_row(
                str(e["seq"]),
                e["ts"][:19].replace("T", " "),
                escape(e["subject"]),
                escape(e["organization"]),
                e["role"],
                escape(e["operation"]),
                escape(e["purpose"] or ""),
            )
        console.print(table)
        console.print(f"{len(report['reads'])} events involve person {person}.")
        if html_file is not None:
            console.print(f"HTML report written to {html_file}.")

    return app


keys_app = make_keys_app()
audit_app = make_audit_app()

__all__ = ["audit_app", "keys_app", "make_audit_app", "make_keys_app"]
