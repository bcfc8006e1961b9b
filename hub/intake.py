"""Records submitted through the API (`submitRecord`): kept, linked at once,
and staged like any other source on the next `hub ingest`.

Each submission is written first to `$HUB_HOME/intake.sqlite` (SQLite, so
the server and the CLI can both use it), then linked in real time against the
existing identities. Every submitting organization gets a source config under
`$HUB_HOME/intake/config/`, which `hub ingest` reads along with the others, so
submissions get the same validation, quarantine and lineage as a file source,
and the next full `hub link` keeps the ids handed out here.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from connectors.canonical import PERSON_FIELDS
from hub.settings import Settings
from linkage.realtime import RealtimeLinker
from linkage.review import decide
from linkage.standardise.search import NameTokens

_FIELDS: tuple[str, ...] = tuple(PERSON_FIELDS)
_COLUMNS = ", ".join(f'"{f}" TEXT' for f in _FIELDS)


#: Every source of API submissions is named with this prefix; the graph marks
#: their records `via_api`, and such a record does not open a known person's
#: household to its submitter (a file source so named is treated alike: the
#: safe direction).
INTAKE_SOURCE_PREFIX = "api-"


def intake_source_id(organization: str) -> str:
    """`api-<organization>`: the source id of an organization's submissions."""
    return INTAKE_SOURCE_PREFIX + re.sub(r"[^a-z0-9]+", "-", organization.lower()).strip("-")


