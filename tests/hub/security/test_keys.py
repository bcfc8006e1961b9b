from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storetest import security_again

from domain.roles import ROLE_NAMES as ROLES
from hub.security import principal as principal_module
from hub.security.db import SecurityDB
from hub.security.errors import (
    InvalidOrganizationError,
    KeyNotFoundError,
    KeyRevokedError,
    UnknownRoleError,
)
from hub.security.keys import (
    KeyStore,
    authenticate_key,
    create_key,
    list_keys,
    parse_key,
    rotate_key,
)
from hub.security.principal import mask_kk, mask_nik, mask_phone


def test_create_then_authenticate(keys: KeyStore) -> None:
    record, plaintext = keys.create("yayasan-harapan", "foundation", label="pilot")
    assert plaintext.startswith(f"sp_{record.key_id}_")
    who = keys.authenticate(plaintext)
    assert who is not None
    assert (who.organization, who.role, who.auth_method, who.key_id) == (
        "yayasan-harapan",
        "foundation",
        "api_key",
        record.key_id,
    )
    assert who.subject == f"key:{record.key_id}"
    assert who.policy.masks_nik_kk and who.policy.relationship_scoped


def test_secret_is_not_stored(keys: KeyStore, db: SecurityDB) -> None:
    _, plaintext = keys.create("dinsos", "dinsos_admin")
    secret = plaintext.split("_", 2)[2]
    if not db.shared:
        assert secret.encode() not in db.path.read_bytes()
    with db.read() as conn:
        row = conn.execute("SELECT * FROM api_keys").fetchone()
    assert secret not in [str(v) for v in row]


def test_wrong_or_malformed_keys_are_refused(keys: KeyStore) -> None:
    record, plaintext = keys.create("dinsos", "social_worker")
    assert keys.authenticate(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert keys.authenticate(f"sp_{'0' * 16}_whatever") is None
    assert keys.authenticate("not-a-key") is None
    assert keys.authenticate("sp_short_x") is None
    assert parse_key(plaintext) == (record.key_id, plaintext.split("_", 2)[2])


def test_unknown_role_and_bad_org_are_clear_errors(keys: KeyStore) -> None:
    with pytest.raises(UnknownRoleError, match="dinsos_admin, social_worker"):
        keys.create("dinsos", "superuser")
    with pytest.raises(InvalidOrganizationError):
        keys.create("  ", "agency")


def test_revoke(keys: KeyStore) -> None:
    record, plaintext = keys.create("dinkes", "agency")
    revoked = keys.revoke(record.key_id)
    assert revoked.revoked_at is not None and not revoked.active
    assert keys.authenticate(plaintext) is None
    with pytest.raises(KeyRevokedError):
        keys.revoke(record.key_id)
    with pytest.raises(KeyNotFoundError, match="hub keys list"):
        keys.revoke("0123456789abcdef")


def test_rotate_revokes_old_and_keeps_org_role_label(keys: KeyStore) -> None:
    old, old_plain = keys.create("dinkes", "agency", label="clinic feed")
    new, new_plain = keys.rotate(old.key_id)
    assert keys.authenticate(old_plain) is None
    who = keys.authenticate(new_plain)
    assert who is not None and who.key_id == new.key_id
    assert (new.organization, new.role, new.label, new.replaces) == (
        "dinkes",
        "agency",
        "clinic feed",
        old.key_id,
    )
    with pytest.raises(KeyRevokedError):
        keys.rotate(old.key_id)


def test_list_and_last_used_is_throttled(db: SecurityDB) -> None:
    clock = [datetime(2026, 11, 1, tzinfo=UTC)]
    store = KeyStore(db, now=lambda: clock[0])
    a, a_plain = store.create("dinsos", "analyst")
    b, _ = store.create("bappeda", "analyst")
    store.revoke(b.key_id)
    assert [r.key_id for r in store.list()] == [a.key_id, b.key_id]
    assert [r.key_id for r in store.list(include_revoked=False)] == [a.key_id]

    def last_used(key_id: str) -> datetime | None:  # list() waits for queued writes
        return next(r.last_used_at for r in store.list() if r.key_id == key_id)

    store.authenticate(a_plain)
    assert last_used(a.key_id) == clock[0]
    first_use = clock[0]
    clock[0] += timedelta(seconds=10)
    store.authenticate(a_plain)
    assert last_used(a.key_id) == first_use
    clock[0] += timedelta(minutes=2)
    store.authenticate(a_plain)
    assert last_used(a.key_id) == clock[0]


def test_revoke_and_rotate_right_after_use_do_not_wait_on_the_last_use_write(
    db: SecurityDB,
) -> None:
    store = KeyStore(db)
    done: list[str] = []

    def use_then_change() -> None:
        a, a_plain = store.create("dinsos", "analyst")
        b, b_plain = store.create("dinsos", "analyst")
        assert store.authenticate(a_plain) is not None  # queues a last-use write
        store.revoke(a.key_id)
        assert store.authenticate(b_plain) is not None
        store.rotate(b.key_id)
        done.append("ok")

    worker = threading.Thread(target=use_then_change, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert done == ["ok"], "revoke/rotate hung behind the queued last-use write"


def test_revocation_in_another_process_takes_effect(db: SecurityDB, tmp_path: Path) -> None:
    server = KeyStore(db)
    with security_again(db, tmp_path) as cli_db:  # the CLI's (or another server's) connections
        cli = KeyStore(cli_db)
        record, plaintext = cli.create("dinsos", "auditor")
        assert server.authenticate(plaintext) is not None
        cli.revoke(record.key_id)
        assert server.authenticate(plaintext) is None


def test_one_shot_helpers(tmp_path: Path) -> None:
    path = tmp_path / "home" / "security.sqlite"
    record, plaintext = create_key(path, "dinsos", "dinsos_admin", "ops")
    assert [r.key_id for r in list_keys(path)] == [record.key_id]
    new, new_plain = rotate_key(path, record.key_id)
    assert authenticate_key(path, plaintext) is None
    who = authenticate_key(path, new_plain)
    assert who is not None and who.key_id == new.key_id
    with SecurityDB(path) as db, db.read() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_role_table_covers_exactly_the_six_roles() -> None:
    assert ROLES == (
        "dinsos_admin",
        "social_worker",
        "agency",
        "foundation",
        "analyst",
        "auditor",
    )
    policies = principal_module.ROLE_POLICIES
    special = {r for r in ROLES if policies[r].sees_special_category}
    assert special == {"dinsos_admin", "social_worker"}
    assert {r for r in ROLES if policies[r].relationship_scoped} == {"agency", "foundation"}
    assert {r for r in ROLES if policies[r].aggregates_only} == {"analyst"}
    assert policies["analyst"].min_cell_size == 5
    assert {r for r in ROLES if policies[r].audit_only} == {"auditor"}
    assert not any(policies[r].can_see_personal for r in ("analyst", "auditor"))


def test_masking() -> None:
    assert mask_nik("3273012345670001") == "3273**********01"
    assert mask_kk("3273 0123 4567 0009") == "3273**********09"
    assert mask_phone("081234567890") == "0812*****890"
    assert mask_nik(None) is None
    assert mask_nik("123") == "***"
