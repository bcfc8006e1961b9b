"""Review of uncertain pairs: a person decides, and the decision sticks.

Pairs whose match probability falls in the review band, between two people the
run keeps apart, go to `review_queue` (one pair per two people). `list_open`
orders them by what a wrong answer costs: pairs touching a household that
receives aid first, then households on a welfare list (DTSEN decile 1-4 or a
PPKS category), then the rest; within a tier the most uncertain first. Each pair
comes with its evidence and the fields a clerk should check to settle it.
A decision ('same' / 'not_same') lands in `review_decisions` and overrides the
model in every later run: 'same' forces a link, 'not_same' forbids one, even
through other records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import duckdb

from linkage._sql import first_row, table_exists
from linkage.errors import ReviewError

__all__ = [
    "COST_TIERS",
    "RECORD_COLUMNS",
    "ReviewPair",
    "count_open",
    "decide",
    "ensure_review_tables",
    "list_open",
    "pair_id",
    "pair_records",
    "resolve_pair",
]


def pair_id(record_key_a: str, record_key_b: str) -> str:
    """A stable id for an unordered pair of records."""
    left, right = sorted((record_key_a, record_key_b))
    return hashlib.sha1(f"{left}\x1f{right}".encode()).hexdigest()[:16]


def ensure_review_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE IF NOT EXISTS review_queue (
            pair_id VARCHAR PRIMARY KEY,
            record_key_l VARCHAR NOT NULL,
            record_key_r VARCHAR NOT NULL,
            match_probability DOUBLE,
            status VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE IF NOT EXISTS review_decisions (
            pair_id VARCHAR PRIMARY KEY,
            record_key_l VARCHAR NOT NULL,
            record_key_r VARCHAR NOT NULL,
            decision VARCHAR NOT NULL,
            decided_by VARCHAR,
            decided_at TIMESTAMP NOT NULL,
            note VARCHAR)"""
    )


#: Cost tiers of a wrong answer, highest first.
COST_TIERS: dict[int, str] = {
    2: "household receives aid",
    1: "household on a welfare list",
    0: "no aid recorded",
}


@dataclass(frozen=True)
class ReviewPair:
    pair_id: str
    record_key_l: str
    record_key_r: str
    match_probability: float | None
    status: str
    cost: int = 0  # a COST_TIERS key
    evidence: list[dict[str, object]] = field(default_factory=list)
    to_check: list[str] = field(default_factory=list)  # comparisons missing or disagreeing

    @property
    def cost_reason(self) -> str:
        return COST_TIERS.get(self.cost, "")


def list_open(
    con: duckdb.DuckDBPyConnection,
    limit: int = 50,
    *,
    offset: int = 0,
    decided: Collection[str] = (),
) -> list[ReviewPair]:
    """Open pairs, costliest first (see the module doc), with their evidence;
    `decided`: pair ids decided since the queue was made (a server's ledger),
    left out. Reads only, so a server may list a read-only published staging."""
    if not table_exists(con, "review_queue"):
        return []
    rows = con.execute(
        f"""WITH q AS ({_OPEN})
            SELECT q.pair_id, q.record_key_l, q.record_key_r, q.match_probability, q.status,
                   {_cost_sql(con)} AS cost, {_evidence_sql(con)} AS evidence
            FROM q ORDER BY cost DESC, abs(q.match_probability - 0.5), q.pair_id
            LIMIT $limit OFFSET $offset""",
        {"limit": limit, "offset": offset, "decided": list(decided)},
    ).fetchall()
    out = []
    for pid, left, right, probability, status, cost, evidence in rows:
        found = json.loads(evidence) if evidence else []
        check = [
            str(c["comparison"])
            for c in found
            if c.get("match_weight") is None or float(c["match_weight"]) <= 0
        ]
        out.append(ReviewPair(pid, left, right, probability, status, int(cost), found, check))
    return out


def count_open(con: duckdb.DuckDBPyConnection, *, decided: Collection[str] = ()) -> int:
    """How many pairs `list_open` lists in all."""
    if not table_exists(con, "review_queue"):
        return 0
    row = first_row(con, f"SELECT count(*) FROM ({_OPEN})", {"decided": list(decided)})
    return int(row[0]) if row else 0


#: the open pairs of the queue, less those named by the `$decided` parameter
_OPEN: Final = (
    "SELECT * FROM review_queue WHERE status = 'open' "
    "AND NOT list_contains($decided::VARCHAR[], pair_id)"
)


#: what `pair_records` tells of each record: as its source sent it, with its identities
RECORD_COLUMNS: Final = (
    "record_key", "source", "organization", "source_record_id", "full_name", "nik", "no_kk",
    "birth_date", "birth_place", "sex", "address", "rt", "rw", "kelurahan", "phone",
)  # fmt: skip