class IntakeStore:
    """The submissions, one row per (organization, source_record_id); a resubmission
    replaces the row, and `hub ingest` then stages it as a new version."""

    def __init__(self, home: Path) -> None:
        self.path = home / "intake.sqlite"
        self.config_dir = self.config_dir_of(home)
        self._lock = threading.Lock()
        home.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS submissions (organization TEXT NOT NULL, "
                f"{_COLUMNS}, submitted_at TEXT NOT NULL, "
                "PRIMARY KEY (organization, source_record_id))"
            )

    @staticmethod
    def config_dir_of(home: Path) -> Path:
        return home / "intake" / "config"

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    def save(self, organization: str, record: Mapping[str, Any]) -> None:
        values = [_text(record.get(f)) for f in _FIELDS]
        marks = ", ".join("?" for _ in range(len(_FIELDS) + 2))
        with self._lock, self._connect() as con:
            con.execute(
                f"INSERT OR REPLACE INTO submissions (organization, {', '.join(_FIELDS)}, "
                f"submitted_at) VALUES ({marks})",
                [organization, *values, datetime.now(UTC).isoformat()],
            )
        self._write_config(organization)

    def forget(self, record_keys: Sequence[str]) -> int:
        """Delete the submissions behind these record keys (`api-<org>:<id>`),
        so that `hub ingest` never stages an erased one again; how many went."""
        wanted: dict[str, set[str]] = {}
        for key in record_keys:
            source, _, record_id = key.partition(":")
            if source.startswith(INTAKE_SOURCE_PREFIX) and record_id:
                wanted.setdefault(source, set()).add(record_id)
        if not wanted:
            return 0
        gone = 0
        with self._lock, self._connect() as con:
            for (organization,) in con.execute(
                    "SELECT DISTINCT organization FROM submissions").fetchall():
                ids = wanted.get(intake_source_id(organization), set())
                gone += sum(con.execute("DELETE FROM submissions WHERE organization = ? AND"
                                        " source_record_id = ?", [organization, i]).rowcount
                            for i in sorted(ids))
        return gone

    def _write_config(self, organization: str) -> None:
        source = intake_source_id(organization)
        path = self.config_dir / f"{source}.toml"
        if path.exists():
            return
        self.config_dir.mkdir(parents=True, exist_ok=True)
        org = organization.replace("'", "''")
        columns = "\n".join(f'"{f}" = "{f}"' for f in _FIELDS)
        path.write_text(
            f'id = "{source}"\nkind = "sql"\nlocation = "../../intake.sqlite"\n'
            f'organization = "{organization}"\n'
            f'organization_name = "{organization} (API submissions)"\n'
            'organization_type = "foundation"\n'
            'date_formats = ["%Y-%m-%d"]\n'
            # erasure deletes submissions: an organization may have none left
            "allow_empty = true\n"
            f"query = \"SELECT * FROM submissions WHERE organization = '{org}'\"\n"
            'personal = ["nik", "no_kk", "full_name", "birth_date", "phone", "address"]\n'
            'special_category = ["ppks"]\n\n'
            f"[columns]\n{columns}\n",
            encoding="utf-8",
        )


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

    The linker is not thread-safe; submissions are linked one at a time in a
    worker thread so the event loop keeps serving reads."""

    def __init__(self, con: duckdb.DuckDBPyConnection, model_dir: Path, home: Path) -> None:
        self._con = con
        self._linker = RealtimeLinker(con, model_dir)
        self._store = IntakeStore(home)
        self._lock = asyncio.Lock()
        self._names = NameTokens()

    async def submit(self, record: Mapping[str, Any], organization: str) -> dict[str, Any]:
        canonical = {f: record.get(f) for f in _FIELDS}
        source = intake_source_id(organization)
        async with self._lock:
            await asyncio.to_thread(self._store.save, organization, canonical)
            result = await asyncio.to_thread(
                self._linker.link_record, {**canonical, "source": source}
            )
            shared = self._con.execute(
                "SELECT count(*) FROM identity_map WHERE household_id = ? AND record_key <> ?",
                [result.household_id, result.record_key],
            ).fetchone()
            address = self._linker.address_of(result.record_key)
        return {
            "record_key": result.record_key,
            "source": source,
            "person_id": result.person_id,
            "household_id": result.household_id,
            "match_probability": result.match_probability,
            "new_person": result.is_new,
            "new_household": result.is_new and not (shared and shared[0]),
            # the same tokens a bulk load indexes, so name search finds it at once
            "name_tokens": self._names(str(record.get("full_name") or "")),
            # the address as standardisation read it, in the bulk load's form
            **address,
            "evidence": result.evidence,
            "matched_record_key": result.matched_record_key,
            "match_weight": result.match_weight,
        }

    def close(self) -> None:
        self._linker.close()
        self._names.close()


class Review:
    """The schema's `ReviewDecider`: a reviewer's decision, kept in staging so
    that every later `hub link` honours it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._lock = asyncio.Lock()

    async def decide(self, record_key_l: str, record_key_r: str, same: bool,
                     reviewer: str, note: str | None) -> dict[str, Any]:
        decision = "same" if same else "not_same"
        async with self._lock:
            pair = await asyncio.to_thread(
                decide, self._con, decision, record_keys=(record_key_l, record_key_r),
                decided_by=reviewer, note=note,
            )
        return {"pair_id": pair, "record_key_l": min(record_key_l, record_key_r),
                "record_key_r": max(record_key_l, record_key_r), "decision": decision,
                "decided_by": reviewer, "note": note}


@dataclass
class LinkageServices:
    """The staging database the server holds while it runs, with the intake
    (when a linked city and a saved model exist) and the review service."""

    con: duckdb.DuckDBPyConnection | None = None
    intake: Intake | None = None
    review: Review | None = None

    @classmethod
    def open(cls, settings: Settings) -> LinkageServices:
        if not settings.duckdb_path.exists():
            return cls()
        con = duckdb.connect(str(settings.duckdb_path))
        has_identities = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'identity_map'"
        ).fetchone()
        models = settings.home / "models"
        has_model = models.exists() and any(models.glob("*.json"))
        intake = None
        if has_identities and has_identities[0] and has_model:
            intake = Intake(con, models, settings.home)
        return cls(con, intake, Review(con))

    def close(self) -> None:
        if self.intake is not None:
            self.intake.close()
        if self.con is not None:
            self.con.close()
