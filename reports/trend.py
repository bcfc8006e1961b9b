"""The poverty rate by report month (issue 16): `poverty_trend`.

The honest source for a past month's deciles is the journal: every `hub load`
that moves a household's welfare decile appends `household.decile_changed`
(from, to), and every load appends `load.published`. A household's decile at
the end of month M (`Period.ends_at`: the cut-off day's end in the office's
time zone) is the `from` of its first change recorded after that instant, or
its decile now when none was; the poor rule is `domain.thresholds.poor_sql`,
the population the population file's, the people each household's active
people now (`_rp_counted`, as the month's figures count them).

A month that ended before the hub's first load is not known: nothing was
recorded then, and its figures are None (`known` False) rather than today's
deciles passed off as history. What is not traced back: P3KE listings,
members and areas as they were (a household counts with today's people, in
today's kelurahan), and changes journaled on an id later merged away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

import duckdb

from domain.city import CITY_CODE
from domain.thresholds import POOR_DECILE_MAX, poor_sql
from journal import Journal, kinds
from reports.errors import ReportError
from reports.goals import POPULATION_TABLE
from reports.queries import Period, SheetSpec

#: the levels a trend is given at: the whole city, or each area of a level
LEVELS: Final[dict[str, str | None]] = {
    "CITY": None,
    "KECAMATAN": "kecamatan_code",
    "KELURAHAN": "kelurahan_code",
}
#: the most months one trend covers (ten years)
MAX_MONTHS: Final = 120
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NEVER: Final = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


#: the months a trend covers when not told which: the year up to this month
DEFAULT_MONTHS: Final = 12


def months(first: str | None, last: str | None, cutoff_day: int, zone: str) -> list[Period]:
    """The report months from `first` to `last` (YYYY-MM, both included); `last`
    is the current report month when None, `first` the one DEFAULT_MONTHS - 1
    before `last` when None."""
    end = (
        Period.current(cutoff_day, zone) if last is None else Period.parse(last, cutoff_day, zone)
    ).month
    if first is None:
        year, month = divmod(end.year * 12 + end.month - DEFAULT_MONTHS, 12)
        start = dt.date(year, month + 1, 1)
        first = f"{start:%Y-%m}"
    start = Period.parse(first, cutoff_day, zone).month
    last = f"{end:%Y-%m}"
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    if count < 1:
        raise ReportError(f"the months run from {first} to {last}: give the earlier first.")
    if count > MAX_MONTHS:
        raise ReportError(f"{count} months asked for; a trend covers at most {MAX_MONTHS}.")
    out = []
    for i in range(count):
        year, month = divmod(start.month - 1 + i, 12)
        out.append(Period.of_month(dt.date(start.year + year, month + 1, 1), cutoff_day, zone))
    return out


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def stage_changes(con: duckdb.DuckDBPyConnection, journal: Journal | None) -> dt.datetime | None:
    """The journal's decile changes as `_rp_decile_change` (household_id, changed_at in
    UTC, seq, decile_from); returns when the hub's first load was recorded."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rp_decile_change "
        "(household_id VARCHAR, changed_at TIMESTAMP, seq BIGINT, decile_from INTEGER)"
    )
    if journal is None:
        return None
    facts = journal.between(_EPOCH, _NEVER, [kinds.DECILE_CHANGED, kinds.LOAD_PUBLISHED])
    rows = [
        (str(f.payload["household_id"]), _utc(f.at), f.seq, f.payload.get("from"))
        for f in facts
        if f.kind == kinds.DECILE_CHANGED
    ]
    if rows:
        con.executemany("INSERT INTO _rp_decile_change VALUES (?, ?, ?, ?)", rows)
    loads = [f.at for f in facts if f.kind == kinds.LOAD_PUBLISHED]
    return min(loads) if loads else None


def _level_of(con: duckdb.DuckDBPyConnection, area: str) -> str:
    for level, table in (("KECAMATAN", "ref_kecamatan"), ("KELURAHAN", "ref_kelurahan")):
        if con.execute(f"SELECT count(*) FROM {table} WHERE code = ?", [area]).fetchall()[0][0]:
            return level
    raise ReportError(f"area {area!r} is neither a kecamatan nor a kelurahan code of the city.")


