"""Servers sharing PostgreSQL must share their keys (issue 17): the audit key, the
desk NIK key and the DCI signing key are read, never made, and a server holding
another key than the first one's refuses to start. Also: which store the
settings name, and how."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from storetest import store_settings
from typer.testing import CliRunner

from domain import service_desk as desk
from hub.app import create_app
from hub.dci.cli import make_dci_app
from hub.dci.service import hub_signer
from hub.errors import ConfigError
from hub.security.audit import AuditEvent, AuditLog
from hub.security.chain import ChainConfig
from hub.security.db import SecurityDB
from hub.settings import Settings, load_settings
from hub.status_check import FailedChecks, nik_key
from store import Store, StoreError, describe_store, open_store
from store.postgres import PgStore


def _key(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32))
    return path


def _dci_key(path: Path) -> Path:
    """An ed25519 signing key file as `openssl genpkey -algorithm ed25519` makes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_a_shared_store_never_makes_a_key_of_its_own(tmp_path: Path) -> None:
    shared = Settings(home=tmp_path / "home", database_url="postgresql://hub@db.example/sp")
    with pytest.raises(ConfigError, match="set HUB_AUDIT_KEY_FILE"):
        ChainConfig.from_settings(shared)
    with pytest.raises(ConfigError, match="set HUB_DESK_NIK_KEY_FILE"):
        nik_key(shared)
    with pytest.raises(ConfigError, match=r"set HUB_DCI_SIGNING_KEY_FILE.*openssl genpkey"):
        hub_signer(shared)
    missing = Settings(
        home=tmp_path / "home",
        database_url="postgresql://hub@db.example/sp",
        audit_key_file=tmp_path / "vault" / "audit-key",
        desk_nik_key_file=tmp_path / "vault" / "desk-nik-key",
        dci_signing_key_file=tmp_path / "vault" / "dci-signing-key",
    )
    with pytest.raises(ConfigError, match="does not exist: copy the key file"):
        ChainConfig.from_settings(missing)
    with pytest.raises(ConfigError, match="does not exist: copy the key file"):
        nik_key(missing)
    with pytest.raises(ConfigError, match="does not exist: copy the key file"):
        hub_signer(missing)
    assert not (tmp_path / "vault").exists() and not (tmp_path / "home" / "keys").exists()


def test_an_empty_or_short_shared_key_file_is_refused(tmp_path: Path) -> None:
    """`> FILE` with a command that failed leaves an empty file: hex of nothing
    is an empty key, and an audit chain keyed with it is one anybody can
    recompute. A shared key is 32 bytes or more, as the README makes it."""
    vault = tmp_path / "vault"
    vault.mkdir()
    for text in ("", "\n", secrets.token_hex(8)):
        (vault / "audit-key").write_text(text)
        (vault / "desk-nik-key").write_text(text)
        shared = Settings(
            home=tmp_path / "home",
            database_url="postgresql://hub@db.example/sp",
            audit_key_file=vault / "audit-key",
            desk_nik_key_file=vault / "desk-nik-key",
        )
        with pytest.raises(ConfigError, match="32 bytes"):
            ChainConfig.from_settings(shared)
        with pytest.raises(ConfigError, match="32 bytes"):
            nik_key(shared)


def test_a_server_with_another_audit_key_refuses_to_start(
    postgres_store: PgStore, tmp_path: Path
) -> None:
    first = Settings(
        home=tmp_path / "a",
        audit_key_file=_key(tmp_path / "vault" / "audit-key"),
        **store_settings(postgres_store),
    )
    with SecurityDB.from_settings(first) as db:
        AuditLog.from_settings(first, db).append(
            AuditEvent("staff:a", "dinsos", "auditor", "read:person", ["p1"])
        )
    same = Settings(**{**vars(first), "home": tmp_path / "b"})
    with SecurityDB.from_settings(same) as db:  # a second home with the same key file
        log = AuditLog.from_settings(same, db)
        log.append(AuditEvent("staff:b", "dinsos", "auditor", "read:person", ["p2"]))
        assert log.verify().ok
    other = Settings(
        **{**vars(first), "home": tmp_path / "c", "audit_key_file": _key(tmp_path / "other")}
    )
    with (
        SecurityDB.from_settings(other) as db,
        pytest.raises(StoreError, match="not the audit key the other servers"),
    ):
        AuditLog.from_settings(other, db)


