"""Real-time linking: one new record gets its person and household id at once.

`RealtimeLinker` is built once (it loads the saved model and the standardised
records of the last `hub link` into a private DuckDB); `link_record` then
standardises the record, picks candidates with the blocking keys (indexed
look-ups, not a scan of every pair), scores them, and registers the identity it
decides on. The next full `hub link` keeps the ids it handed out.

The linker never writes to the staging database it reads (a server reads a
read-only published copy). What it decides goes to the identity ledger
(linkage.ledger), shared by every server process: new ids come from the
ledger's counters, and each assignment is recorded there with the record. Before
it links a record, a linker takes in the assignments other processes recorded
since it last looked, all under the ledger's write lock, so one person
submitted to two server processes gets one identity.

Scoring is Splink's: with `compiled=False` every call goes through
`linker.inference.predict_between`; by default the SQL that `predict_between`
runs (comparison vectors, then match weights) is generated once from the model
and re-run on the one-row and candidate tables, which saves Splink's per-call
SQL generation (about 0.25 s) and gives the same probabilities. Getting that SQL
needs Splink's private API, kept in linkage.splink_private; if an upgrade moved
it, the linker logs so and scores through `predict_between`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from linkage._sql import first_row, table_exists
from linkage.engine import DuckDBEngine
from linkage.errors import LinkageError
from linkage.explain import level_labels
from linkage.gazetteer import ensure_gazetteer
from linkage.ledger import Assignment, IdentityLedger, LedgerSession
from linkage.model import (
    MODEL_INPUT,
    NAMES_AGREE_SQL,
    TF_COLUMNS,
    load_model,
    names_agree,
)
from linkage.output import is_linked
from linkage.pipeline import (
    LinkageSettings,
    Standardiser,
    model_input,
    model_input_sql,
)
from linkage.registry import highest_number
from linkage.splink_private import SplinkInternalsError, scoring_sql
from linkage.standardise.pipeline import standardise
from linkage.standardise.record import RecordStandardiser, arrow_result

__all__ = ["LinkResult", "RealtimeLinker"]

_log = logging.getLogger("linkage.realtime")

#: Candidate look-ups: each is a set of columns that must all be equal.
CANDIDATE_KEYS: tuple[tuple[str, ...], ...] = (
    ("nik_clean",),
    ("kk_clean",),
    ("phone_clean",),
    ("name_phonetic", "birth_year"),
    ("first_name_phonetic", "birth_date"),
    ("address_key", "first_name_phonetic"),
    ("name_phonetic", "rt", "rw"),
    ("name_phonetic", "home_key"),
    # the batch rule "same RT/RW and kelurahan, a word of the name in common"
    ("address_key",),
    ("name_phonetic", "kelurahan_code"),
)
MAX_CANDIDATES = 500
#: Arrow types of the canonical fields' DuckDB types, for the one-row input.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
}


@dataclass(frozen=True)
class LinkResult:
    person_id: str
    household_id: str
    match_probability: float | None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    is_new: bool = False
    record_key: str = ""
    #: the existing record it was linked to, and that pair's match weight
    matched_record_key: str | None = None
    match_weight: float | None = None
    #: a household id was minted for this record (nobody it lives with is known)
    new_household: bool = False


class RealtimeLinker:
    """Links one record at a time against a linked staging database (read only).

    `ledger`: where ids come from and assignments go (see the module doc); a
    linker without one (tests, benches) gets a private ledger of its own."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        model_dir: Path,
        *,
        ledger: IdentityLedger | None = None,
        settings: LinkageSettings | None = None,
        standardiser: Standardiser | None = None,
        compiled: bool = True,
    ) -> None:
        from splink import Linker

        if not is_linked(con):
            raise LinkageError("no identities to link against: run `hub link` first")
        self._ledger = ledger or IdentityLedger(
            Path(tempfile.mkdtemp(prefix="satupintu-ledger-")) / "identities.sqlite"
        )
        self._floors = {
            entity: highest_number(con, entity) if table_exists(con, f"{entity}_registry") else 0
            for entity in ("person", "household")
        }
        self._survivors = _survivors(con)
        self._settings = settings or LinkageSettings()
        self._standardise = standardiser
        self._model = load_model(Path(model_dir))
        self._labels = {(c, g): label for c, g, label in level_labels(self._model.settings)}
        self._engine = DuckDBEngine()
        self._private = self._engine.connection
        self._columns = list(MODEL_INPUT)
        existing = model_input(con)
        self._existing = self._engine.register(existing, "existing")
        self._table = self._existing.physical_name
        for key in CANDIDATE_KEYS:
            self._private.execute(
                f"CREATE INDEX IF NOT EXISTS idx_{'_'.join(key)} ON {self._table} ({key[0]})"
            )
        identities = con.sql(
            "SELECT record_key, person_id, household_id FROM identity_map"
        ).to_arrow_table()
        self._private.register("_identities_arrow", identities)
        self._private.execute("CREATE TABLE identities AS SELECT * FROM _identities_arrow")
        self._private.unregister("_identities_arrow")
        self._private.execute("CREATE INDEX idx_identities ON identities (record_key)")
        self._copy_gazetteer(con)
        # By default one record is standardised by the bulk path's SQL on a
        # connection kept ready (macros, vocabulary, gazetteer); `standardiser`
        # (tests) goes through the temp-table path instead.
        self._record_standardiser = (
            RecordStandardiser(self._private) if standardiser is None else None
        )
        self._linker = Linker(self._existing, self._model.settings, log_level=None)
        tf_joins = []
        for column in TF_COLUMNS:
            tf_table = self._linker.table_management.compute_tf_table(column).physical_name
            tf_joins.append((column, tf_table))
        self._tf_joins = tf_joins
        self._private.execute(
            f"CREATE TABLE existing_tf AS SELECT * FROM ({self._with_tf(self._table)})"
        )
        for key in CANDIDATE_KEYS:
            self._private.execute(
                f"CREATE INDEX IF NOT EXISTS tf_{'_'.join(key)} ON existing_tf ({key[0]})"
            )
        self._input_sql: str | None = None
        from connectors.canonical import PERSON_FIELDS

        self._input_columns = {"record_key": "VARCHAR", "source": "VARCHAR", **PERSON_FIELDS}
        kinds = self._input_columns.items()
        self._input_schema = (
            pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in kinds])
            if all(kind in _ARROW_TYPES for _, kind in kinds)
            else None
        )
        self._private.execute(
            f"CREATE TABLE _rt_left AS SELECT * FROM ({self._with_tf(self._table)}) LIMIT 0"
        )
        self._private.execute("CREATE TABLE _rt_right AS SELECT * FROM existing_tf LIMIT 0")
        self._compiled = compiled and self._compile()
        self._counter = itertools.count(1)
        self._seen = 0
        self._take_in(self._ledger.assignments())

    def link_record(self, record: dict[str, Any]) -> LinkResult:
        """Link one canonical record (connectors/canonical.py fields, plus `source`)."""
        key = _record_key(record)
        known = self._known(key)
        if known is not None:
            return known
        row = self._standardised(record, key)
        with self._ledger.exclusive() as ledger:
            self._take_in(ledger.since(self._seen))
            known = self._known(key)
            if known is not None:
                return known
            candidates = self._candidates(row)
            best: dict[str, Any] | None = None
            if candidates.num_rows:
                best = self._best_match(row, candidates)
            result = self._decide(row, best, key, ledger)
            minted = ("person",) * result.is_new + ("household",) * result.new_household
            self._seen = ledger.record(
                Assignment(
                    record_key=key,
                    source=record.get("source"),
                    source_record_id=record.get("source_record_id"),
                    person_id=result.person_id,
                    household_id=result.household_id,
                    match_probability=result.match_probability if not result.is_new else 1.0,
                    model_version=self._model.version,
                    evidence=result.evidence,
                    matched_record_key=result.matched_record_key,
                    match_weight=result.match_weight,
                    minted=minted,
                    record={k: v for k, v in record.items() if k != "record_key"},
                    linked_at=datetime.now(UTC),
                )
            )
            self._remember(row, result)
        return result

    def _known(self, key: str) -> LinkResult | None:
        known = first_row(
            self._private,
            "SELECT person_id, household_id FROM identities WHERE record_key = $k",
            {"k": key},
        )
        if known is None:
            return None
        return LinkResult(str(known[0]), str(known[1]), 1.0, [], False, key)

    def _take_in(self, assignments: list[Assignment]) -> None:
        """Add what other processes linked (and this linker has not seen) to the
        records it links against, under the ids they were given."""
        for found in assignments:
            self._seen = max(self._seen, found.seq)
            if self._known(found.record_key) is not None:
                continue  # the staging read wins: a full link has placed it
            record = self._decoded(found.record)
            row = self._standardised({**record, "source": found.source}, found.record_key)
            self._remember(
                row,
                LinkResult(
                    self._survivor(found.person_id),
                    self._survivor(found.household_id),
                    found.match_probability,
                    [],
                    False,
                    found.record_key,
                ),
            )

    def _decoded(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A record as the ledger kept it (JSON), with its dates as dates again."""
        out = dict(record)
        for name, kind in self._input_columns.items():
            value = out.get(name)
            if kind == "DATE" and isinstance(value, str):
                # unreadable: standardisation reads it as text, as it did the first time
                with contextlib.suppress(ValueError):
                    out[name] = date.fromisoformat(value)
        return out

    def _survivor(self, identity: str) -> str:
        seen = {identity}
        while identity in self._survivors:
            identity = self._survivors[identity]
            if identity in seen:
                break
            seen.add(identity)
        return identity

    def _decide(
        self, row: pa.Table, best: dict[str, Any] | None, key: str, ledger: LedgerSession
    ) -> LinkResult:
        """The identity for a standardised record, minting new ids when nobody matches."""
        if (
            best is not None
            and best["match_probability"] >= self._settings.link_threshold
            and names_agree(best)
        ):
            person_id, household_id = self._identity_of(str(best["record_key_r"]))
            weight = best.get("match_weight")
            result = LinkResult(
                person_id,
                household_id,
                float(best["match_probability"]),
                self._evidence(best),
                False,
                key,
                str(best["record_key_r"]),
                None if weight is None else float(weight),
            )
        else:
            person_id = self._mint("person", ledger)
            joined = self._household_for(row)
            household_id = joined or self._mint("household", ledger)
            probability = float(best["match_probability"]) if best else None
            evidence = self._evidence(best) if best else []
            result = LinkResult(
                person_id,
                household_id,
                probability,
                evidence,
                True,
                key,
                new_household=joined is None,
            )
        return result

    def address_of(self, record_key: str) -> dict[str, str | None]:
        """Where standardisation placed a linked record: kelurahan and kecamatan
        codes, and RT/RW as the bulk pipeline writes them (three digits; the
        model's input holds the cleaned `rt_clean`/`rw_clean` as `rt`/`rw`)."""
        names = ("kelurahan_code", "kecamatan_code", "rt", "rw")
        row = first_row(
            self._private,
            f"SELECT kelurahan_code, kecamatan_code, rt, rw FROM {self._table}"
            " WHERE record_key = $k",
            {"k": record_key},
        )
        return dict(zip(names, row or (None,) * len(names), strict=True))

    def close(self) -> None:
        if self._record_standardiser is not None:
            self._record_standardiser.close()
        self._engine.close()

    # internals

    def _compile(self) -> bool:
        """Make the view `_rt_scored` score `_rt_left` x `_rt_right` (see the
        module doc); False when Splink moved what that needs (scoring then goes
        through predict_between)."""
        try:
            sql = scoring_sql(self._linker, "_rt_left", "_rt_right")
        except SplinkInternalsError as exc:
            _log.warning("real-time scoring through predict_between: %s", exc)
            return False
        self._private.execute(f"CREATE VIEW _rt_scored AS {sql}")
        return True

    def _standardised(self, record: dict[str, Any], key: str) -> pa.Table:
        values = {**record, "record_key": key}
        if self._record_standardiser is not None and self._input_schema is not None:
            try:
                row = pa.table(
                    {name: [values.get(name)] for name in self._input_schema.names},
                    schema=self._input_schema,
                )
            except (pa.ArrowException, TypeError, ValueError):
                row = None  # e.g. a birth date as text: DuckDB casts it below
            if row is not None:
                standardised = self._record_standardiser.standardise(row)
                self._private.register("_rt_std", standardised)
                try:
                    if self._input_sql is None:
                        self._input_sql = model_input_sql(self._private, "_rt_std")
                    return arrow_result(self._private, self._input_sql)
                finally:
                    self._private.unregister("_rt_std")
        columns = self._input_columns
        self._private.execute(
            "CREATE OR REPLACE TEMP TABLE _rt_in ("
            + ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
            + ")"
        )
        self._private.execute(
            f"INSERT INTO _rt_in VALUES ({', '.join('?' for _ in columns)})",
            [values.get(name) for name in columns],
        )
        self._private.execute("DROP TABLE IF EXISTS _rt_std")
        (self._standardise or self._record_standardiser or standardise)(
            self._private, "_rt_in", "_rt_std"
        )
        if self._input_sql is None:
            self._input_sql = model_input_sql(self._private, "_rt_std")
        return self._private.sql(self._input_sql).to_arrow_table()

    def _candidates(self, row: pa.Table) -> pa.Table:
        values = row.to_pylist()[0]
        parts, params = [], {}
        for number, key in enumerate(CANDIDATE_KEYS):
            if any(values.get(column) is None for column in key):
                continue
            conditions = []
            for column in key:
                name = f"v{number}_{column}"
                params[name] = values[column]
                conditions.append(f"{column} = ${name}")
            parts.append(f"SELECT * FROM existing_tf WHERE {' AND '.join(conditions)}")
        if not parts:
            return pa.table({})
        sql = f"SELECT DISTINCT * FROM ({' UNION ALL '.join(parts)}) LIMIT {MAX_CANDIDATES}"
        return self._private.sql(sql, params=params).to_arrow_table()

    def _best_match(self, row: pa.Table, candidates: pa.Table) -> dict[str, Any] | None:
        if self._compiled:
            return self._best_match_compiled(row, candidates)
        number = next(self._counter)
        candidates = candidates.drop_columns([f"tf_{column}" for column, _ in self._tf_joins])
        new = self._engine.db_api.register(row, table_name=f"__rt_new_{number}")
        found = self._engine.db_api.register(candidates, table_name=f"__rt_cand_{number}")
        try:
            scored = self._linker.inference.predict_between(
                new,
                found,
                threshold_match_probability=self._settings.review_threshold / 10,
                warning_mode="never",
            )
            cursor = self._private.execute(
                f"SELECT * FROM {scored.physical_name} "
                f"ORDER BY {NAMES_AGREE_SQL} DESC, match_probability DESC, record_key_r LIMIT 1"
            )
            names = [str(d[0]) for d in cursor.description or ()]
            rows = cursor.fetchall()
            scored.drop_table_from_database_and_remove_from_cache()
        finally:
            for frame in (new, found):
                frame.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def _best_match_compiled(self, row: pa.Table, candidates: pa.Table) -> dict[str, Any] | None:
        con = self._private
        con.register("_rt_row_arrow", row)
        con.register("_rt_candidates_arrow", candidates)
        try:
            con.execute("DELETE FROM _rt_left")
            con.execute("DELETE FROM _rt_right")
            con.execute(f"INSERT INTO _rt_left SELECT * FROM ({self._with_tf('_rt_row_arrow')})")
            con.execute("INSERT INTO _rt_right SELECT * FROM _rt_candidates_arrow")
            cursor = con.execute(
                f"SELECT * FROM _rt_scored ORDER BY {NAMES_AGREE_SQL} DESC, "
                "match_probability DESC, record_key_r LIMIT 1"
            )
            names = [str(d[0]) for d in cursor.description or ()]
            rows = cursor.fetchall()
        finally:
            con.unregister("_rt_row_arrow")
            con.unregister("_rt_candidates_arrow")
        return dict(zip(names, rows[0], strict=True)) if rows else None

    def _with_tf(self, table: str) -> str:
        """`table` plus Splink's term-frequency columns (tf_<column>) from the full data."""
        select = ["t.*"]
        joins = []
        for number, (column, tf_table) in enumerate(self._tf_joins):
            select.append(f"tf{number}.tf_{column}")
            joins.append(f"LEFT JOIN {tf_table} tf{number} ON tf{number}.{column} = t.{column}")
        return f"SELECT {', '.join(select)} FROM {table} t {' '.join(joins)}"

    def _evidence(self, pair: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for comparison in self._model.settings.get("comparisons", []):
            name = comparison["output_column_name"]
            gamma = pair.get(f"gamma_{name}")
            if gamma is None:
                continue
            weight = (pair.get(f"mw_{name}") or 0.0) + (pair.get(f"mw_tf_adj_{name}") or 0.0)
            out.append(
                {
                    "comparison": name,
                    "level": self._labels.get((name, int(gamma)), ""),
                    "match_weight": round(float(weight), 3),
                }
            )
        return out

    def _identity_of(self, record_key: str) -> tuple[str, str]:
        row = first_row(
            self._private,
            "SELECT person_id, household_id FROM identities WHERE record_key = $k",
            {"k": record_key},
        )
        if row is None:
            raise LinkageError(f"record {record_key} has no identity: run `hub link` again")
        return str(row[0]), str(row[1])

    def _household_for(self, row: pa.Table) -> str | None:
        """A new person joins the household of records sharing their KK, else house, else phone."""
        values = row.to_pylist()[0]
        for column in ("kk_clean", "home_key", "phone_clean"):
            value = values.get(column)
            if value is None:
                continue
            found = first_row(
                self._private,
                f"""SELECT i.household_id, count(*) AS n FROM {self._table} e
                    JOIN identities i USING (record_key) WHERE e.{column} = $v
                    GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1""",
                {"v": value},
            )
            if found is not None:
                return str(found[0])
        return None

    def _mint(self, entity: str, ledger: LedgerSession) -> str:
        prefix = "P" if entity == "person" else "H"
        return f"{prefix}-{ledger.allocate(entity, 1, self._floors[entity]):09d}"

    def _remember(self, row: pa.Table, result: LinkResult) -> None:
        self._private.register("_rt_row", row)
        self._private.execute(f"INSERT INTO {self._table} SELECT * FROM _rt_row")
        self._private.execute(f"INSERT INTO existing_tf SELECT * FROM ({self._with_tf('_rt_row')})")
        self._private.unregister("_rt_row")
        self._private.execute(
            "INSERT INTO identities VALUES ($k, $p, $h)",
            {"k": result.record_key, "p": result.person_id, "h": result.household_id},
        )

    def _copy_gazetteer(self, con: duckdb.DuckDBPyConnection) -> None:
        for table in ("ref_kelurahan", "ref_kecamatan"):
            if table_exists(con, table):
                self._private.register(
                    f"_{table}", con.sql(f"SELECT * FROM {table}").to_arrow_table()
                )
                self._private.execute(f"CREATE TABLE {table} AS SELECT * FROM _{table}")
        ensure_gazetteer(self._private)


def _survivors(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Merged id -> the id it was merged into, from both registries."""
    out: dict[str, str] = {}
    for entity in ("person", "household"):
        if table_exists(con, f"{entity}_registry"):
            out.update(
                (str(old), str(new))
                for old, new in con.execute(
                    f"SELECT {entity}_id, survivor_id FROM {entity}_registry "
                    "WHERE status = 'merged' AND survivor_id IS NOT NULL"
                ).fetchall()
            )
    return out


def _record_key(record: dict[str, Any]) -> str:
    if record.get("record_key"):
        return str(record["record_key"])
    if not record.get("source") or not record.get("source_record_id"):
        raise LinkageError("a record to link needs `source` and `source_record_id`")
    return f"{record['source']}:{record['source_record_id']}"
