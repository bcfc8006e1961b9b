"""SQL that maps raw source columns to canonical fields and validates them.

Everything here builds set-based DuckDB SQL over the whole batch; no Python
runs per row. The pieces are:

- `clean`: trim, and read placeholders such as '' or '-' as missing;
- value maps from the source TOML, case-insensitive;
- parsing: NIK/KK digits, dates in the configured formats, sex, PPKS lists,
  welfare decile (DTSEN desil), amounts written the Indonesian way (Rp 150.000,-);
  the NIK/KK and sex rules are `domain.sql`'s, shared with linkage and the API;
- `REASONS`: why a row is quarantined, first match wins: only for a row that
  identifies nobody or cannot be staged;
- `FLAGS`: suspicious or bad values, kept on the record. A malformed NIK or KK is
  a bad field, not a bad row: the row is staged with the value as written and
  the flag `nik_invalid_structure` / `kk_invalid_structure`; linkage leaves the
  value out of its comparisons, and the monthly report lists it for correction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from connectors.base import literal, quote
from connectors.canonical import PERSON_FIELDS, SERVICE_FIELDS
from connectors.config import SourceConfig
from domain import sql as rules
from domain.city import CITY_CODE
from domain.formula import formula_like_sql
from domain.identity import FEMALE_DAY_OFFSET
from domain.thresholds import DECILE_MAX, DECILE_MIN

#: Quarantine reasons, in the order they are checked.
REASONS: Final[tuple[str, ...]] = (
    "no_identifying_field",
    "missing_source_record_id",
    "impossible_date",
    "unknown_area",
    "invalid_amount",
    "duplicate_source_record_id",
)
#: The canonical fields each reason's check reads: a quarantined row shows their values
#: (connectors.upload), so the person fixing the sheet sees which cells to fix.
REASON_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "no_identifying_field": ("nik", "no_kk", "full_name"),
    "missing_source_record_id": ("source_record_id",),
    "impossible_date": ("birth_date", "service_date"),
    "unknown_area": ("kelurahan", "kecamatan"),
    "invalid_amount": ("amount",),
    "duplicate_source_record_id": ("source_record_id",),
}

FLAGS: Final[tuple[str, ...]] = (
    "nik_invalid_structure",
    "nik_outside_bandung",
    "nik_date_mismatch",
    "nik_sex_mismatch",
    "kk_invalid_structure",
    "sex_unrecognised",
    "decile_out_of_range",
    "area_close_match",
    "formula_like_value",
)

DEFAULT_DATE_FORMATS: Final[tuple[str, ...]] = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")
_PLACEHOLDERS = ("", "-", "--", "NULL", "null", "N/A", "n/a", "#N/A", "NaN", "nan", "None")
_LONGEST_PLACEHOLDER = max(map(len, _PLACEHOLDERS))


def clean(expr: str) -> str:
    """Trimmed text, NULL for placeholders; cheap tests first, since this runs on every cell.

    Most cells need neither trimming nor a look-up (every placeholder is short), so the
    first branch returns them as they are without calling `trim`.
    """
    missing = ", ".join(map(literal, _PLACEHOLDERS))
    return (
        f"CASE WHEN NOT ({expr} LIKE ' %' OR {expr} LIKE '% '"
        f" OR (strlen({expr}) <= {_LONGEST_PLACEHOLDER} AND {expr} IN ({missing}))) THEN {expr}"
        f" WHEN trim({expr}) IN ({missing}) THEN NULL ELSE trim({expr}) END"
    )


def value_map(expr: str, mapping: Mapping[str, str]) -> str:
    if not mapping:
        return expr
    whens = " ".join(f"WHEN {literal(k.upper())} THEN {literal(v)}" for k, v in mapping.items())
    return f"coalesce(CASE upper({expr}) {whens} END, {expr})"


#: Indonesian month names (and short forms) that differ from the English ones strptime knows.
_MONTHS_ID: Final[tuple[tuple[str, str], ...]] = (
    ("januari", "January"), ("februari", "February"), ("pebruari", "February"),
    ("maret", "March"), ("mei", "May"), ("juni", "June"), ("juli", "July"),
    ("agustus", "August"), ("oktober", "October"), ("nopember", "November"),
    ("desember", "December"), ("agu", "Aug"), ("agt", "Aug"), ("ags", "Aug"),
    ("okt", "Oct"), ("des", "Dec"),
)  # fmt: skip


def english_months(expr: str) -> str:
    for indonesian, english in _MONTHS_ID:
        expr = f"regexp_replace({expr}, '\\b{indonesian}\\b', '{english}', 'gi')"
    return expr


def parse_date(expr: str, formats: tuple[str, ...]) -> str:
    """First configured format that parses; two-digit years never land in the future.

    Formats with %B or %b read Indonesian month names too ("12 Maret 2025").
    """
    tried = list(dict.fromkeys([*formats, *DEFAULT_DATE_FORMATS]))
    parts = []
    for fmt in tried:
        text = english_months(expr) if "%B" in fmt or "%b" in fmt else expr
        one = f"try_strptime({text}, {literal(fmt)})::DATE"
        if "%y" in fmt:
            earlier = f"({one} - INTERVAL 100 YEAR)::DATE"
            one = f"(CASE WHEN {one} > current_date THEN {earlier} ELSE {one} END)"
        parts.append(one)
    return f"coalesce({', '.join(parts)})"


#: The NIK `PPKKCC DDMMYY NNNN` as integers: name -> divisor and modulus (0: none).
_NIK_PARTS: Final[dict[str, tuple[int, int]]] = {
    "nik_region": (1000000000000, 0),  # PPKK
    "nik_kecamatan": (10000000000, 100),  # CC
    "nik_day": (100000000, 100),  # DD, +40 for women
    "nik_month": (1000000, 100),
    "nik_yy": (10000, 100),
}


def nik_parts(d: str | None) -> list[str]:
    """The parts of the NIK in `d` (all NULL for None): integer arithmetic is much cheaper
    than string slicing at CSV scale. They mean something only where `nik_ok` holds."""
    num = f"try_cast({d} AS BIGINT)"
    return [
        "NULL::BIGINT AS " + name
        if d is None
        else f"({num} // {div}){f' % {mod}' if mod else ''} AS {name}"
        for name, (div, mod) in _NIK_PARTS.items()
    ]


def parse_amount(expr: str) -> str:
    a = f"regexp_replace(regexp_replace(upper({expr}), '(RP\\.?|IDR|\\s)', '', 'g'), ',-$', '')"
    return (
        f"(CASE WHEN regexp_full_match({a}, '[0-9]{{1,3}}(\\.[0-9]{{3}})+(,[0-9]+)?')"
        f" THEN try_cast(replace(replace({a}, '.', ''), ',', '.') AS DECIMAL(14,2))"
        f" WHEN regexp_full_match({a}, '[0-9]{{1,3}}(,[0-9]{{3}})+(\\.[0-9]+)?')"
        f" THEN try_cast(replace({a}, ',', '') AS DECIMAL(14,2))"
        f" WHEN regexp_full_match({a}, '[0-9]+,[0-9]{{1,2}}')"
        f" THEN try_cast(replace({a}, ',', '.') AS DECIMAL(14,2))"
        f" ELSE try_cast({a} AS DECIMAL(14,2)) END)"
    )


def norm_area(expr: str) -> str:
    """An area name reduced for matching: no 'Kel.'/'Kec.' prefix, letters and digits only."""
    return (
        f"regexp_replace(regexp_replace(upper({expr}),"
        " '^(KELURAHAN|KEL|KECAMATAN|KEC|DESA|DS)[.\\s]+', ''), '[^A-Z0-9]', '', 'g')"
    )


class BatchSql:
    """The SQL for one source: raw columns in `incoming`, canonical fields out."""

    def __init__(
        self,
        config: SourceConfig,
        resolved: Mapping[str, str],
        row_expr: str,
        area_tables: Mapping[str, str],
    ) -> None:
        self.config = config
        self.row_expr = row_expr
        #: canonical field -> actual source column
        self.source_column = {fld: resolved[col] for col, fld in config.columns.items()}
        self.service_column = {fld: resolved[col] for fld, col in config.services.items()}
        self.area_tables = area_tables

    # -- stage 1: raw text per field, value maps applied ---------------------------------
    def text_columns(self) -> list[str]:
        out = [f"{self.row_expr} AS row_number"]
        for fld in PERSON_FIELDS:
            col = self.source_column.get(fld)
            if col is None:
                out.append(f"NULL::VARCHAR AS r_{fld}")
            elif fld == "ppks":
                out.append(f"{clean('s.' + quote(col))} AS r_{fld}")
            else:
                vmap = self.config.values.get(fld, {})
                out.append(f"{value_map(clean('s.' + quote(col)), vmap)} AS r_{fld}")
        for fld in ("program", "service_date", "amount", "funder"):
            col = self.service_column.get(fld)
            if col is None:
                out.append(f"NULL::VARCHAR AS r_{fld}")
            else:
                vmap = self.config.values.get(fld, {})
                out.append(f"{value_map(clean('s.' + quote(col)), vmap)} AS r_{fld}")
        return out

    # -- stage 2: typed canonical values ---------------------------------------------------
    def typed_columns(self) -> list[str]:
        formats = self.config.date_formats
        ppks_map = self.config.values.get("ppks", {})
        sid = (
            "r_source_record_id"
            if "source_record_id" in self.source_column
            else "row_number::VARCHAR"
        )
        ppks_item = value_map("trim(x)", ppks_map)
        cols = {
            "source_record_id": sid,
            "nik": "CASE WHEN nik_valid THEN nik_digits ELSE r_nik END",
            "no_kk": "CASE WHEN kk_valid THEN kk_digits ELSE r_no_kk END",
            "birth_date": parse_date("r_birth_date", formats),
            "sex": rules.sex_code("r_sex"),
            "ppks": "list_filter(list_transform(string_split_regex(r_ppks, '\\s*[,;|]\\s*'),"
            f" lambda x: nullif({ppks_item}, '')), lambda x: x IS NOT NULL)",
            "welfare_decile": "CASE WHEN try_cast(r_welfare_decile AS INTEGER)"
            f" BETWEEN {DECILE_MIN} AND {DECILE_MAX}"
            " THEN try_cast(r_welfare_decile AS INTEGER) END",
        }
        services = {
            "program": "r_program",
            "service_date": parse_date("r_service_date", formats),
            "amount": parse_amount("r_amount"),
            "funder": "r_funder",
        }
        # An unmapped field is a typed NULL: its parsing would only make the plan bigger,
        # and planning is most of the time of a small source.
        out = [
            f"{cols.get(fld, 'r_' + fld) if self.mapped(fld) else f'NULL::{type_}'} AS {fld}"
            for fld, type_ in PERSON_FIELDS.items()
        ]
        out += [
            f"{expr if self.mapped(fld) else f'NULL::{SERVICE_FIELDS[fld]}'} AS {fld}"
            for fld, expr in services.items()
        ]
        return out

    def mapped(self, fld: str) -> bool:
        """Whether some column feeds `fld` (source_record_id falls back to row numbers)."""
        return fld == "source_record_id" or fld in self.source_column or fld in self.service_column

    def helper_columns(self) -> list[str]:
        return [
            f"{rules.id_digits('r_nik') if self.mapped('nik') else 'NULL::VARCHAR'} AS nik_digits",
            f"{rules.id_digits('r_no_kk') if self.mapped('no_kk') else 'NULL::VARCHAR'}"
            " AS kk_digits",
        ]

    def part_columns(self) -> list[str]:
        return nik_parts("nik_digits" if self.mapped("nik") else None)

    def validity_columns(self) -> list[str]:
        nik = rules.nik_valid("nik_digits") if self.mapped("nik") else "false"
        kk = rules.kk_valid("kk_digits") if self.mapped("no_kk") else "false"
        return [f"{nik} AS nik_valid", f"{kk} AS kk_valid"]

    # -- stage 3: quarantine reason (first that applies) and flags ---------------------------
    def reason_checks(self) -> list[tuple[str, str, str]]:
        """(reason, condition, detail SQL) per check, in priority order.

        A check of a field no column feeds could never hold, so it is left out.
        """
        src = self.source_column
        svc = self.service_column

        def col(fld: str) -> str:
            return literal(src.get(fld) or svc.get(fld) or fld)

        bad_date = (
            "(birth_date IS NULL OR birth_date > current_date OR birth_date < DATE '1900-01-01')"
        )
        formats = ", ".join(self._formats())
        #: (the raw field the check reads, reason, condition, detail)
        checks = [
            (
                None,
                "no_identifying_field",
                "NOT nik_valid AND NOT kk_valid AND r_full_name IS NULL",
                "'none of nik, no_kk, full_name holds a usable value (columns ' || "
                + literal(", ".join(src.get(f, "-") for f in ("nik", "no_kk", "full_name")))
                + " || ')' || CASE WHEN r_nik IS NOT NULL OR r_no_kk IS NOT NULL"
                " THEN '; nik or no_kk is malformed: ' || concat_ws(', ', r_nik, r_no_kk)"
                " ELSE '' END",
            ),
            (
                "source_record_id" if "source_record_id" in src else "",
                "missing_source_record_id",
                "r_source_record_id IS NULL",
                f"'column ' || {col('source_record_id')} || ' is empty; each row needs an id'",
            ),
            (
                "birth_date",
                "impossible_date",
                f"r_birth_date IS NOT NULL AND {bad_date}",
                f"'column ' || {col('birth_date')} || ': ' || r_birth_date || CASE WHEN birth_date"
                f" IS NULL THEN ' matches none of the date formats {formats}'"
                " ELSE ' is in the future or before 1900' END",
            ),
            (
                "service_date",
                "impossible_date",
                "r_service_date IS NOT NULL"
                " AND (service_date IS NULL OR service_date < DATE '1900-01-01')",
                f"'column ' || {col('service_date')} || ': ' || r_service_date ||"
                f" ' is not a date in the formats {formats}'",
            ),
            *(
                (
                    fld,
                    "unknown_area",
                    f"r_{fld} IS NOT NULL AND {fld}_match = 'none'",
                    f"'column ' || {col(fld)} || ': ' || r_{fld} || ' matches no {fld} in {table}'",
                )
                for fld, table in self.area_tables.items()
            ),
            (
                "amount",
                "invalid_amount",
                "r_amount IS NOT NULL AND amount IS NULL",
                f"'column ' || {col('amount')} || ': ' || r_amount || ' is not an amount'",
            ),
        ]
        return [
            (reason, cond, detail)
            for needs, reason, cond, detail in checks
            if needs is None or (needs and self.mapped(needs))
        ]

    def _formats(self) -> list[str]:
        return list(dict.fromkeys([*self.config.date_formats, *DEFAULT_DATE_FORMATS]))

    def reason_column(self) -> str:
        whens = " ".join(
            f"WHEN {cond} THEN {literal(reason)}" for reason, cond, _ in self.reason_checks()
        )
        return f"CASE {whens} END AS reason"

    def detail_expr(self) -> str:
        parts = [f"CASE WHEN {cond} THEN {detail} END" for _, cond, detail in self.reason_checks()]
        return f"concat_ws('; ', {', '.join(parts)})"

    def flags_column(self) -> str:
        #: (flag, condition, the fields it reads: all must be mapped)
        checks = [
            ("nik_invalid_structure", "r_nik IS NOT NULL AND NOT nik_valid", ("nik",)),
            ("nik_outside_bandung", f"nik_valid AND nik_region <> {CITY_CODE}", ("nik",)),
            (
                "nik_date_mismatch",
                "nik_valid AND birth_date IS NOT NULL"
                f" AND (nik_day % {FEMALE_DAY_OFFSET} <> day(birth_date)"
                " OR nik_month <> month(birth_date) OR nik_yy <> year(birth_date) % 100)",
                ("nik", "birth_date"),
            ),
            (
                "nik_sex_mismatch",
                f"nik_valid AND sex IS NOT NULL AND (nik_day > {FEMALE_DAY_OFFSET}) <> (sex = 'P')",
                ("nik", "sex"),
            ),
            ("kk_invalid_structure", "r_no_kk IS NOT NULL AND NOT kk_valid", ("no_kk",)),
            ("sex_unrecognised", "r_sex IS NOT NULL AND sex IS NULL", ("sex",)),
            (
                "decile_out_of_range",
                "r_welfare_decile IS NOT NULL AND welfare_decile IS NULL",
                ("welfare_decile",),
            ),
        ]
        if self.area_tables:
            close = " OR ".join(f"{fld}_match = 'close'" for fld in self.area_tables)
            checks.append(("area_close_match", close, ()))
        # a text that a spreadsheet would run as a formula, in any mapped field: the row
        # is staged, and every report escapes it on the way out (domain.formula)
        texts = [f for f in (*PERSON_FIELDS, *SERVICE_FIELDS) if self.mapped(f)]
        if texts:
            formula = " OR ".join(formula_like_sql(f"r_{f}") for f in dict.fromkeys(texts))
            checks.append(("formula_like_value", formula, ()))
        live = [(name, c) for name, c, needs in checks if all(map(self.mapped, needs))]
        if not live:
            return "[]::VARCHAR[] AS flags"
        any_flag = " OR ".join(f"coalesce({c}, false)" for _, c in live)
        items = ", ".join(f"CASE WHEN {c} THEN '{name}' END" for name, c in live)
        return (
            f"CASE WHEN {any_flag} THEN list_filter([{items}], lambda x: x IS NOT NULL)"
            " ELSE []::VARCHAR[] END AS flags"
        )


__all__ = ["FLAGS", "REASONS", "REASON_FIELDS", "BatchSql"]
