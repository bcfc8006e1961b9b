"""`hub alerts list` and `hub consents list`: what the submission watch raised,
and the consent receipts and link confirmations, for Dinsos and the auditor at
the console (GraphQL has the same as `submissionAlerts`, `consents` and
`linkConfirmations`).

app.add_typer(make_alerts_app(get_settings), name="alerts")
app.add_typer(make_consents_app(get_settings), name="consents")
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.security.db import SecurityDB
from hub.security.grants import SqliteGrants
from hub.security.submissions import SubmissionWatch
from hub.settings import Settings, load_settings

GetSettings = Callable[[], Settings]

_MOST = 1000
Org = Annotated[str | None, typer.Option("--org", help="Only this organization.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def _show(rows: list[dict[str, Any]], as_json: bool, columns: dict[str, str], what: str) -> None:
    if as_json:
        typer.echo(json.dumps([_plain(r) for r in rows], indent=2))
        return
    table = Table(*columns.values())
    for r in rows:
        table.add_row(
            *(
                _when(r[c])
                if isinstance(r[c], datetime) or c.endswith("_at")
                else ", ".join(r[c])
                if isinstance(r[c], list)
                else str(r[c] or "")
                for c in columns
            )
        )
    console = Console(width=160)
    console.print(table)
    console.print(f"{len(rows)} {what}.")


def _group() -> None:
    """A group, so that `list` stays a sub-command (more may follow)."""


def make_alerts_app(get_settings: GetSettings = load_settings) -> typer.Typer:
    app = typer.Typer(
        help="Alerts on unusual submission patterns (see [submissions] in "
        "hub.toml for the thresholds)."
    )
    app.callback()(_group)

    @app.command("list")
    def list_(org: Org = None, as_json: AsJson = False) -> None:
        """The alerts, newest first."""
        settings = get_settings()
        db = SecurityDB.from_settings(settings)
        try:
            page = asyncio.run(
                SubmissionWatch.from_settings(db, settings).alerts(
                    organization=org, offset=0, limit=_MOST
                )
            )
        finally:
            db.close()
        _show(
            page["rows"],
            as_json,
            {
                "raised_at": "raised (UTC)",
                "organization": "organization",
                "kind": "kind",
                "count": "count",
                "threshold": "threshold",
                "detail": "detail",
            },
            "alerts",
        )

    return app


def make_consents_app(get_settings: GetSettings = load_settings) -> typer.Typer:
    app = typer.Typer(
        help="Consent receipts and Dinsos link confirmations (recorded through "
        "GraphQL: recordConsent, withdrawConsent, confirmLink, revokeLink)."
    )
    app.callback()(_group)

    @app.command("list")
    def list_(
        person: Annotated[str | None, typer.Option("--person", help="Only this person.")] = None,
        org: Org = None,
        as_json: AsJson = False,
        links: Annotated[
            bool, typer.Option("--links", help="Link confirmations instead of consent receipts.")
        ] = False,
    ) -> None:
        """Consent receipts (or link confirmations), newest first."""
        db = SecurityDB.from_settings(get_settings())
        try:
            grants = SqliteGrants(db)
            read = grants.links if links else grants.consents
            page = asyncio.run(read(person_id=person, organization=org, offset=0, limit=_MOST))
        finally:
            db.close()
        if links:
            columns = {
                "link_id": "link",
                "person_id": "person",
                "organization": "organization",
                "confirmed_by": "by",
                "confirmed_at": "confirmed (UTC)",
                "basis": "basis",
                "revoked_at": "revoked (UTC)",
            }
        else:
            columns = {
                "receipt_id": "receipt",
                "person_id": "person",
                "organization": "organization",
                "categories": "categories",
                "purpose": "purpose",
                "valid_until": "valid until (UTC)",
                "withdrawn_at": "withdrawn (UTC)",
                "recorded_by": "recorded by",
            }
        _show(page["rows"], as_json, columns, "link confirmations" if links else "receipts")

    return app


__all__ = ["make_alerts_app", "make_consents_app"]