def test_a_server_with_another_nik_key_refuses_to_start(
    postgres_store: PgStore, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    shared = {
        **store_settings(postgres_store),
        "audit_key_file": _key(vault / "audit-key"),
        "desk_nik_key_file": _key(vault / "desk-nik-key"),
        "dci_signing_key_file": _dci_key(vault / "dci-signing-key"),
    }
    create_app(Settings(home=tmp_path / "a", **shared))
    create_app(Settings(home=tmp_path / "b", **shared))  # the same keys: it starts
    other = {**shared, "desk_nik_key_file": _key(tmp_path / "own-nik-key")}
    with pytest.raises(StoreError, match="not the desk-nik key"):
        create_app(Settings(home=tmp_path / "c", **other))


def test_a_server_with_another_dci_signing_key_refuses_to_start(
    postgres_store: PgStore, tmp_path: Path
) -> None:
    """Partners know the hub by one public key: every server signs with it."""
    vault = tmp_path / "vault"
    shared = {
        **store_settings(postgres_store),
        "audit_key_file": _key(vault / "audit-key"),
        "desk_nik_key_file": _key(vault / "desk-nik-key"),
        "dci_signing_key_file": _dci_key(vault / "dci-signing-key"),
    }
    create_app(Settings(home=tmp_path / "a", **shared))
    same = Settings(home=tmp_path / "b", **shared)
    create_app(same)  # the same key file: it starts, and signs as the first one
    assert (
        hub_signer(same).public_key
        == hub_signer(Settings(home=tmp_path / "a", **shared)).public_key
    )
    assert not (tmp_path / "a" / "keys" / "dci-signing-key").exists()  # none made per home
    other = Settings(
        home=tmp_path / "c",
        **{**shared, "dci_signing_key_file": _dci_key(tmp_path / "own-dci-key")},
    )
    with pytest.raises(StoreError, match="not the dci-signing key"):
        create_app(other)
    # `hub dci key` on that server does not print a key partners would then trust
    shown = CliRunner().invoke(make_dci_app(lambda: other), ["key", "--json"])
    assert shown.exit_code != 0 and isinstance(shown.exception, StoreError)


def test_the_database_url_comes_from_the_environment_or_hub_toml(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[database]\nurl = "postgresql://hub:s3cret@db.example:5433/sp"\n')
    from_toml = load_settings({}, toml)
    assert (from_toml.database_url, from_toml.database_schema) == (
        "postgresql://hub:s3cret@db.example:5433/sp",
        "satupintu",
    )
    described = describe_store(from_toml)
    assert described == "PostgreSQL hub@db.example:5433/sp, schema satupintu"
    assert "s3cret" not in described
    env = load_settings(
        {"HUB_DATABASE_URL": "postgres://x@h/d", "HUB_DATABASE_SCHEMA": "city_b"}, toml
    )
    assert (env.database_url, env.database_schema) == ("postgres://x@h/d", "city_b")
    assert describe_store(load_settings({"HUB_HOME": str(tmp_path)}, tmp_path / "none.toml")) == (
        f"SQLite files in {tmp_path}"
    )
    with pytest.raises(ConfigError, match="must be a PostgreSQL URL"):
        load_settings({"HUB_DATABASE_URL": "mysql://x@h/d"}, toml)


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, database_url="postgresql://hub:s3cret@127.0.0.1:1/sp?connect_timeout=1"
    )
    with pytest.raises(StoreError, match="cannot be reached") as refused:
        open_store(settings)
    assert "hub@127.0.0.1:1/sp" in str(refused.value) and "s3cret" not in str(refused.value)


def test_cek_status_failures_count_in_the_store(store_backend: Store, tmp_path: Path) -> None:
    with SecurityDB.on(store_backend, tmp_path) as db:
        checks = FailedChecks(db, per_day=2)
        number = desk.normalise_number("sp-2026-0001")  # as check_status keys it

        async def fail_twice() -> tuple[bool, bool]:
            await checks.failed(number)
            once = await checks.locked(number)
            await checks.failed(number)
            return once, await checks.locked(number)

        assert asyncio.run(fail_twice()) == (False, True)
        assert asyncio.run(checks.locked(desk.normalise_number("sp-2026-0002"))) is False
        assert asyncio.run(checks.unlock("sp-2026-0001")) is True
        assert asyncio.run(checks.locked(number)) is False
