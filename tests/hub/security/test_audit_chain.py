"""The audit chain against someone who can rewrite security.sqlite: each test
is the attack, and `verify` must name it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
from storetest import security_again
from typer.testing import CliRunner
from waiting import until

from hub.security.audit import AuditEvent, AuditLog
from hub.security.chain import (
    ANCHORS_FILE,
    GENESIS_HASH,
    AnchorError,
    ChainConfig,
    load_or_create_key,
)
from hub.security.cli import make_audit_app
from hub.security.db import SecurityDB
from hub.security.errors import AuditChainBroken
from hub.security.principal import Principal
from hub.settings import Settings
from store import Conn
from store.sqlite import SqliteConn

WORKER = Principal("staff:siti", "dinsos-bandung", "social_worker", "jwt")
_COLS = (
    "seq, ts, subject, organization, role, operation, person_ids, household_ids, purpose, prev_hash"
)


def _fill(log: AuditLog, n: int, first: int = 0) -> None:
    log.append_many(
        AuditEvent.of(WORKER, "read:person", [f"p{first + i}"], purpose="visit") for i in range(n)
    )


@contextmanager
def _raw(db: SecurityDB) -> Iterator[Conn]:
    """The attacker's connection: no triggers in the way (SQLite: a connection of
    its own with the triggers dropped; PostgreSQL: the trigger disabled)."""
    if not db.shared:
        conn = sqlite3.connect(db.path, isolation_level=None)
        conn.executescript(
            "DROP TRIGGER IF EXISTS audit_log_no_update;"
            " DROP TRIGGER IF EXISTS audit_log_no_delete;"
        )
        yield SqliteConn(conn)
        conn.close()
        return
    with db.write() as pg:
        pg.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        yield pg
        pg.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")


def _plain(row: tuple[object, ...]) -> str:
    payload = json.dumps(list(row), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _recompute_plain_chain(conn: Conn) -> None:
    """Rewrite every row's hashes with the unkeyed rule, consistently."""
    prev = GENESIS_HASH
    for row in conn.execute(f"SELECT {_COLS} FROM audit_log ORDER BY seq").fetchall():
        row = (*row[:9], prev)
        prev = _plain(row)
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (row[9], prev, row[0])
        )


@pytest.fixture
def log(db: SecurityDB) -> AuditLog:
    return AuditLog(db)


def test_the_key_is_made_once_outside_the_database(db: SecurityDB, log: AuditLog) -> None:
    key_file = db.path.parent / "keys" / "audit-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert log.chain.key == bytes.fromhex(key_file.read_text())
    assert AuditLog(db).chain.key == log.chain.key
    with db.read() as conn:
        stored = [
            conn.execute(f"SELECT * FROM {table}").fetchall()
            for table in ("audit_log", "audit_meta", "api_keys")
        ]
    assert log.chain.key.hex() not in repr(stored)
    if not db.shared:
        assert log.chain.key.hex() not in db.path.read_bytes().hex()


def test_a_consistently_recomputed_plain_chain_is_detected(db: SecurityDB, log: AuditLog) -> None:
    _fill(log, 5)
    with _raw(db) as conn:
        conn.execute("UPDATE audit_log SET organization = 'nobody' WHERE seq = 3")
        _recompute_plain_chain(conn)
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "keyed hash" in result.message()


def test_moving_the_legacy_marker_to_pass_off_a_plain_chain_is_detected(
    db: SecurityDB, log: AuditLog
) -> None:
    _fill(log, 5)
    with _raw(db) as conn:
        _recompute_plain_chain(conn)
        conn.execute("UPDATE audit_meta SET value = '5' WHERE name = 'legacy_until'")
    result = log.verify()
    assert not result.ok and "marker" in str(result.reason)


def test_a_truncated_tail_is_detected_against_the_anchor(db: SecurityDB, log: AuditLog) -> None:
    _fill(log, 6)
    assert log.anchor().seq == 6
    with _raw(db) as conn:
        conn.execute("DELETE FROM audit_log WHERE seq > 4")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "rows 5..6 are missing" in result.message()
    with pytest.raises(AnchorError):  # a broken chain is not anchored
        log.anchor()


def test_an_edited_row_is_detected(db: SecurityDB, log: AuditLog) -> None:
    _fill(log, 4)
    with _raw(db) as conn:
        conn.execute("UPDATE audit_log SET purpose = 'nothing to see' WHERE seq = 2")
    result = log.verify()
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 2, 1)
    assert result.message().startswith("Audit chain broken at seq 2:")


def test_replacing_the_whole_database_is_detected(
    db: SecurityDB, log: AuditLog, tmp_path: Path
) -> None:
    _fill(log, 3)
    log.anchor()
    if db.shared:  # every table emptied, the schema made again
        with db.write() as conn:
            for table in ("audit_log", "audit_meta", "api_keys"):
                conn.execute(f"DROP TABLE {table}")
        fresh = security_again(db, tmp_path)
    else:
        db.close()
        db.path.unlink()
        for extra in db.path.parent.glob("security.sqlite-*"):
            extra.unlink()
        fresh = SecurityDB(db.path)
    with fresh:
        reopened = AuditLog(fresh)  # the key exists: no new marker is made
        result = reopened.verify()
    assert not result.ok and "marker" in str(result.reason)


def test_deleted_anchors_are_reported(db: SecurityDB, log: AuditLog) -> None:
    _fill(log, 2)
    (db.path.parent / ANCHORS_FILE).unlink()
    result = AuditLog(db).verify()
    assert not result.ok and "no anchors" in str(result.reason)


