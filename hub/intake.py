"""Records submitted through the API (`submitRecord`): kept, linked at once,
and staged like any other source on the next `hub ingest`.

Each submission is written first to the store's "intake" database
(`$HUB_HOME/intake.sqlite`, or the shared PostgreSQL of `HUB_DATABASE_URL`, so
the servers and the CLI all use it), then linked in real time against the
identities of the published staging generation (hub.published); the ids it gets
are kept in the identity ledger (linkage.ledger), never in staging, so the
server holds no lock on `hub.duckdb`. Every submitting organization gets a source config under
`$HUB_HOME/intake/config/` (`kind = "intake"`: it names no file; `hub ingest`
reads the organization's rows from the store through `IntakeReader`), which
`hub ingest` reads along with the others, so
submissions get the same validation, quarantine and lineage as a file source,
and the next full `hub link` keeps the ids handed out here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from connectors.base import Reader, arrow_from_rows
from connectors.canonical import INTAKE_SOURCE_PREFIX, PERSON_FIELDS, organization_slug
from connectors.config import SourceConfig, read_config_file, write_config
from connectors.errors import ConnectorError
from domain.shapes import Page
from hub.failures import describe
from hub.pipeline import linkage_settings
from hub.priority import in_yielding_thread
from hub.published import Generation, current, open_generation, publish
from hub.settings import Settings
from journal import Journal, NewFact, kinds
from journal.sqlite import Closeable, open_database, settings_database
from linkage import (
    IdentityLedger,
    NameTokens,
    RealtimeLinker,
    ReviewDecisionRow,
    count_open,
    is_linked,
    latest_model,
    list_open,
    pair_records,
    resolve_pair,
)
from schema.errors import ServiceError
from store import open_store
from store.base import DATABASES

if TYPE_CHECKING:
    from store.base import Conn, Database, Store

_log = logging.getLogger("hub.intake")
_FIELDS: tuple[str, ...] = tuple(PERSON_FIELDS)
_COLUMNS = ", ".join(f'"{f}" TEXT' for f in _FIELDS)


def intake_source_id(organization: str) -> str:
    """`api-<organization>`: the source id of an organization's submissions."""
    return INTAKE_SOURCE_PREFIX + organization_slug(organization)