def pair_records(
    con: duckdb.DuckDBPyConnection, record_keys: Collection[str]
) -> dict[str, dict[str, object]]:
    """The records of some pairs by key (`RECORD_COLUMNS`, with `person_id` and
    `household_id` when linked), for a reviewer to see side by side."""
    if not record_keys or not table_exists(con, "current_records"):
        return {}
    linked = table_exists(con, "identity_map")
    columns = ", ".join(f"c.{c}" for c in RECORD_COLUMNS)
    ids = "m.person_id, m.household_id" if linked else "NULL AS person_id, NULL AS household_id"
    join = "LEFT JOIN identity_map m USING (record_key)" if linked else ""
    cursor = con.execute(
        f"SELECT {columns}, {ids} FROM current_records c {join} "
        "WHERE list_contains($keys::VARCHAR[], c.record_key)",
        {"keys": list(record_keys)},
    )
    names = [d[0] for d in cursor.description]
    return {str(row[0]): dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _cost_sql(con: duckdb.DuckDBPyConnection) -> str:
    if not table_exists(con, "identity_map"):
        return "0"
    nothing = "SELECT NULL::VARCHAR WHERE false"
    aid = (
        "SELECT m.household_id FROM identity_map m JOIN current_services s USING (record_key)"
        if table_exists(con, "current_services")
        else nothing
    )
    listed = (
        "SELECT m.household_id FROM identity_map m JOIN current_records c USING (record_key) "
        "WHERE c.welfare_decile <= 4 OR len(c.ppks) > 0"
        if table_exists(con, "current_records")
        else nothing
    )

    def touches(households: str) -> str:
        return (
            "EXISTS (SELECT 1 FROM identity_map h "
            "WHERE h.record_key IN (q.record_key_l, q.record_key_r) "
            f"AND h.household_id IN ({households}))"
        )

    return f"CASE WHEN {touches(aid)} THEN 2 WHEN {touches(listed)} THEN 1 ELSE 0 END"


def _evidence_sql(con: duckdb.DuckDBPyConnection) -> str:
    if not table_exists(con, "link_evidence"):
        return "NULL"
    return (
        "(SELECT CAST(e.evidence AS VARCHAR) FROM link_evidence e "
        "WHERE e.record_key_l = q.record_key_l AND e.record_key_r = q.record_key_r)"
    )


def decide(
    con: duckdb.DuckDBPyConnection,
    decision: str,
    *,
    pair: str | None = None,
    record_keys: tuple[str, str] | None = None,
    decided_by: str | None = None,
    note: str | None = None,
) -> str:
    """Record a decision on a queued pair (by `pair`) or on any two records; return its pair id."""
    ensure_review_tables(con)
    pid, left, right = resolve_pair(con, decision, pair=pair, record_keys=record_keys)
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        """INSERT OR REPLACE INTO review_decisions
           VALUES ($pid, $l, $r, $decision, $by, $at, $note)""",
        {
            "pid": pid,
            "l": left,
            "r": right,
            "decision": decision,
            "by": decided_by,
            "at": now,
            "note": note,
        },
    )
    con.execute("UPDATE review_queue SET status = 'decided' WHERE pair_id = $pid", {"pid": pid})
    return pid


def resolve_pair(
    con: duckdb.DuckDBPyConnection,
    decision: str,
    *,
    pair: str | None = None,
    record_keys: tuple[str, str] | None = None,
) -> tuple[str, str, str]:
    """Check a decision and name its pair: (pair id, left key, right key). Reads
    only, so a server may check against a read-only published staging."""
    if decision not in ("same", "not_same"):
        raise ReviewError(f"unknown decision {decision!r}: use 'same' or 'not_same'")
    if record_keys is not None:
        left, right = sorted(record_keys)
        if left == right:
            raise ReviewError(f"a record cannot be reviewed against itself: {left}")
        _require_records(con, (left, right))
        return pair_id(left, right), left, right
    if pair is not None:
        found = (
            first_row(
                con,
                "SELECT record_key_l, record_key_r FROM review_queue WHERE pair_id = $p",
                {"p": pair},
            )
            if table_exists(con, "review_queue")
            else None
        )
        if found is None:
            raise ReviewError(
                f"no pair {pair!r} in the review queue: list open pairs with `hub review list`"
            )
        left, right = sorted((str(found[0]), str(found[1])))
        return pair, left, right
    raise ReviewError("name the pair to decide: a pair id or two record keys")


def _require_records(con: duckdb.DuckDBPyConnection, keys: tuple[str, str]) -> None:
    if not table_exists(con, "current_records"):
        return
    found = {
        row[0]
        for row in con.execute(
            "SELECT record_key FROM current_records WHERE record_key IN ($a, $b)",
            {"a": keys[0], "b": keys[1]},
        ).fetchall()
    }
    missing = [k for k in keys if k not in found]
    if missing:
        raise ReviewError(
            f"unknown record key(s) {', '.join(missing)}: check `hub export identities`"
        )