def test_a_forged_anchor_is_refused(db: SecurityDB, log: AuditLog) -> None:
    _fill(log, 2)
    anchors = db.path.parent / ANCHORS_FILE
    line = json.loads(anchors.read_text().splitlines()[0])
    line.update(seq=99)
    with anchors.open("a") as out:
        out.write(json.dumps(line) + "\n")
    result = log.verify()
    assert not result.ok and "not signed with this audit key" in str(result.reason)


def test_a_second_anchor_directory_catches_a_cut_of_both_log_and_local_anchors(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home", audit_anchor_dir=tmp_path / "remote")
    with SecurityDB.from_settings(settings) as db:
        log = AuditLog.from_settings(settings, db)
        _fill(log, 3)
        log.anchor()
        local = settings.home / ANCHORS_FILE
        first_line = local.read_text().splitlines()[0]
        local.write_text(first_line + "\n")  # the attacker's own copy, shortened
        with _raw(db) as conn:
            conn.execute("DELETE FROM audit_log WHERE seq = 3")
        result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert (tmp_path / "remote" / ANCHORS_FILE).exists()


def test_an_old_unkeyed_log_keeps_verifying_and_continues_keyed(tmp_path: Path) -> None:
    path = tmp_path / "security.sqlite"
    with SecurityDB(path) as db:  # written by the old rule, before there was a key
        prev = GENESIS_HASH
        with db.write() as conn:
            for seq in (1, 2, 3):
                row = (
                    seq,
                    "2026-11-01T00:00:00.000000+00:00",
                    "staff:a",
                    "dinsos",
                    "auditor",
                    "read:person",
                    json.dumps([f"p{seq}"]),
                    "[]",
                    None,
                    prev,
                )
                prev = _plain(row)
                conn.execute(
                    f"INSERT INTO audit_log ({_COLS}, hash) VALUES"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, prev),
                )
        log = AuditLog(db)
        assert log.chain.key_created
        _fill(log, 2)
        result = log.verify()
        assert result.ok and result.checked == 5
        anchors = log.chain.read_anchors()
        assert (anchors[0].seq, anchors[0].hash, anchors[0].legacy_until) == (3, prev, 3)
        with db.read() as read:
            marker = read.execute("SELECT value FROM audit_meta").fetchall()
        assert marker == [("3",)]
        with _raw(db) as conn:
            conn.execute("UPDATE audit_log SET subject = 'staff:b' WHERE seq = 2")
        broken = log.verify()
    assert (broken.ok, broken.first_bad_seq) == (False, 2)


def test_anchor_writes_only_a_new_head(log: AuditLog) -> None:
    _fill(log, 2)
    first = log.anchor()
    assert log.anchor() == first
    _fill(log, 1, first=5)
    assert log.anchor().seq == 3
    assert [a.seq for a in log.chain.read_anchors()] == [0, 2, 3]
    assert log.verify().anchored_seq == 3


runner = CliRunner()


def test_cli_anchor_then_verify_names_the_missing_tail(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    app: typer.Typer = make_audit_app(lambda: settings)
    with SecurityDB.from_settings(settings) as db:
        _fill(AuditLog.from_settings(settings, db), 4)
    anchored = runner.invoke(app, ["anchor"])
    assert anchored.exit_code == 0 and "Anchored seq 4" in anchored.output
    ok = runner.invoke(app, ["verify"])
    assert ok.exit_code == 0 and "checked against the anchor at seq 4" in ok.output
    conn = sqlite3.connect(settings.home / "security.sqlite", isolation_level=None)
    conn.executescript("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 4;")
    conn.close()
    broken = runner.invoke(app, ["verify"])
    assert broken.exit_code == 1 and isinstance(broken.exception, AuditChainBroken)
    assert "rows 4..4 are missing" in str(broken.exception)
    assert "\n" not in str(broken.exception)


def test_chain_config_from_settings_honours_the_key_file(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", audit_key_file=tmp_path / "vault" / "k")
    chain = ChainConfig.from_settings(settings)
    assert (tmp_path / "vault" / "k").exists() and chain.key_created
    assert not (settings.home / "keys" / "audit-key").exists()


@pytest.mark.anyio
async def test_the_server_exports_the_head_on_its_schedule(db: SecurityDB, log: AuditLog) -> None:
    import asyncio

    from hub.app import export_anchors

    _fill(log, 3)
    task = asyncio.create_task(export_anchors(log, interval_s=1))
    try:  # the first export runs at once; later rounds write nothing (the head is unchanged)
        await until(lambda: any(a.seq == 3 for a in log.chain.read_anchors()), "the head exported")
    finally:
        task.cancel()
    assert [a.seq for a in log.chain.read_anchors()] == [0, 3]


def test_processes_starting_at_once_read_the_one_key_made(tmp_path: Path) -> None:
    """Two processes making the key at once (`hub serve` and a CLI command on a new
    home): the loser must read the winner's key, never the empty file the winner
    has made but not yet written (an empty HMAC key: a chain anyone can forge)."""
    for attempt in range(40):
        path = tmp_path / f"home{attempt}" / "keys" / "audit-key"
        start = threading.Barrier(6)

        def make(path: Path = path, start: threading.Barrier = start) -> bytes:
            start.wait()
            return load_or_create_key(path)[0]

        with ThreadPoolExecutor(6) as pool:
            keys = list(pool.map(lambda _: make(), range(6)))
        assert len(set(keys)) == 1 and len(keys[0]) == 32
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_empty_or_short_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit-key"
    path.parent.mkdir()
    for text in ("", "ab" * 8):
        path.write_text(text)
        with pytest.raises(ValueError, match="32 bytes"):
            load_or_create_key(path)