class IntakeStore:
    """The submissions, one row per (organization, source_record_id); a resubmission
    replaces the row, and `hub ingest` then stages it as a new version."""

    def __init__(self, home: Path, db: Database | None = None) -> None:
        """The submissions of `home` in `db` (the server's store), or in
        `$HUB_HOME/intake.sqlite` when none is given (tests, tools)."""
        self.config_dir = self.config_dir_of(home)
        home.mkdir(parents=True, exist_ok=True)
        self._db, opened = open_database(db or home / DATABASES["intake"], "intake")
        self._owner: Closeable | None = opened
        self._db.apply(
            [
                f"CREATE TABLE IF NOT EXISTS submissions (organization TEXT NOT NULL, "
                f"{_COLUMNS}, submitted_at TEXT NOT NULL, "
                "PRIMARY KEY (organization, source_record_id))"
            ]
        )
        self._upgrade_configs()

    @classmethod
    def of(cls, settings: Settings) -> IntakeStore:
        """The intake of the store the settings name (`HUB_DATABASE_URL`)."""
        db, store = settings_database(settings, "intake")
        made = cls(settings.home, db)
        made._owner = store
        return made

    @staticmethod
    def config_dir_of(home: Path) -> Path:
        return home / "intake" / "config"

    def save(self, organization: str, record: Mapping[str, Any]) -> None:
        values = [_text(record.get(f)) for f in _FIELDS]
        marks = ", ".join("?" for _ in range(len(_FIELDS) + 2))
        later = ", ".join(f"{f} = excluded.{f}" for f in (*_FIELDS, "submitted_at"))
        with self._db.write() as con:
            con.execute(
                f"INSERT INTO submissions (organization, {', '.join(_FIELDS)}, "
                f"submitted_at) VALUES ({marks}) ON CONFLICT (organization, source_record_id)"
                f" DO UPDATE SET {later}",
                [organization, *values, datetime.now(UTC).isoformat()],
            )
        self._write_config(organization)

    def rows(self, organization: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """An organization's submissions as `hub ingest` reads them (columns,
        rows), oldest first."""
        names = ["organization", *_FIELDS, "submitted_at"]
        with self._db.read() as con:
            rows = con.execute(
                f"SELECT {', '.join(names)} FROM submissions WHERE organization = ?"
                " ORDER BY submitted_at, source_record_id",
                [organization],
            ).fetchall()
        return names, [tuple(r) for r in rows]

    def forget(self, record_keys: Sequence[str]) -> int:
        """Delete the submissions behind these record keys (`api-<org>:<id>`),
        so that `hub ingest` never stages an erased one again; how many went."""
        gone = 0
        with self._db.write() as con:
            for organization, record_id in self._behind(con, record_keys):
                gone += con.execute(
                    "DELETE FROM submissions WHERE organization = ? AND source_record_id = ?",
                    [organization, record_id],
                ).rowcount
        return gone

    def submissions(self, record_keys: Sequence[str]) -> list[dict[str, Any]]:
        """The submissions behind these record keys as they were received (the
        subject access report shows those not staged yet), oldest first."""
        names = ["organization", *_FIELDS, "submitted_at"]
        found: list[dict[str, Any]] = []
        with self._db.read() as con:
            for organization, record_id in self._behind(con, record_keys):
                row = con.execute(
                    f"SELECT {', '.join(names)} FROM submissions"
                    " WHERE organization = ? AND source_record_id = ?",
                    [organization, record_id],
                ).fetchone()
                if row is not None:
                    found.append(
                        {
                            "record_key": f"{intake_source_id(organization)}:{record_id}",
                            **{k: v for k, v in zip(names, row, strict=True) if v is not None},
                        }
                    )
        return sorted(found, key=lambda r: (r["submitted_at"], r["record_key"]))

    @staticmethod
    def _behind(con: Conn, record_keys: Sequence[str]) -> list[tuple[str, str]]:
        """(organization, source_record_id) of each submission's record key."""
        wanted: dict[str, set[str]] = {}
        for key in record_keys:
            source, _, record_id = key.partition(":")
            if source.startswith(INTAKE_SOURCE_PREFIX) and record_id:
                wanted.setdefault(source, set()).add(record_id)
        if not wanted:
            return []
        return [
            (organization, record_id)
            for (organization,) in con.execute(
                "SELECT DISTINCT organization FROM submissions ORDER BY 1"
            ).fetchall()
            for record_id in sorted(wanted.get(intake_source_id(organization), set()))
        ]

    def close(self) -> None:
        if self._owner is not None:
            self._owner.close()

    def _write_config(self, organization: str, *, again: bool = False) -> None:
        source = intake_source_id(organization)
        path = self.config_dir / f"{source}.toml"
        if path.exists() and not again:
            return
        write_config(
            path,
            {
                "id": source,
                "kind": IntakeReader.kind,
                # read from the store (IntakeReader), whichever it is: no file
                "location": "intake",
                "organization": organization,
                "organization_name": f"{organization} (API submissions)",
                "organization_type": "foundation",
                "date_formats": ["%Y-%m-%d"],
                # erasure deletes submissions: an organization may have none left
                "allow_empty": True,
                "personal": ["nik", "no_kk", "full_name", "birth_date", "phone", "address"],
                "special_category": ["ppks"],
                "columns": {f: f for f in _FIELDS},
            },
        )

    def _upgrade_configs(self) -> None:
        """An organization's config written before the store (kind "sql" on
        `intake.sqlite`) is written again to read through the store: with
        `HUB_DATABASE_URL` the file is no longer where submissions go."""
        if not self.config_dir.is_dir():
            return
        for file in sorted(self.config_dir.glob(f"{INTAKE_SOURCE_PREFIX}*.toml")):
            try:
                configs = read_config_file(file)
            except ConnectorError:
                continue
            for config in configs:
                if config.kind == "sql" and config.location.endswith("intake.sqlite"):
                    self._write_config(config.organization, again=True)


@contextlib.contextmanager
def intake_readers(settings: Settings) -> Iterator[dict[str, Reader]]:
    """For one `hub ingest`: the reader of the API submissions in the store the
    settings name (`HUB_DATABASE_URL`, else `$HUB_HOME/intake.sqlite`)."""
    store = IntakeStore.of(settings)
    try:
        yield {IntakeReader.kind: IntakeReader(store)}
    finally:
        store.close()


class IntakeReader(Reader):
    """`kind = "intake"`: an organization's API submissions, read from the
    intake store (`hub ingest` gives the hub's own; see `intake_readers`)."""

    kind = "intake"

    def __init__(self, store: IntakeStore) -> None:
        self._store = store

    def read(self, config: SourceConfig) -> pa.Table:
        columns, rows = self._store.rows(config.organization)
        return arrow_from_rows(columns, rows, range(1, len(rows) + 1))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value) or None
    text = str(value).strip()
    return text or None