def poverty_trend(
    con: duckdb.DuckDBPyConnection,
    journal: Journal | None,
    periods: Sequence[Period],
    *,
    level: str = "CITY",
    area: str | None = None,
    poor_decile: int = POOR_DECILE_MAX,
    households: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Per month of `periods` and per area of `level` (one city row, or each
    kecamatan or kelurahan; only `area`, a kecamatan or kelurahan code, at its
    own level, when given): month, code, level, population, people and poor_people counted,
    rate (poor people over population), known. Among `households` when given.
    Needs `reports.analytics.prepare_figures` first."""
    if level not in LEVELS:
        raise ReportError(f"level {level!r}: choose one of {', '.join(LEVELS)}.")
    first_load = stage_changes(con, journal)
    column = LEVELS[level]
    con.execute("CREATE OR REPLACE TEMP TABLE _rp_trend_month (label VARCHAR, ends_at TIMESTAMP)")
    con.executemany(
        "INSERT INTO _rp_trend_month VALUES (?, ?)", [(p.label, _utc(p.ends_at)) for p in periods]
    )
    if area is not None:
        level = _level_of(con, area)
        column = LEVELS[level]
    # the city is its kecamatan, as `povertyTarget` sums them
    code = (
        f"c.{column}"
        if column
        else "CASE WHEN c.kecamatan_code IN (SELECT code FROM ref_kecamatan) THEN 'CITY' END"
    )
    population = (
        f"(SELECT sum(population) FROM {POPULATION_TABLE} WHERE level = 'KECAMATAN')"
        if column is None
        else f"(SELECT population FROM {POPULATION_TABLE} p WHERE p.code = t.code)"
    )
    rows = con.execute(
        f"""
        WITH later AS (
            SELECT m.label, x.household_id, arg_min(x.decile_from, x.seq) AS decile
            FROM _rp_trend_month m JOIN _rp_decile_change x ON x.changed_at >= m.ends_at
            GROUP BY ALL),
        counted AS (
            SELECT * FROM _rp_counted
            WHERE $all OR household_id IN (SELECT unnest($ids::VARCHAR[]))),
        held AS (
            SELECT m.label, {code} AS code, c.people, c.p3ke,
                   CASE WHEN l.household_id IS NULL THEN c.welfare_decile ELSE l.decile END
                       AS decile
            FROM _rp_trend_month m CROSS JOIN counted c
            LEFT JOIN later l ON l.label = m.label AND l.household_id = c.household_id
            WHERE $area::VARCHAR IS NULL OR $area IN (c.kecamatan_code, c.kelurahan_code)),
        t AS (
            SELECT label, code, sum(people)::BIGINT AS people,
                   coalesce(sum(people) FILTER (WHERE {poor_sql("$poor", "decile")}), 0)::BIGINT
                       AS poor
            FROM held WHERE code IS NOT NULL GROUP BY ALL)
        SELECT t.label, t.code, t.people, t.poor, {population} AS population
        FROM t ORDER BY t.label, t.code""",
        {
            "all": households is None,
            "ids": list(households or []),
            "area": area,
            "poor": poor_decile,
        },
    ).fetchall()
    ends = {p.label: p.ends_at for p in periods}
    out = []
    for label, code, people, poor, pop in rows:
        known = first_load is not None and first_load < ends[label]
        out.append(
            {
                "month": label,
                "code": code,
                "level": level,
                "population": None if pop is None else int(pop),
                "people": int(people) if known else None,
                "poor_people": int(poor) if known else None,
                "rate": round(poor / pop, 6) if known and pop else None,
                "known": known,
            }
        )
    return out


#: the monthly report's sheet of the poverty trend: the city, then each kecamatan
SHEET: Final = SheetSpec(
    "Tren Kemiskinan",
    f"Tingkat kemiskinan per bulan laporan ({DEFAULT_MONTHS} bulan): orang dalam keluarga "
    f"miskin pada tanggal batas (desil 1-{POOR_DECILE_MAX} saat itu, dari perubahan desil "
    "yang tercatat di jurnal, atau P3KE) / penduduk",
    ("BULAN", "TINGKAT", "KODE_WILAYAH", "ORANG_MISKIN", "PENDUDUK", "TINGKAT_KEMISKINAN"),
    "",  # computed by `sheet_rows`, from the journal as well as staging
)
#: how the sheet writes a month that ended before the hub's first load
NOT_RECORDED: Final = "belum tercatat"


def sheet_rows(
    con: duckdb.DuckDBPyConnection, period: Period, journal: Journal | None
) -> list[tuple[Any, ...]]:
    """The sheet's rows for the DEFAULT_MONTHS report months up to `period`
    (after `reports.queries.prepare`)."""
    periods = months(None, period.label, period.cutoff_day, period.zone)
    rows = [
        r
        for level in ("CITY", "KECAMATAN")
        for r in poverty_trend(con, journal, periods, level=level)
    ]
    rows.sort(key=lambda r: (r["month"], r["level"] != "CITY", r["code"]))
    return [
        (
            r["month"],
            "KOTA" if r["level"] == "CITY" else r["level"],
            CITY_CODE if r["level"] == "CITY" else r["code"],
            r["poor_people"] if r["known"] else NOT_RECORDED,
            r["population"],
            r["rate"] if r["known"] else NOT_RECORDED,
        )
        for r in rows
    ]


__all__ = [
    "DEFAULT_MONTHS",
    "LEVELS",
    "MAX_MONTHS",
    "NOT_RECORDED",
    "SHEET",
    "months",
    "poverty_trend",
    "sheet_rows",
    "stage_changes",
]
