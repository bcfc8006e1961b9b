"""`hub dci ...`: the hub's DCI signing key and the registry of partner senders.

app.add_typer(make_dci_app(get_settings), name="dci")
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from domain.roles import ROLE_NAMES
from hub.dci.envelope import HubSigner
from hub.dci.senders import Sender, SenderRegistry
from hub.security.db import SecurityDB
from hub.settings import Settings, load_settings

GetSettings = Callable[[], Settings]


def _sender_json(s: Sender) -> dict[str, object]:
    return {
        "sender_id": s.sender_id,
        "key_id": s.key_id,
        "public_key": s.public_key,
        "organization": s.organization,
        "role": s.role,
        "callback_base": s.callback_base,
        "created_at": s.created_at,
        "revoked_at": s.revoked_at,
    }


def make_dci_app(get_settings: GetSettings = load_settings) -> typer.Typer:
    app = typer.Typer(help="The DCI Social Registry API: the hub's key and partner senders.")
    senders_app = typer.Typer(help="Partner systems allowed to call the DCI endpoints.")
    app.add_typer(senders_app, name="senders")

    def registry() -> SenderRegistry:
        settings = get_settings()
        return SenderRegistry(
            SecurityDB.from_settings(settings), production=settings.mode == "production"
        )

    @app.command("key")
    def key(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The hub's own DCI identity: sender id, key id and public key (give these to
        partners so they can verify the hub's answers and callbacks)."""
        from hub.dci.service import hub_signer  # the one place the key file is named

        settings = get_settings()
        if settings.database_url:  # the key every server shares: never print another
            with SecurityDB.from_settings(settings) as db:
                signer: HubSigner = hub_signer(settings, db)
        else:
            signer = hub_signer(settings)
        info = {
            "sender_id": signer.sender_id,
            "key_id": signer.key_id,
            "algorithm": "ed25519",
            "public_key": signer.public_key,
        }
        if as_json:
            typer.echo(json.dumps(info, indent=2))
            return
        for name, value in info.items():
            typer.echo(f"{name}: {value}")

    @senders_app.command("add")
    def add(
        sender_id: Annotated[
            str, typer.Argument(help="The header's sender_id, e.g. spmis.example.org.")
        ],
        org: Annotated[str, typer.Option("--org", help="Organization the sender acts for.")],
        role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLE_NAMES)}.")],
        public_key: Annotated[
            str | None,
            typer.Option("--public-key", help="ed25519 public key: base64 of its 32 raw bytes."),
        ] = None,
        public_key_file: Annotated[
            Path | None, typer.Option("--public-key-file", help="ed25519 public key, PEM file.")
        ] = None,
        callback: Annotated[
            str | None,
            typer.Option("--callback", help="Base URI of its callbacks (on-search, notify)."),
        ] = None,
        key_id: Annotated[
            str | None,
            typer.Option("--key-id", help="The key id its signatures name (default: fingerprint)."),
        ] = None,
    ) -> None:
        """Register a partner sender's signing key."""
        if (public_key is None) == (public_key_file is None):
            raise typer.BadParameter("give exactly one of --public-key and --public-key-file")
        text = public_key if public_key is not None else Path(str(public_key_file)).read_text()
        reg = registry()
        try:
            sender = reg.add(sender_id, text, org, role, callback, key_id)
        finally:
            reg.db.close()
        typer.echo(
            f"Added sender {sender.sender_id} key {sender.key_id} "
            f"for {sender.organization} ({sender.role})."
        )

    @senders_app.command("list")
    def list_(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        active: Annotated[bool, typer.Option("--active", help="Hide revoked keys.")] = False,
    ) -> None:
        """List partner senders and their keys."""
        reg = registry()
        try:
            rows = reg.list(include_revoked=not active)
        finally:
            reg.db.close()
        if as_json:
            typer.echo(json.dumps([_sender_json(s) for s in rows], indent=2))
            return
        table = Table("sender id", "key id", "organization", "role", "callback", "revoked")
        for s in rows:
            table.add_row(
                s.sender_id,
                s.key_id,
                s.organization,
                s.role,
                s.callback_base or "",
                s.revoked_at or "",
            )
        Console(width=140).print(table)

    @senders_app.command("revoke")
    def revoke(
        sender_id: Annotated[str, typer.Argument(help="The sender id from `list`.")],
        key_id: Annotated[
            str | None, typer.Option("--key-id", help="Revoke only this key (default: all).")
        ] = None,
    ) -> None:
        """Revoke a sender's keys: its signed requests are refused from now on."""
        reg = registry()
        try:
            revoked = reg.revoke(sender_id, key_id)
        finally:
            reg.db.close()
        keys = ", ".join(s.key_id for s in revoked)
        typer.echo(f"Revoked sender {sender_id} key(s) {keys}.")

    return app


__all__ = ["make_dci_app"]
