from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from storetest import store_settings, tamper
from typer.testing import CliRunner

from hub.errors import HubError
from hub.security.audit import AuditEvent, AuditLog
from hub.security.chain import load_or_create_key
from hub.security.cli import make_audit_app, make_keys_app
from hub.security.db import SecurityDB
from hub.security.errors import AuditChainBroken, KeyNotFoundError, UnknownRoleError
from hub.security.keys import KeyStore
from hub.security.principal import Principal
from hub.settings import Settings
from store import Store

runner = CliRunner()


@pytest.fixture
def settings(store_backend: Store, tmp_path: Path) -> Settings:
    """A home on each store back-end; its audit key where both the CLI and a log
    opened beside the database find it (made here: a shared store never makes one)."""
    key = tmp_path / "keys" / "audit-key"
    load_or_create_key(key)
    return Settings(home=tmp_path, audit_key_file=key, **store_settings(store_backend))


@pytest.fixture
def keys_app(settings: Settings) -> typer.Typer:
    return make_keys_app(lambda: settings)


@pytest.fixture
def audit_app(settings: Settings) -> typer.Typer:
    return make_audit_app(lambda: settings)


def test_create_prints_the_key_alone_on_the_last_line(
    keys_app: typer.Typer, settings: Settings
) -> None:
    result = runner.invoke(keys_app, ["create", "--org", "dinkes", "--role", "agency"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip().splitlines()[-1]
    with SecurityDB.from_settings(settings) as db:
        who = KeyStore(db).authenticate(plaintext)
    assert who is not None and (who.organization, who.role) == ("dinkes", "agency")


def test_list_revoke_rotate(keys_app: typer.Typer) -> None:
    created = runner.invoke(
        keys_app, ["create", "--org", "yayasan-a", "--role", "foundation", "--label", "pilot"]
    )
    key_id = created.output.strip().splitlines()[-1].split("_")[1]
    listed = runner.invoke(keys_app, ["list", "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert [(r["key_id"], r["label"], r["revoked_at"]) for r in rows] == [(key_id, "pilot", None)]
    table = runner.invoke(keys_app, ["list"])
    assert key_id in table.output and "yayasan-a" in table.output

    rotated = runner.invoke(keys_app, ["rotate", key_id])
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.output.strip().splitlines()[-1]
    new_id = new_key.split("_")[1]
    assert new_key.startswith("sp_") and new_id != key_id

    revoked = runner.invoke(keys_app, ["revoke", new_id])
    assert revoked.exit_code == 0 and new_id in revoked.output
    active = runner.invoke(keys_app, ["list", "--json", "--active"])
    assert json.loads(active.output) == []


def test_bad_input_raises_hub_errors(keys_app: typer.Typer) -> None:
    result = runner.invoke(keys_app, ["create", "--org", "dinkes", "--role", "boss"])
    assert result.exit_code != 0
    assert isinstance(result.exception, UnknownRoleError)
    missing = runner.invoke(keys_app, ["revoke", "0123456789abcdef"])
    assert missing.exit_code != 0
    assert isinstance(missing.exception, KeyNotFoundError)
    assert isinstance(missing.exception, HubError)


def test_audit_verify_and_report(audit_app: typer.Typer, settings: Settings) -> None:
    worker = Principal("staff:siti", "dinsos-bandung", "social_worker", "jwt")
    with SecurityDB.from_settings(settings) as db:
        log = AuditLog(db)
        log.append(AuditEvent.of(worker, "read:household", ["p1"], ["h1"], "case review"))
        log.append(AuditEvent.of(worker, "read:household", ["p2"], ["h2"], "case review"))

    ok = runner.invoke(audit_app, ["verify"])
    assert ok.exit_code == 0 and "2 events" in ok.output

    report = runner.invoke(audit_app, ["report", "--person", "p1", "--json"])
    assert [e["seq"] for e in json.loads(report.output)["reads"]] == [1]
    table = runner.invoke(audit_app, ["report", "--person", "p1"])
    assert "staff:siti" in table.output and "1 events involve person p1" in table.output

    with SecurityDB.from_settings(settings) as db:
        tamper(db, "UPDATE audit_log SET purpose = 'x' WHERE seq = 2")
    broken = runner.invoke(audit_app, ["verify"])
    assert broken.exit_code == 1
    assert isinstance(broken.exception, AuditChainBroken)
    assert broken.exception.first_bad_seq == 2
    assert "seq 2" in str(broken.exception)