class Intake:
    """The schema's `Intake` service: keep, then link in real time.

    The linker is the current published generation's (see `Generations`); it is
    not thread-safe, so submissions are linked one at a time in a worker thread
    and the event loop keeps serving reads."""

    def __init__(
        self, generations: Generations, store: IntakeStore, journal: Journal | None = None
    ) -> None:
        self._generations = generations
        self._store = store
        self._journal = journal
        self._lock = asyncio.Lock()
        self._names = NameTokens()

    async def submit(self, record: Mapping[str, Any], organization: str) -> dict[str, Any]:
        canonical = {f: record.get(f) for f in _FIELDS}
        source = intake_source_id(organization)
        async with self._lock:
            await asyncio.to_thread(self._store.save, organization, canonical)
            with self._generations.lease() as held:
                linker = held.linker if held is not None else None
                if linker is None:
                    raise ServiceError(
                        "real-time linkage waits for a linked city (`hub link`); the "
                        "submission is kept and linked by the next run."
                    )
                result = await asyncio.to_thread(
                    linker.link_record, {**canonical, "source": source}
                )
                address = linker.address_of(result.record_key)
        if self._journal is not None:
            await asyncio.to_thread(
                self._journal.append,
                [
                    NewFact(
                        kinds.SUBMISSION_RECEIVED,
                        {
                            "source": source,
                            "person_id": result.person_id,
                            "new_person": result.is_new,
                            "new_household": result.new_household,
                        },
                        household_ids=(result.household_id,),
                        person_ids=(result.person_id,),
                        subject=result.record_key,
                        organization=organization,
                    )
                ],
            )
        return {
            "record_key": result.record_key,
            "source": source,
            "person_id": result.person_id,
            "household_id": result.household_id,
            "match_probability": result.match_probability,
            "new_person": result.is_new,
            "new_household": result.new_household,
            # the same tokens a bulk load indexes, so name search finds it at once
            "name_tokens": self._names(str(record.get("full_name") or "")),
            # the address as standardisation read it, in the bulk load's form
            **address,
            "evidence": result.evidence,
            "matched_record_key": result.matched_record_key,
            "match_weight": result.match_weight,
        }

    def close(self) -> None:
        self._names.close()
        self._store.close()


