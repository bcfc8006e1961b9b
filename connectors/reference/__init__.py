"""Reference data: the vocabulary of the hub, kept as versioned CSV files.

PPKS (Pemerlu Pelayanan Kesejahteraan Sosial, the 26 categories of people who
need social-welfare services, Permensos 8/2012), Kota Bandung's kecamatan
(districts) and kelurahan (urban villages) with their Kemendagri codes, the
regency/city codes that appear as NIK prefixes, programs with the PPKS they
address and which pairs may be combined, and funder types.

The files live next to this module; `REFERENCE_VERSION` (kept in `domain.city`)
changes whenever one of them does. Functions return plain frozen dataclasses; `load_reference`
puts every table into DuckDB as `ref_*`.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import duckdb

from domain.city import REFERENCE_VERSION
from domain.eligibility import RuleBook, load_rules
from domain.service_desk import WorkerArea

REFERENCE_DIR: Final[Path] = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Ppks:
    code: str  # PPKS01..PPKS26
    number: int
    name: str
    name_en: str
    special_category: bool  # special-category personal data under UU PDP 27/2022
    special_kind: str | None  # health, criminal, sexual, drugs, trafficking, violence


@dataclass(frozen=True)
class Kecamatan:
    code: str  # 6 digits, e.g. 327301
    name: str


@dataclass(frozen=True)
class Kelurahan:
    code: str  # 10 digits, e.g. 3273011001
    kecamatan_code: str
    name: str


@dataclass(frozen=True)
class Region:
    code: str  # 4 digits: province + regency/city, e.g. 3273
    name: str
    kind: str  # kabupaten | kota
    province: str


@dataclass(frozen=True)
class Program:
    code: str
    name: str
    funder_type: str
    benefit_kind: str  # cash, food, health, education, rehab, housing
    need: str
    description: str
    #: what serving one household costs a year (IDR): the need budgets are weighed against
    cost_per_household: int


@dataclass(frozen=True)
class ProgramPpks:
    program_code: str
    ppks_code: str


@dataclass(frozen=True)
class ProgramCombination:
    program_a: str  # program_a < program_b
    program_b: str
    allowed: bool
    reason: str


@dataclass(frozen=True)
class FunderType:
    code: str
    name: str
    public: bool  # paid from a state budget


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


@cache
def ppks() -> tuple[Ppks, ...]:
    return tuple(
        Ppks(
            r["code"],
            int(r["number"]),
            r["name"],
            r["name_en"],
            _bool(r["special_category"]),
            r["special_kind"] or None,
        )
        for r in _rows("ppks")
    )


@cache
def kecamatan() -> tuple[Kecamatan, ...]:
    return tuple(Kecamatan(r["code"], r["name"]) for r in _rows("kecamatan"))


@cache
def kelurahan() -> tuple[Kelurahan, ...]:
    return tuple(Kelurahan(r["code"], r["kecamatan_code"], r["name"]) for r in _rows("kelurahan"))


@cache
def regions() -> tuple[Region, ...]:
    return tuple(Region(r["code"], r["name"], r["kind"], r["province"]) for r in _rows("region"))


@cache
def programs() -> tuple[Program, ...]:
    return tuple(
        Program(
            r["code"],
            r["name"],
            r["funder_type"],
            r["benefit_kind"],
            r["need"],
            r["description"],
            int(r["cost_per_household"]),
        )
        for r in _rows("program")
    )


@cache
def program_ppks() -> tuple[ProgramPpks, ...]:
    return tuple(ProgramPpks(r["program_code"], r["ppks_code"]) for r in _rows("program_ppks"))


@cache
def program_combinations() -> tuple[ProgramCombination, ...]:
    return tuple(
        ProgramCombination(r["program_a"], r["program_b"], _bool(r["allowed"]), r["reason"])
        for r in _rows("program_combination")
    )


@cache
def funder_types() -> tuple[FunderType, ...]:
    return tuple(FunderType(r["code"], r["name"], _bool(r["public"])) for r in _rows("funder_type"))


#: The programs' eligibility rules (see `domain.eligibility` for the format).
ELIGIBILITY_RULES: Final[Path] = REFERENCE_DIR / "eligibility.toml"


@cache
def eligibility_rules() -> RuleBook:
    """The catalogue's eligibility rules, compiled and checked against its programs,
    with the pairs of programs its combination table forbids."""
    return load_rules(
        ELIGIBILITY_RULES,
        {p.code for p in programs()},
        [(c.program_a, c.program_b) for c in program_combinations() if not c.allowed],
    )


#: Which social worker serves which area, for the front desk's assignment
#: (`domain.service_desk.workers_for`); an office points `worker_areas_file` at its own.
WORKER_AREAS: Final[Path] = REFERENCE_DIR / "worker_areas.csv"
_WORKER_AREA_COLUMNS: Final = ("worker", "organization", "kecamatan_code", "kelurahan_code")


def worker_areas(
    path: Path | None = None, organization: str | None = None
) -> tuple[WorkerArea, ...]:
    """The social workers' areas, from `path` (the shipped file when None): one
    row per worker and kecamatan, or kelurahan when `kelurahan_code` is given;
    `organization` the organization id each worker must belong to (the desk's:
    the `desk_organization` setting), when given. A kecamatan or kelurahan code
    the city does not have, an empty organization or another one is refused,
    naming the file, the row and the field."""
    source = path or WORKER_AREAS
    districts = {k.code for k in kecamatan()}
    villages = {k.code: k.kecamatan_code for k in kelurahan()}
    with source.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in _WORKER_AREA_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{source}: the header lacks {', '.join(missing)}.")
        out = []
        for n, r in enumerate(reader, start=2):
            worker, district = r["worker"].strip(), r["kecamatan_code"].strip()
            village = r["kelurahan_code"].strip() or None
            if not worker:
                raise ValueError(f"{source}, row {n}, worker: empty; name the worker's login.")
            if district not in districts:
                raise ValueError(
                    f"{source}, row {n}, kecamatan_code: {district!r} is not a kecamatan of "
                    "the city (connectors/reference/kecamatan.csv)."
                )
            if village is not None and villages.get(village) != district:
                raise ValueError(
                    f"{source}, row {n}, kelurahan_code: {village!r} is not a kelurahan of "
                    f"kecamatan {district} (connectors/reference/kelurahan.csv)."
                )
            org = r["organization"].strip()
            if not org or (organization is not None and org != organization):
                raise ValueError(
                    f"{source}, row {n}, organization: {org!r} is not the front desk's "
                    f"organization id{f' ({organization})' if organization else ''}; write "
                    "the id its staff sign in with (ORG-DINSOS), or set desk_organization."
                )
            out.append(WorkerArea(worker, org, district, village))
    return tuple(out)


def combination_allowed(program_a: str, program_b: str) -> bool:
    """Whether one family may receive both programs; unknown pairs are allowed."""
    a, b = sorted((program_a, program_b))
    for c in program_combinations():
        if (c.program_a, c.program_b) == (a, b):
            return c.allowed
    return True


# table name -> (csv file, DuckDB column types in file order)
_TABLES: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "ref_ppks": (
        "ppks",
        {
            "code": "VARCHAR",
            "number": "INTEGER",
            "name": "VARCHAR",
            "name_en": "VARCHAR",
            "special_category": "BOOLEAN",
            "special_kind": "VARCHAR",
        },
    ),
    "ref_kecamatan": ("kecamatan", {"code": "VARCHAR", "name": "VARCHAR"}),
    "ref_kelurahan": (
        "kelurahan",
        {"code": "VARCHAR", "kecamatan_code": "VARCHAR", "name": "VARCHAR"},
    ),
    "ref_region": (
        "region",
        {"code": "VARCHAR", "name": "VARCHAR", "kind": "VARCHAR", "province": "VARCHAR"},
    ),
    "ref_program": (
        "program",
        {
            "code": "VARCHAR",
            "name": "VARCHAR",
            "funder_type": "VARCHAR",
            "benefit_kind": "VARCHAR",
            "need": "VARCHAR",
            "description": "VARCHAR",
            "cost_per_household": "BIGINT",
        },
    ),
    "ref_program_ppks": ("program_ppks", {"program_code": "VARCHAR", "ppks_code": "VARCHAR"}),
    "ref_program_combination": (
        "program_combination",
        {"program_a": "VARCHAR", "program_b": "VARCHAR", "allowed": "BOOLEAN", "reason": "VARCHAR"},
    ),
    "ref_funder_type": (
        "funder_type",
        {"code": "VARCHAR", "name": "VARCHAR", "public": "BOOLEAN"},
    ),
}

_KEYS: Final[dict[str, str]] = {
    "ref_ppks": "code",
    "ref_kecamatan": "code",
    "ref_kelurahan": "code",
    "ref_region": "code",
    "ref_program": "code",
    "ref_program_ppks": "program_code, ppks_code",
    "ref_program_combination": "program_a, program_b",
    "ref_funder_type": "code",
}


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Create or replace every `ref_*` table in `con`; safe to call again.

    The hub calls this on every open of staging, so it does nothing when the
    tables already hold these exact files (a digest of their bytes is kept in
    `ref_loaded`): no rewrite of eight tables per command."""
    digest = _files_digest()
    if _loaded_digest(con) == digest:
        return
    for table, (name, columns) in _TABLES.items():
        path = str(REFERENCE_DIR / f"{name}.csv")
        types = ", ".join(f"'{c}': '{t}'" for c, t in columns.items())
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS "
            f"SELECT * FROM read_csv(?, header = true, columns = {{{types}}}) "
            f"ORDER BY {_KEYS[table]}",
            [path],
        )
    con.execute("CREATE OR REPLACE TABLE ref_loaded AS SELECT ? AS digest", [digest])


def _files_digest() -> str:
    sha = hashlib.sha256()
    for name, _ in _TABLES.values():
        sha.update((REFERENCE_DIR / f"{name}.csv").read_bytes())
    return sha.hexdigest()


def _loaded_digest(con: duckdb.DuckDBPyConnection) -> str | None:
    """The digest the tables were loaded from, if every table is still there."""
    wanted = [*_TABLES, "ref_loaded"]
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name IN (SELECT unnest($t))",
        {"t": wanted},
    ).fetchone()
    if not found or found[0] != len(wanted):
        return None
    row = con.execute("SELECT digest FROM ref_loaded").fetchone()
    return str(row[0]) if row else None


__all__ = [
    "ELIGIBILITY_RULES",
    "REFERENCE_DIR",
    "REFERENCE_VERSION",
    "WORKER_AREAS",
    "FunderType",
    "Kecamatan",
    "Kelurahan",
    "Ppks",
    "Program",
    "ProgramCombination",
    "ProgramPpks",
    "Region",
    "combination_allowed",
    "eligibility_rules",
    "funder_types",
    "kecamatan",
    "kelurahan",
    "load_reference",
    "ppks",
    "program_combinations",
    "program_ppks",
    "programs",
    "regions",
    "worker_areas",
]
