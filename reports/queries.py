"""The monthly report's tables, computed set-based in DuckDB from staging
(`records`, `current_services`, `sources`), the identity map and the
reference data. Neo4j is not needed: the report works offline.

`prepare()` builds the temp tables `_rp_*` once; each sheet is then one
SELECT over them (see `SHEETS`). The dashboard reads the same aggregates.

Definitions (also printed on the report's cover sheet):

- a person is *first seen* when the first version of any of their records was
  staged; *usulan baru* are the persons first seen in the month;
- *perbaikan* are the other persons with a new version of a record staged in
  the month, or who absorbed another id (a merge by linkage) in the month, and
  every person one of whose current records has a malformed NIK or KK number
  (a candidate correction: the row was staged and linked on its other fields,
  the number left out; the reason is `domain.identity`'s problem code);
- *penonaktifan* are persons that a source says are deceased (`meninggal`),
  whose new address is outside Kota Bandung (`pindah`), or whose id was
  merged into another as a duplicate (`duplikat`); the rules are data, in
  `linkage/status_rules.csv` (linkage.status);
- a household's program is *active* when it received a service of it within
  `domain.thresholds.ACTIVE_DAYS` (183) days before the last delivery seen up
  to the month's end (the graph's enrolment rule); a *coverage gap* is a
  household with an active person with a PPKS problem and no active program
  that addresses it (an enrolment recorded through the API is active from its
  start until its end) (the API's `coverageGaps` reads the same, `reports.analytics`);
- the poverty figures count the households with at least one person still
  active (not deceased, not moved out: `linkage.status`) and those persons;
  a household is *poor* when its lowest DTSEN decile is 1 to
  `domain.thresholds.POOR_DECILE_MAX` (4) or a P3KE source lists it
  (`domain.thresholds.poor_sql`, the one definition); the poverty rate is
  poor people over the population of the area (the population file, setting
  `population_file`: `domain/regions/population.csv` by default), weighed
  against the baseline (4.25%) and the target (3.14%) rates (settings
  `poverty_baseline`, `poverty_target`). The API's `povertyIndicators` and the
  dashboard read the same figures (`reports.analytics`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import duckdb

from connectors.canonical import PERSON_FIELDS
from domain import sql as identity_sql
from domain.city import CITY_NAME, CITY_NAME_UPPER
from domain.thresholds import (
    ACTIVE_DAYS,
    OFFICE_TIMEZONE,
    POOR_DECILE_MAX,
    REPORT_CUTOFF_DAY,
    REPORT_CUTOFF_MAX,
    poor_sql,
)
from journal import Journal
from linkage import (
    DTSEN_DECILE_VIEW,
    RECORD_SCORE,
    SERVICE_FUNDER,
    STATUS_RULES_SELECT,
    city_norm,
    current_status_sql,
    deceased_source,
    deceased_value,
    dtsen_decile_view,
    outside_city,
    prepare_status_rules,
    rules_select,
)
from reports import api_facts
from reports.budgets import SPENDING_SQL, in_force, stage_budgets
from reports.errors import ReportError
from reports.goals import POPULATION_TABLE, Goals, default_goals, stage_population

TREND_MONTHS: Final[int] = 24
#: the report's own rules (the P3KE sources); a person's status rules are
#: linkage's (linkage/status_rules.csv)
REPORT_RULES_FILE: Final[Path] = Path(__file__).resolve().parent / "rules.csv"

#: What the report reads from ingest (staging) and from linkage's output; see README
#: "Monthly report to Kemensos" for the columns.
_NEEDS: Final[tuple[str, ...]] = (
    "records",
    "current_records",
    "current_services",
    "sources",  # ingest
    "linkage_records",
    "identity_map",
    "identity_retired",
    "identity_events",  # linkage
)


@dataclass(frozen=True)
class Period:
    """One report month, [start, end): from the day after the previous month's
    cut-off day up to and including this month's (`domain.thresholds.
    REPORT_CUTOFF_DAY`, the setting `report_cutoff_day`). With the 17th,
    2026-11 runs from 18 October to 17 November. `month` is its first day."""

    start: dt.date
    end: dt.date
    month: dt.date
    cutoff_day: int = REPORT_CUTOFF_DAY
    zone: str = OFFICE_TIMEZONE
    """The office's time zone: the days begin at 00:00 there (`report_timezone`)."""

    @property
    def starts_at(self) -> dt.datetime:
        """The first instant of the period: `start` at 00:00 in the office's zone."""
        return dt.datetime.combine(self.start, dt.time(), ZoneInfo(self.zone))

    @property
    def ends_at(self) -> dt.datetime:
        """The first instant after the period: `end` at 00:00 in the office's zone."""
        return dt.datetime.combine(self.end, dt.time(), ZoneInfo(self.zone))

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @classmethod
    def of_month(
        cls, month: dt.date, cutoff_day: int = REPORT_CUTOFF_DAY, zone: str = OFFICE_TIMEZONE
    ) -> Period:
        if not 1 <= cutoff_day <= REPORT_CUTOFF_MAX:
            raise ReportError(
                f"the report's cut-off day is 1 to {REPORT_CUTOFF_MAX}, not {cutoff_day}."
            )
        first = month.replace(day=1)
        before = (first - dt.timedelta(days=1)).replace(day=1)
        return cls(
            before.replace(day=cutoff_day) + dt.timedelta(days=1),
            first.replace(day=cutoff_day) + dt.timedelta(days=1),
            first,
            cutoff_day,
            zone,
        )

    @classmethod
    def parse(
        cls, text: str, cutoff_day: int = REPORT_CUTOFF_DAY, zone: str = OFFICE_TIMEZONE
    ) -> Period:
        try:
            month = dt.datetime.strptime(text.strip(), "%Y-%m").date()
        except ValueError:
            raise ReportError(
                f"--month {text!r}: write the month as YYYY-MM, e.g. 2026-11."
            ) from None
        return cls.of_month(month, cutoff_day, zone)

    @classmethod
    def containing(
        cls, day: dt.date, cutoff_day: int = REPORT_CUTOFF_DAY, zone: str = OFFICE_TIMEZONE
    ) -> Period:
        """The report month a day belongs to (after the cut-off: the next one)."""
        month = day.replace(day=1)
        if day.day > cutoff_day:
            month = (month + dt.timedelta(days=31)).replace(day=1)
        return cls.of_month(month, cutoff_day, zone)

    @classmethod
    def current(
        cls,
        cutoff_day: int = REPORT_CUTOFF_DAY,
        zone: str = OFFICE_TIMEZONE,
        now: dt.datetime | None = None,
    ) -> Period:
        """The report month of this moment, by the office's calendar (not the
        server's: a server in UTC is still on the 17th at 03:00 WIB on the 18th)."""
        at = now or dt.datetime.now(dt.UTC)
        return cls.containing(at.astimezone(ZoneInfo(zone)).date(), cutoff_day, zone)

    def params(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "month": self.month,
            "cutoff": self.cutoff_day,
        }


#: a person's best record (linkage.output): r a linkage_records row, s its source
_SCORE = RECORD_SCORE

_CHANGE_FIELDS = [f for f in PERSON_FIELDS if f != "source_record_id"]
_CHANGED_LIST = (
    "list_filter(["
    + ", ".join(f"CASE WHEN n.{f} IS DISTINCT FROM o.{f} THEN '{f}' END" for f in _CHANGE_FIELDS)
    + "], lambda x: x IS NOT NULL)"
)

#: the report month (its first day) a date or time `{}` falls in, by the cut-off day
_REPORT_MONTH: Final = (
    "(date_trunc('month', CAST({} AS DATE) - CAST($cutoff AS INTEGER)) + INTERVAL 1 MONTH)::DATE"
)


#: whether a `_rp_counted` household is *poor* (`domain.thresholds.poor_sql`)
_POOR: Final = poor_sql()


_PREPARE: Final[tuple[tuple[str, str], ...]] = (
    (
        "rules",
        f"CREATE OR REPLACE TEMP TABLE _rp_rules AS {STATUS_RULES_SELECT} "
        f"UNION ALL {rules_select(REPORT_RULES_FILE)}",
    ),
    (
        "persons",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_person AS
WITH linked AS (
    SELECT r.*, i.person_id, i.household_id, {_SCORE} AS score
    FROM linkage_records r JOIN identity_map i USING (record_key)
    LEFT JOIN sources s ON s.id = r.source)
SELECT person_id, mode(household_id) AS household_id,
       mode(nik_clean) FILTER (WHERE nik_valid AND NOT nik_is_kk) AS nik,
       mode(kk_clean) FILTER (WHERE kk_valid) AS no_kk,
       arg_max(full_name, score) AS full_name,
       mode(birth_place) AS birth_place, mode(birth_date_clean) AS birth_date,
       mode(sex_clean) AS sex, mode(relationship) AS relationship,
       arg_max(address, score + CASE WHEN address_key IS NOT NULL THEN 10 ELSE 0 END)
           AS address,
       mode(rt_clean) AS rt, mode(rw_clean) AS rw,
       mode(kelurahan_code) AS kelurahan_code, mode(kecamatan_code) AS kecamatan_code,
       min(welfare_decile) AS welfare_decile,
       list_sort(list_distinct(flatten(list(coalesce(ppks, []))))) AS ppks,
       list_sort(list_distinct(list(source))) AS sources
FROM linked GROUP BY person_id""",
    ),
    (
        "first seen",
        """
CREATE OR REPLACE TEMP TABLE _rp_first AS
SELECT i.person_id, min(r.valid_from) AS first_seen
FROM identity_map i JOIN records r USING (record_key) GROUP BY 1""",
    ),
    (
        "households",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_household AS
SELECT p.household_id,
       mode(p.no_kk) AS no_kk,
       arg_max(p.full_name, p.relationship = 'KEPALA') AS head_name,
       arg_max(p.address, p.address IS NOT NULL) AS address,
       mode(p.rt) AS rt, mode(p.rw) AS rw,
       mode(p.kelurahan_code) AS kelurahan_code, mode(p.kecamatan_code) AS kecamatan_code,
       -- a DTSEN decile file's decile first (linkage.DTSEN_DECILE_VIEW, as the graph's)
       coalesce(any_value(dt.dtsen_decile), min(p.welfare_decile)) AS welfare_decile,
       count(*) AS persons,
       bool_or(list_has_any(p.sources, (SELECT list(value) FROM _rp_rules
                                        WHERE rule = 'p3ke_source'))) AS p3ke,
       list_sort(list_distinct(flatten(list(p.ppks)))) AS ppks
FROM _rp_person p LEFT JOIN {DTSEN_DECILE_VIEW} dt USING (household_id) GROUP BY 1""",
    ),
    (
        "statuses",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_gone AS {current_status_sql()}""",
    ),
    (
        "counted households",
        """
CREATE OR REPLACE TEMP TABLE _rp_counted AS
SELECT h.household_id, h.kecamatan_code, h.kelurahan_code, h.welfare_decile, h.p3ke,
       count(*) AS people
FROM _rp_household h JOIN _rp_person p USING (household_id)
WHERE p.person_id NOT IN (SELECT person_id FROM _rp_gone)
GROUP BY ALL""",
    ),
    (
        "services",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_service AS
SELECT i.household_id, i.person_id, s.program, s.service_date, s.amount,
       coalesce({SERVICE_FUNDER}, 'TIDAK_DIKETAHUI') AS funder, s.organization
FROM current_services s JOIN identity_map i USING (record_key)
LEFT JOIN ref_program p ON p.code = s.program
WHERE s.service_date < $end
UNION ALL
SELECT s.household_id, s.person_id, s.program, s.service_date, s.amount,
       coalesce({SERVICE_FUNDER}, 'TIDAK_DIKETAHUI'), s.organization
FROM _rp_api_service s LEFT JOIN ref_program p ON p.code = s.program
WHERE s.service_date < $end""",
    ),
    (
        "requests",
        """
CREATE OR REPLACE TEMP TABLE _rp_request AS
SELECT q.*, coalesce(q.person_id, m.person_id) AS member_id,
       'permohonan ' || q.request_id || ' (' || q.organization || ', disetujui '
         || strftime(q.approved_at, '%Y-%m-%d') || ')'
         || coalesce(': ' || nullif(q.changes, ''), '') || '; alasan: ' || q.reason AS detail
FROM _rp_api_request q
LEFT JOIN _rp_person m ON q.person_id IS NULL AND m.household_id = q.household_id""",
    ),
    (
        "coverage gaps",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_gap AS
WITH anchor AS (SELECT least(max(service_date), $end - INTERVAL 1 DAY)::DATE AS d
                FROM _rp_service),
active AS (
    SELECT DISTINCT household_id, program FROM _rp_service, anchor
    WHERE service_date >= anchor.d - INTERVAL {ACTIVE_DAYS} DAY
    UNION
    SELECT household_id, program FROM _rp_api_enrolment, anchor
    WHERE since < $end AND coalesce(until >= anchor.d, true)),
need AS (SELECT DISTINCT household_id, unnest(ppks) AS ppks FROM _rp_person
         WHERE person_id NOT IN (SELECT person_id FROM _rp_gone)),
met AS (
    SELECT DISTINCT n.household_id, n.ppks FROM need n
    JOIN ref_program_ppks pp ON pp.ppks_code = n.ppks
    JOIN active a ON a.household_id = n.household_id AND a.program = pp.program_code)
SELECT n.household_id, n.ppks, m.household_id IS NOT NULL AS covered
FROM need n LEFT JOIN met m USING (household_id, ppks)""",
    ),
    (
        "changes",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_change AS
SELECT n.record_key, n.source, n.version, n.valid_from, i.person_id,
       {_CHANGED_LIST} AS changed_fields,
       {city_norm("n.city")} AS city_norm,
       {city_norm("o.city")} AS old_city_norm,
       upper(trim(n.relationship)) AS relationship_norm,
       lr.kelurahan_code, o.kelurahan AS old_kelurahan, n.kelurahan AS new_kelurahan
FROM records n
JOIN records o ON o.record_key = n.record_key AND o.version = n.version - 1
LEFT JOIN identity_map i ON i.record_key = n.record_key
LEFT JOIN linkage_records lr ON lr.record_key = n.record_key
WHERE n.status = 'active' AND n.valid_from >= $start AND n.valid_from < $end""",
    ),
    (
        "id corrections",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_id_fix AS
SELECT i.person_id, f.kind,
       r.source || ': ' || f.label || ' ' || f.raw || ' (' || coalesce(f.problem, '?') || ')'
           AS detail
FROM current_records r JOIN identity_map i USING (record_key),
LATERAL (
    SELECT 'perbaikan NIK' AS kind, 'NIK' AS label, r.nik AS raw,
           {identity_sql.nik_problem(identity_sql.id_digits("r.nik"))} AS problem
    WHERE list_contains(r.flags, 'nik_invalid_structure')
    UNION ALL
    SELECT 'perbaikan No KK', 'No KK', r.no_kk,
           {identity_sql.kk_problem(identity_sql.id_digits("r.no_kk"))}
    WHERE list_contains(r.flags, 'kk_invalid_structure')) f""",
    ),
    (
        "deactivations",
        f"""
CREATE OR REPLACE TEMP TABLE _rp_deactivation AS
WITH deceased_value AS (
    SELECT c.person_id, 'meninggal' AS reason,
           'sumber ' || c.source || ' mencatat ' || c.relationship_norm AS detail, 1 AS rank
    FROM _rp_change c
    WHERE c.person_id IS NOT NULL AND {deceased_value("c.relationship_norm", "_rp_rules")}),
first_deceased AS (
    SELECT i.person_id, 'meninggal' AS reason,
           'sumber ' || r.source || ' mencatat ' || upper(trim(r.relationship)) AS detail,
           1 AS rank
    FROM records r JOIN identity_map i USING (record_key)
    WHERE r.version = 1 AND r.status = 'active'
      AND {deceased_value("r.relationship", "_rp_rules")}
      AND r.valid_from >= $start AND r.valid_from < $end),
withdrawn AS (
    SELECT coalesce(i.person_id, x.person_id, pn.person_id) AS person_id,
           'meninggal' AS reason,
           'baris dihapus oleh ' || w.source || ' (' || w.record_key || ')' AS detail, 1 AS rank
    FROM records w
    LEFT JOIN identity_map i ON i.record_key = w.record_key
    LEFT JOIN identity_retired x ON x.record_key = w.record_key
    LEFT JOIN _rp_person pn ON pn.nik = regexp_replace(w.nik, '[^0-9]', '', 'g')
    WHERE w.status = 'withdrawn' AND w.valid_from >= $start AND w.valid_from < $end
      AND {deceased_source("w.source", "_rp_rules")}),
moved AS (
    SELECT c.person_id, 'pindah' AS reason,
           'alamat baru di luar {CITY_NAME}: '
             || coalesce(c.city_norm, '') || ' ' || coalesce(c.new_kelurahan, '') AS detail,
           2 AS rank
    FROM _rp_change c
    WHERE c.person_id IS NOT NULL AND (
        ({outside_city("c.city_norm", "_rp_rules")}
         AND coalesce(c.old_city_norm, '') IS DISTINCT FROM c.city_norm)
        OR (c.kelurahan_code IS NULL AND nullif(trim(c.new_kelurahan), '') IS NOT NULL
            AND upper(trim(c.old_kelurahan)) IN (SELECT upper(name) FROM ref_kelurahan)))),
merged AS (
    SELECT unnest(list_filter(e.ids, lambda x: x <> e.survivor_id)) AS person_id,
           'duplikat' AS reason,
           'digabung ke ' || e.survivor_id || ' oleh linkage (' || e.reason || ')' AS detail,
           3 AS rank, e.survivor_id
    FROM identity_events e
    WHERE e.kind = 'merge' AND e.entity = 'person' AND e."at" >= $start AND e."at" < $end),
requested AS (
    SELECT member_id AS person_id, 'permohonan' AS reason, detail, 0 AS rank
    FROM _rp_request WHERE kind = 'penonaktifan'),
alive AS (
    SELECT *, NULL::VARCHAR AS survivor_id FROM requested
    UNION ALL SELECT *, NULL FROM deceased_value
    UNION ALL SELECT *, NULL FROM first_deceased
    UNION ALL SELECT *, NULL FROM withdrawn
    UNION ALL SELECT *, NULL FROM moved)
SELECT * FROM (
    SELECT DISTINCT ON (person_id) person_id, reason, detail, survivor_id
    FROM alive WHERE person_id IS NOT NULL ORDER BY person_id, rank, detail)
UNION ALL
SELECT person_id, reason, detail, survivor_id FROM merged""",
    ),
)

#: each preparation step's statement, by name (`prepare` runs them in order)
PREPARE_SQL: Final[dict[str, str]] = dict(_PREPARE)

#: The per-person columns, in a DTKS/SIKS-NG-like layout.
PERSON_COLUMNS: Final[tuple[str, ...]] = (
    "ID_INDIVIDU",
    "ID_KELUARGA",
    "NIK",
    "NO_KK",
    "NAMA",
    "TEMPAT_LAHIR",
    "TGL_LAHIR",
    "JENIS_KELAMIN",
    "HUB_KELUARGA",
    "ALAMAT",
    "RT",
    "RW",
    "KELURAHAN",
    "KECAMATAN",
    "KAB_KOTA",
    "DESIL",
    "PPKS",
    "SUMBER",
)

_PERSON_SELECT = f"""
    p.person_id, p.household_id, p.nik, p.no_kk, p.full_name, p.birth_place, p.birth_date,
    p.sex, p.relationship, p.address, p.rt, p.rw, kel.name, kec.name, '{CITY_NAME_UPPER}',
    p.welfare_decile, array_to_string(p.ppks, ', '), array_to_string(p.sources, ', ')"""

#: the same columns for the person a change request names (maybe not staged yet)
_REQUEST_PERSON_SELECT = _PERSON_SELECT.replace(
    "p.person_id, p.household_id",
    "coalesce(p.person_id, q.member_id), coalesce(p.household_id, q.household_id)",
)

_PERSON_JOINS = """
    LEFT JOIN ref_kelurahan kel ON kel.code = p.kelurahan_code
    LEFT JOIN ref_kecamatan kec ON kec.code = p.kecamatan_code"""


#: services, households served and amount in the month, then cumulative (`_rp_service s`)
_SERVED: Final = """
    count(*) FILTER (WHERE s.service_date >= $start),
    count(DISTINCT s.household_id) FILTER (WHERE s.service_date >= $start),
    coalesce(sum(s.amount) FILTER (WHERE s.service_date >= $start), 0),
    count(*), count(DISTINCT s.household_id), coalesce(sum(s.amount), 0)"""


@dataclass(frozen=True)
class SheetSpec:
    name: str  # the sheet's name in the workbook (31 characters at most)
    title: str
    columns: tuple[str, ...]
    sql: str


SHEETS: Final[tuple[SheetSpec, ...]] = (
    SheetSpec(
        "Usulan Baru",
        "Usulan baru: orang yang pertama tercatat bulan ini, dan usulan yang disetujui bulan ini",
        (*PERSON_COLUMNS, "PERTAMA_TERCATAT", "KETERANGAN"),
        f"""SELECT {_PERSON_SELECT}, f.first_seen, 'pertama tercatat di sumber'
            FROM _rp_person p JOIN _rp_first f USING (person_id) {_PERSON_JOINS}
            WHERE f.first_seen >= $start AND f.first_seen < $end
              AND p.person_id NOT IN (SELECT person_id FROM _rp_deactivation)
              AND p.person_id NOT IN (SELECT member_id FROM _rp_request
                                      WHERE kind = 'usulan' AND member_id IS NOT NULL)
            UNION ALL
            SELECT {_REQUEST_PERSON_SELECT}, f.first_seen, q.detail
            FROM _rp_request q LEFT JOIN _rp_person p ON p.person_id = q.member_id
            LEFT JOIN _rp_first f ON f.person_id = q.member_id {_PERSON_JOINS}
            WHERE q.kind = 'usulan'
            ORDER BY 1 NULLS LAST, 20""",
    ),
    SheetSpec(
        "Perbaikan",
        "Perbaikan: data yang berubah bulan ini (versi baru, ID digabung), NIK/KK yang "
        "harus diperbaiki, dan permohonan perbaikan yang disetujui bulan ini",
        (*PERSON_COLUMNS, "JENIS_PERBAIKAN", "KETERANGAN"),
        f"""WITH why AS (
                SELECT person_id, 'perubahan data' AS kind,
                       string_agg(source || ': ' || array_to_string(changed_fields, ', '), '; '
                                  ORDER BY source, record_key) AS detail, false AS fix
                FROM _rp_change WHERE person_id IS NOT NULL GROUP BY 1
                UNION ALL
                SELECT survivor_id, 'penggabungan ID',
                       string_agg(array_to_string(
                           list_filter(ids, lambda x: x <> survivor_id), ', '),
                           ', ' ORDER BY event_id), false
                FROM identity_events
                WHERE kind = 'merge' AND entity = 'person' AND "at" >= $start AND "at" < $end
                GROUP BY 1
                UNION ALL
                SELECT person_id, kind, string_agg(detail, '; ' ORDER BY detail), true
                FROM _rp_id_fix GROUP BY ALL
                UNION ALL
                SELECT member_id, 'permohonan perbaikan',
                       string_agg(detail, '; ' ORDER BY request_id), true
                FROM _rp_request WHERE kind = 'perbaikan' AND member_id IS NOT NULL
                GROUP BY 1),
            one AS (SELECT person_id, string_agg(kind, ', ' ORDER BY kind) AS kind,
                           string_agg(detail, ' | ' ORDER BY kind) AS detail, bool_or(fix) AS fix
                    FROM why GROUP BY 1)
            SELECT {_PERSON_SELECT}, one.kind, one.detail
            FROM _rp_person p JOIN one USING (person_id) JOIN _rp_first f USING (person_id)
            {_PERSON_JOINS}
            WHERE (one.fix OR NOT (f.first_seen >= $start AND f.first_seen < $end))
              AND p.person_id NOT IN (SELECT person_id FROM _rp_deactivation)
            ORDER BY p.person_id""",
    ),
    SheetSpec(
        "Penonaktifan",
        "Penonaktifan: meninggal, pindah, duplikat, atau atas permohonan yang "
        "disetujui bulan ini (dengan alasan)",
        (*PERSON_COLUMNS, "ALASAN", "KETERANGAN", "ID_PENGGANTI"),
        f"""SELECT d.person_id, p.household_id, p.nik, p.no_kk, p.full_name, p.birth_place,
                   p.birth_date, p.sex, p.relationship, p.address, p.rt, p.rw, kel.name,
                   kec.name, '{CITY_NAME_UPPER}', p.welfare_decile, array_to_string(p.ppks, ', '),
                   array_to_string(p.sources, ', '), d.reason, d.detail, d.survivor_id
            FROM _rp_deactivation d
            LEFT JOIN _rp_person p ON p.person_id = coalesce(d.survivor_id, d.person_id)
            {_PERSON_JOINS}
            ORDER BY d.reason, d.person_id""",
    ),
    SheetSpec(
        "Rekap Wilayah PPKS Desil",
        "Keluarga dan orang per kecamatan, kelurahan, PPKS dan desil",
        (
            "KODE_KECAMATAN",
            "KECAMATAN",
            "KODE_KELURAHAN",
            "KELURAHAN",
            "PPKS",
            "NAMA_PPKS",
            "DESIL",
            "KELUARGA",
            "ORANG",
        ),
        """WITH cells AS (
                SELECT h.kecamatan_code, h.kelurahan_code, unnest(p.ppks) AS ppks,
                       h.welfare_decile, p.household_id, p.person_id
                FROM _rp_person p JOIN _rp_household h USING (household_id))
            SELECT c.kecamatan_code, kec.name, c.kelurahan_code, kel.name, c.ppks, pp.name,
                   c.welfare_decile,
                   count(DISTINCT c.household_id), count(DISTINCT c.person_id)
            FROM cells c
            LEFT JOIN ref_kecamatan kec ON kec.code = c.kecamatan_code
            LEFT JOIN ref_kelurahan kel ON kel.code = c.kelurahan_code
            LEFT JOIN ref_ppks pp ON pp.code = c.ppks
            GROUP BY ALL ORDER BY 1 NULLS LAST, 3 NULLS LAST, 5, 7 NULLS LAST""",
    ),
    SheetSpec(
        "Layanan per Program",
        "Layanan per program: bulan ini dan kumulatif s.d. bulan ini",
        (
            "PROGRAM",
            "NAMA_PROGRAM",
            "PENYANDANG_DANA",
            "LAYANAN_BULAN_INI",
            "KELUARGA_BULAN_INI",
            "NILAI_BULAN_INI",
            "LAYANAN_KUMULATIF",
            "KELUARGA_KUMULATIF",
            "NILAI_KUMULATIF",
        ),
        f"""SELECT s.program, rp.name, rp.funder_type, {_SERVED}
           FROM _rp_service s LEFT JOIN ref_program rp ON rp.code = s.program
           GROUP BY ALL ORDER BY s.program""",
    ),
    SheetSpec(
        "Layanan per Penyandang Dana",
        "Layanan per penyandang dana: bulan ini dan kumulatif s.d. bulan ini",
        (
            "PENYANDANG_DANA",
            "NAMA",
            "LAYANAN_BULAN_INI",
            "KELUARGA_BULAN_INI",
            "NILAI_BULAN_INI",
            "LAYANAN_KUMULATIF",
            "KELUARGA_KUMULATIF",
            "NILAI_KUMULATIF",
            "PANGSA_NILAI",
        ),
        f"""SELECT s.funder, coalesce(f.name, s.funder), {_SERVED},
                  round(coalesce(sum(s.amount), 0)
                        / nullif(sum(sum(s.amount)) OVER (), 0), 4)::DOUBLE
           FROM _rp_service s LEFT JOIN ref_funder_type f ON f.code = s.funder
           GROUP BY ALL ORDER BY s.funder""",
    ),
    SheetSpec(
        "Celah Cakupan",
        "Keluarga dengan masalah PPKS tanpa program aktif yang menanganinya",
        (
            "ID_KELUARGA",
            "NO_KK",
            "KEPALA_KELUARGA",
            "ALAMAT",
            "RT",
            "RW",
            "KELURAHAN",
            "KECAMATAN",
            "DESIL",
            "PPKS_TANPA_PROGRAM",
        ),
        """SELECT h.household_id, h.no_kk, h.head_name, h.address, h.rt, h.rw, kel.name,
                  kec.name, h.welfare_decile, string_agg(g.ppks, ', ' ORDER BY g.ppks)
           FROM _rp_gap g JOIN _rp_household h USING (household_id)
           LEFT JOIN ref_kelurahan kel ON kel.code = h.kelurahan_code
           LEFT JOIN ref_kecamatan kec ON kec.code = h.kecamatan_code
           WHERE NOT g.covered GROUP BY ALL ORDER BY h.household_id""",
    ),
    SheetSpec(
        "Cakupan per Kecamatan",
        "Keluarga dengan masalah PPKS yang tertangani program aktif, per kecamatan",
        (
            "KODE_KECAMATAN",
            "KECAMATAN",
            "KELUARGA_BERMASALAH",
            "KELUARGA_TERLAYANI",
            "KELUARGA_CELAH",
            "CAKUPAN",
        ),
        """WITH hh AS (SELECT household_id, bool_and(covered) AS covered FROM _rp_gap
                       GROUP BY 1)
           SELECT kec.code, kec.name, count(hh.household_id),
                  count(hh.household_id) FILTER (WHERE hh.covered),
                  count(hh.household_id) FILTER (WHERE NOT hh.covered),
                  coalesce(round(count(hh.household_id) FILTER (WHERE hh.covered)
                                 / nullif(count(hh.household_id), 0), 4), 0)::DOUBLE
           FROM ref_kecamatan kec
           LEFT JOIN _rp_household h ON h.kecamatan_code = kec.code
           LEFT JOIN hh USING (household_id)
           GROUP BY ALL ORDER BY kec.code""",
    ),
    SheetSpec(
        "Target Kemiskinan",
        f"Tingkat kemiskinan per kecamatan: orang miskin (desil 1-{POOR_DECILE_MAX} atau P3KE) "
        "/ penduduk",
        (
            "KODE_KECAMATAN",
            "KECAMATAN",
            "KELUARGA_TERDAFTAR",
            "ORANG_TERDAFTAR",
            "KELUARGA_MISKIN",
            "ORANG_MISKIN",
            "PENDUDUK",
            "TINGKAT_KEMISKINAN",
        ),
        f"""WITH per AS (
                SELECT coalesce(kecamatan_code, '-') AS code, count(*) AS households,
                       sum(people) AS people, count(*) FILTER (WHERE {_POOR}) AS poor_households,
                       coalesce(sum(people) FILTER (WHERE {_POOR}), 0) AS poor_people
                FROM _rp_counted GROUP BY 1),
            areas AS (
                SELECT coalesce(kec.code, per.code) AS code,
                       coalesce(kec.name, 'tidak diketahui') AS name,
                       coalesce(per.households, 0) AS households,
                       coalesce(per.people, 0) AS people,
                       coalesce(per.poor_households, 0) AS poor_households,
                       coalesce(per.poor_people, 0) AS poor_people, pop.population
                FROM ref_kecamatan kec FULL JOIN per ON per.code = kec.code
                LEFT JOIN {POPULATION_TABLE} pop
                       ON pop.level = 'KECAMATAN' AND pop.code = kec.code),
            city AS (
                SELECT 'KOTA', '{CITY_NAME_UPPER}', sum(households), sum(people),
                       sum(poor_households), sum(poor_people), sum(population)
                FROM areas)
            SELECT *, round(poor_people / nullif(population, 0), 6)::DOUBLE FROM (
                SELECT code, name, households, people::BIGINT AS people, poor_households,
                       poor_people::BIGINT AS poor_people, population FROM areas
                UNION ALL SELECT * FROM city)
            ORDER BY code = 'KOTA', code = '-', code""",
    ),
    SheetSpec(
        "Anggaran",
        "Anggaran per penyandang dana, program dan tahun (tahun laporan): kuota, "
        "realisasi dari layanan tercatat",
        (
            "PENYANDANG_DANA",
            "PROGRAM",
            "TAHUN",
            "KUOTA_KELUARGA",
            "ANGGARAN",
            "REALISASI",
            "KELUARGA_TERLAYANI",
        ),
        SPENDING_SQL.replace("$year::INTEGER", "year($month)::INTEGER").replace(
            "$year", "year($month)"
        ),
    ),
    SheetSpec(
        "Layanan Satu Pintu",
        "Layanan satu pintu: permohonan yang terdaftar dan pengaduan yang masuk bulan ini, "
        "per kebutuhan, kecamatan, status dan jenis; median hari; bagian selesai dalam SLA",
        ("BAGIAN", "KUNCI", "NILAI"),
        """SELECT d.section, CASE WHEN d.section = 'Permohonan per kecamatan'
                   THEN coalesce(k.name || ' (' || d.key || ')', d.key) ELSE d.key END, d.value
            FROM _rp_api_desk d LEFT JOIN ref_kecamatan k ON k.code = d.key
            ORDER BY d.ord""",
    ),
    SheetSpec(
        "Tren Bulanan",
        "Tren bulan ke bulan: orang baru, layanan, keluarga terlayani, nilai",
        ("BULAN", "ORANG_BARU", "LAYANAN", "KELUARGA_TERLAYANI", "NILAI"),
        f"""WITH months AS (
                SELECT generate_series::DATE AS m FROM generate_series(
                    ($month - INTERVAL {TREND_MONTHS - 1} MONTH)::DATE, $month, INTERVAL 1 MONTH)),
            fresh AS (SELECT {_REPORT_MONTH.format("first_seen")} AS m, count(*) AS n
                      FROM _rp_first GROUP BY 1),
            served AS (SELECT {_REPORT_MONTH.format("service_date")} AS m, count(*) AS n,
                              count(DISTINCT household_id) AS h,
                              coalesce(sum(amount), 0) AS amount
                       FROM _rp_service GROUP BY 1)
            SELECT strftime(months.m, '%Y-%m'), coalesce(fresh.n, 0), coalesce(served.n, 0),
                   coalesce(served.h, 0), coalesce(served.amount, 0)
            FROM months LEFT JOIN fresh USING (m) LEFT JOIN served USING (m)
            ORDER BY months.m""",
    ),
)

SHEET_BY_NAME: Final[dict[str, SheetSpec]] = {s.name: s for s in SHEETS}


def require_linked(con: duckdb.DuckDBPyConnection) -> None:
    present = {
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
        ).fetchall()
    }
    missing = [t for t in _NEEDS if t not in present]
    if missing:
        raise ReportError(
            f"no linked data for the report ({', '.join(missing)} missing): "
            "run `hub ingest` and `hub link` first."
        )


#: the first step: what was written through the API, from the journal (reports.api_facts)
JOURNAL_STEP: Final = "journal"
#: the population file's figures (reports.goals), the poverty rate's denominator
POPULATION_STEP: Final = "population"
#: the budgets file's usable rows (reports.budgets)
BUDGETS_STEP: Final = "budgets"
PREPARE_STEPS: Final[tuple[str, ...]] = (
    JOURNAL_STEP,
    POPULATION_STEP,
    BUDGETS_STEP,
    *(name for name, _ in _PREPARE),
)


def prepare(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    step: str | None = None,
    journal: Journal | None = None,
    goals: Goals | None = None,
) -> None:
    """Build the `_rp_*` temp tables (all, or only `step`) for `period`, with
    what the API wrote from `journal` (None: the staged data only) and the
    population and budgets of `goals` (None: the shipped file, no budgets)."""
    require_linked(con)
    if step is None or step == JOURNAL_STEP:
        api_facts.stage(con, period.starts_at, period.ends_at, journal)
    goals = goals or default_goals()
    if step is None or step == POPULATION_STEP:
        stage_population(con, goals.population)
    if step is None or step == BUDGETS_STEP:
        stage_budgets(con, in_force(goals.budgets, journal))
    for statement in identity_sql.SETUP:  # the district list the NIK/KK problems read
        con.execute(statement)
    prepare_status_rules(con)  # the rules a person's status (deceased, moved) is read by
    dtsen_decile_view(con)  # the decile files' deciles, which households take first
    for name, sql in _PREPARE:
        if step is None or step == name:
            con.execute(sql, _used(sql, period.params()))


def sheet_rows(
    con: duckdb.DuckDBPyConnection, spec: SheetSpec, period: Period
) -> list[tuple[Any, ...]]:
    return con.execute(spec.sql, _used(spec.sql, period.params())).fetchall()


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """DuckDB refuses named parameters a statement does not use."""
    return {k: v for k, v in params.items() if f"${k}" in sql}