class Review:
    """The schema's `ReviewDecider`: a reviewer's decision, checked against the
    published staging and kept in the identity ledger, from which every later
    `hub link` takes it (linkage.reconcile)."""

    def __init__(
        self, generations: Generations, ledger: IdentityLedger, journal: Journal | None = None
    ) -> None:
        self._generations = generations
        self._ledger = ledger
        self._journal = journal

    async def decide(
        self, record_key_l: str, record_key_r: str, same: bool, reviewer: str, note: str | None
    ) -> dict[str, Any]:
        decision = "same" if same else "not_same"
        pair, left, right, households = await asyncio.to_thread(
            self._check, decision, (record_key_l, record_key_r)
        )
        at = datetime.now(UTC)
        await asyncio.to_thread(
            self._ledger.save_decision,
            ReviewDecisionRow(pair, left, right, decision, reviewer, at, note),
        )
        if self._journal is not None:
            await asyncio.to_thread(
                self._journal.append,
                [
                    NewFact(
                        kinds.REVIEW_DECIDED,
                        {
                            "pair_id": pair,
                            "record_key_l": left,
                            "record_key_r": right,
                            "decision": decision,
                        },
                        household_ids=households,
                        subject=pair,
                        actor=reviewer,
                        at=at,
                    )
                ],
            )
        return {
            "pair_id": pair,
            "record_key_l": left,
            "record_key_r": right,
            "decision": decision,
            "decided_by": reviewer,
            "note": note,
        }

    async def open_pairs(self, *, offset: int, limit: int) -> Page:
        return await asyncio.to_thread(self._open_pairs, offset, limit)

    def _open_pairs(self, offset: int, limit: int) -> Page:
        """The published queue, less the pairs decided in the ledger since it was made."""
        decided = [d.pair_id for d in self._ledger.decisions()]
        with self._generations.lease() as held:
            if held is None:
                return {"rows": [], "total": 0}
            con = held.con.cursor()
            try:
                pairs = list_open(con, limit, offset=offset, decided=decided)
                total = count_open(con, decided=decided)
                records = pair_records(
                    con, [k for p in pairs for k in (p.record_key_l, p.record_key_r)]
                )
            finally:
                con.close()
        rows = []
        for p in pairs:
            keys = (p.record_key_l, p.record_key_r)
            shown = {k: records[k] for k in keys if k in records}
            rows.append({**dataclasses.asdict(p), "records": shown})
        return {"rows": rows, "total": total}

    def _check(self, decision: str, keys: tuple[str, str]) -> tuple[str, str, str, tuple[str, ...]]:
        with self._generations.lease() as held:
            if held is None:
                raise ServiceError("the review queue waits for a linked city (`hub link`).")
            con = held.con.cursor()
            try:
                pair, left, right = resolve_pair(con, decision, record_keys=keys)
                households: tuple[str, ...] = ()
                if is_linked(con):
                    households = tuple(
                        str(r[0])
                        for r in con.execute(
                            "SELECT DISTINCT household_id FROM identity_map WHERE record_key IN"
                            " (?, ?) ORDER BY 1",
                            [left, right],
                        ).fetchall()
                    )
                return pair, left, right, households
            finally:
                con.close()


@dataclass
class Held:
    """One published generation as a server holds it: the read-only connection,
    the real-time linker built on it, and how many requests use it now."""

    generation: Generation
    con: duckdb.DuckDBPyConnection
    linker: RealtimeLinker | None
    users: int = 0
    retired: bool = False

    def close(self) -> None:
        if self.linker is not None:
            self.linker.close()
        self.con.close()


