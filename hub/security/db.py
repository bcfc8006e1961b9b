"""The security database: API keys, the audit log, consent receipts and link
confirmations, submission alerts, Cek status failures. Logical database
"security" of the hub's store (`store`): `$HUB_HOME/security.sqlite` by
default, shared by the server and the CLI (separate processes); the tables of
the PostgreSQL schema when `HUB_DATABASE_URL` is set, shared by every server.

One `SecurityDB` per process: `KeyStore`, `AuditLog` and the rest share it.
`read()` sees the latest commit and never waits for a writer (SQLite's WAL,
PostgreSQL's MVCC): an API key look-up on the server's event loop never queues
behind an audit write. `write(lock=...)` is one transaction; a block that
reads and then writes names what it serialises on (`store.base`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from hub.settings import Settings
from store import Conn, Database, Ddl, Dialect, Store, StoreError, open_store
from store.sqlite import SqliteDatabase, WriteTurn

SCHEMA: tuple[str | Ddl, ...] = (
    """CREATE TABLE IF NOT EXISTS api_keys (
    {rowid}
    key_id       TEXT PRIMARY KEY,
    organization TEXT NOT NULL,
    role         TEXT NOT NULL,
    label        TEXT,
    salt         {blob} NOT NULL,
    secret_hash  {blob} NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT,
    replaces     TEXT
)""",
    """CREATE TABLE IF NOT EXISTS audit_log (
    seq           {bigint} PRIMARY KEY,
    ts            TEXT NOT NULL,
    subject       TEXT NOT NULL,
    organization  TEXT NOT NULL,
    role          TEXT NOT NULL,
    operation     TEXT NOT NULL,
    person_ids    TEXT NOT NULL,
    household_ids TEXT NOT NULL,
    purpose       TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
)""",
    # where the keyed (HMAC) chain starts and the shared keys' fingerprints
    """CREATE TABLE IF NOT EXISTS audit_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
)""",
    Ddl(
        sqlite="CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log\n"
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END",
        postgres="""CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: rows cannot be %',
        CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END
        USING ERRCODE = 'integrity_constraint_violation';
END $$""",
    ),
    Ddl(
        sqlite="CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log\n"
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END",
        postgres="CREATE OR REPLACE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE"
        " ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ),
)


def key_fingerprint(key: bytes) -> str:
    """What the database keeps of a shared key: enough to tell two apart, nothing to sign with."""
    return hashlib.sha256(b"satupintu-key-fingerprint:" + key).hexdigest()[:32]


def security_db_path(settings: Settings) -> Path:
    return settings.home / "security.sqlite"


class SecurityDB:
    """`SecurityDB(path)`: the SQLite file at `path`; `SecurityDB.on(store)` or
    `from_settings`: the store's "security" database (PostgreSQL when set)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        database: Database | None = None,
        owned: Store | None = None,
    ) -> None:
        self._own_database = database is None
        if database is None:
            if path is None:
                raise ValueError("SecurityDB needs a path or a database")
            database = SqliteDatabase(path, name="security", timeout_s=10.0)
        self.database = database
        #: the SQLite file, or where it would be (its folder is the home)
        self.path = database.path or path or Path("security.sqlite")
        self._owned = owned
        database.apply(SCHEMA)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecurityDB:
        store = open_store(settings)
        return cls(security_db_path(settings), database=store.database("security"), owned=store)

    @classmethod
    def on(cls, store: Store, home: Path | None = None) -> SecurityDB:
        """The store's security database (the store stays the caller's to close)."""
        path = None if home is None else home / "security.sqlite"
        return cls(path, database=store.database("security"))

    @property
    def dialect(self) -> Dialect:
        return self.database.dialect

    @property
    def shared(self) -> bool:
        """Whether several homes may share it (PostgreSQL)."""
        return self.database.path is None

    @contextmanager
    def read(self) -> Iterator[Conn]:
        """A connection on which each statement sees the latest commit."""
        with self.database.read() as con:
            yield con

    @contextmanager
    def write(self, lock: str | None = None) -> Iterator[Conn]:
        """One transaction. A block that reads and then writes (the audit
        chain's last hash) passes `lock`, what it serialises on: SQLite locks
        the whole file anyway, PostgreSQL takes an advisory lock of that name."""
        with self.database.write(lock) as con:
            yield con

    def claim_key(self, name: str, key: bytes, origin: Path) -> None:
        """Servers sharing this database must hold the same key `name` (the audit
        chain's, the NIK digests'): the first to start records the key's
        fingerprint, every later one must match it. Raises `StoreError` when it
        does not (a home with a key of its own would write what the others
        cannot verify)."""
        mark = f"key_fingerprint:{name}"
        print_ = key_fingerprint(key)
        with self.write(lock="keys") as con:
            found = con.execute("SELECT value FROM audit_meta WHERE name = ?", (mark,)).fetchone()
            if found is None:
                con.execute("INSERT INTO audit_meta (name, value) VALUES (?, ?)", (mark, print_))
                return
        if found[0] != print_:
            raise StoreError(
                f"{origin} is not the {name} key the other servers sharing this database use"
                f" (fingerprint {print_}, the database expects {found[0]}): copy the shared"
                " key file to this server, or point the setting at it."
            )

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
        elif self._own_database:
            self.database.close()

    def __enter__(self) -> SecurityDB:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["SCHEMA", "SecurityDB", "WriteTurn", "key_fingerprint", "security_db_path"]