class Generations:
    """The published staging generation a server reads (hub.published), swapped
    for a newer one without failing a request: the new one is opened and its
    linker built first (in the caller's thread; `watch` runs it in a thread at
    the refresh's lowered priority, see hub.priority), then it becomes current;
    the old one is closed when its last user lets go."""

    def __init__(self, settings: Settings, ledger: IdentityLedger) -> None:
        self._home = settings.home
        self._nice = settings.refresh_nice
        self._models = settings.home / "models"
        self._linkage = linkage_settings(settings)
        self._ledger = ledger
        self._lock = threading.Lock()
        self._current: Held | None = None
        self._checked = 0.0

    @property
    def name(self) -> str | None:
        held = self._current
        return held.generation.name if held is not None else None

    @contextlib.contextmanager
    def lease(self) -> Iterator[Held | None]:
        with self._lock:
            held = self._current
            if held is not None:
                held.users += 1
        try:
            yield held
        finally:
            if held is not None:
                self._release(held)

    def _release(self, held: Held) -> None:
        with self._lock:
            held.users -= 1
            done = held.retired and held.users == 0
        if done:
            held.close()

    def refresh(self) -> bool:
        """Take the current published generation if it is not the one held
        (blocking: run it in a worker thread); whether it swapped."""
        found = current(self._home)
        if found is None or (self._current is not None and self._current.generation == found):
            return False
        opened = open_generation(self._home)
        if opened is None:
            return False
        generation, con = opened
        try:
            linker = self._linker(con)
        except BaseException:
            con.close()
            raise
        self._swap(Held(generation, con, linker))
        return True

    def _swap(self, fresh: Held | None) -> None:
        """Make `fresh` current; the old one closes now if nobody uses it, else
        when its last user lets go."""
        close_now = False
        with self._lock:
            old, self._current = self._current, fresh
            if old is not None:
                old.retired = True
                close_now = old.users == 0
        if old is not None and close_now:
            old.close()

    def _linker(self, con: duckdb.DuckDBPyConnection) -> RealtimeLinker | None:
        if not is_linked(con) or latest_model(self._models) is None:
            return None
        return RealtimeLinker(con, self._models, ledger=self._ledger, settings=self._linkage)

    async def watch(self, interval_s: float = 1.0) -> None:
        """Look for a new generation every `interval_s` seconds, for ever; a
        failure is logged and the next round tries again (the old one serves)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                if await in_yielding_thread(self.refresh, self._nice, "hub-generation"):
                    _log.info("serving staging generation %s", self.name)
            except Exception as exc:  # keep serving the generation held...
                _log.error("staging generation not taken: %s", describe(exc))
                held = self._current
                if held is not None and not held.generation.path.exists():
                    # ...unless it was unpublished (an erasure keeps no older
                    # generation): serving it would keep erased records alive
                    _log.error(
                        "generation %s was withdrawn: not serving staging until "
                        "the next one is taken",
                        held.generation.name,
                    )
                    self._swap(None)

    def close(self) -> None:
        self._swap(None)


def bootstrap_publish(settings: Settings) -> None:
    """Publish hub.duckdb once when nothing is published yet (a home linked
    before generations existed). Skipped when another process holds it: its
    own publish will come."""
    if current(settings.home) is not None or not settings.duckdb_path.exists():
        return
    try:
        con = duckdb.connect(str(settings.duckdb_path))
    except duckdb.Error:
        return
    try:
        publish(con, settings.duckdb_path, settings.home)
    finally:
        con.close()


@dataclass
class LinkageServices:
    """What a server uses of the linkage: the published staging generations
    (read-only; several server processes may share one), the intake and the
    review service, both writing to the identity ledger, never to staging."""

    generations: Generations | None = None
    intake: Intake | None = None
    review: Review | None = None
    #: a store opened for these services alone (closed with them)
    owned: Closeable | None = None

    @classmethod
    def open(
        cls, settings: Settings, journal: Journal | None = None, store: Store | None = None
    ) -> LinkageServices:
        """The services over `store` (the server's), or over a store of their
        own for these settings when none is given."""
        bootstrap_publish(settings)
        owned = open_store(settings) if store is None else None
        shared = store or owned
        assert shared is not None
        ledger = IdentityLedger(shared.database("identities"))
        generations = Generations(settings, ledger)
        generations.refresh()
        return cls(
            generations,
            Intake(generations, IntakeStore(settings.home, shared.database("intake")), journal),
            Review(generations, ledger, journal),
            owned,
        )

    def close(self) -> None:
        if self.intake is not None:
            self.intake.close()
        if self.generations is not None:
            self.generations.close()
        if self.owned is not None:
            self.owned.close()
