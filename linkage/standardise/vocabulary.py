"""Name vocabulary kept as CSV next to this module, turned into SQL.

- `titles.csv`: honorifics and degrees. A `prefix` (H., Hj., Drs., Bapak,
  Kang, ...) is dropped only from the front of a name; a `degree` (S.Pd.,
  S.E., A.Md., ...) is dropped anywhere after the first word.
- `name_variants.csv`: one spelling of a word to its canonical spelling
  (Moch -> MUHAMMAD, Jusuf -> YUSUF, Achmad -> AHMAD).
- `name_aliases.csv`: a nickname (panggilan) to the formal names it stands
  for (Wawan -> HERMAWAN, KURNIAWAN, ...). The first row of a name is its
  primary key.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import duckdb

VOCABULARY_DIR: Final[Path] = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Titles:
    prefixes: tuple[str, ...]
    degrees: tuple[str, ...]


def _rows(name: str) -> list[dict[str, str]]:
    with (VOCABULARY_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def titles() -> Titles:
    rows = _rows("titles.csv")
    return Titles(
        prefixes=tuple(r["token"] for r in rows if r["kind"] == "prefix"),
        degrees=tuple(r["token"] for r in rows if r["kind"] == "degree"),
    )


@cache
def name_variants() -> tuple[tuple[str, str], ...]:
    return tuple((r["variant"], r["canonical"]) for r in _rows("name_variants.csv"))


@cache
def name_aliases() -> tuple[tuple[str, str], ...]:
    return tuple((r["name"], r["alias_key"]) for r in _rows("name_aliases.csv"))


def _alternation(words: tuple[str, ...] | set[str]) -> str:
    """`A|BB|C` with longer words first, so a regex prefers the longest."""
    return "|".join(sorted(set(words), key=lambda w: (-len(w), w)))


@cache
def degree_join_patterns() -> tuple[str, str]:
    """Two regexes that glue dotted degrees into one word: S. Pd. I -> SPDI.

    The first joins an initial S, M or A to a known degree remainder
    (`S. Pd` -> `SPD`); the second joins a known degree to a known
    continuation (`SPD.I` -> `SPDI`). Both end in a word boundary, so
    `M. Ali` stays `M. ALI` (Muhammad Ali), not `MALI`.
    """
    degrees = titles().degrees
    heads = {d[0] for d in degrees if d[0] in "SMA"}
    tails = {d[1:] for d in degrees if d[0] in heads and len(d) > 1}
    first = rf"\b([{''.join(sorted(heads))}])\s*\.\s*({_alternation(tails)})\b\.?"
    stems = {d for d in degrees if any(e != d and e.startswith(d) for e in degrees)}
    rests = {e[len(s) :] for s in stems for e in degrees if e != s and e.startswith(s)}
    second = rf"\b({_alternation(stems)})\s*\.\s*({_alternation(rests)})\b\.?"
    return first, second


def prefix_pattern() -> str:
    """The run of honorifics at the start of a cleaned name (words end in a space)."""
    return rf"^(?:(?:{_alternation(titles().prefixes)}) )+"


def degree_pattern() -> str:
    """A degree anywhere after the first word of a cleaned name."""
    return rf" (?:{_alternation(titles().degrees)})\b"


def _values(rows: list[tuple[object, ...]]) -> str:
    def literal(value: object) -> str:
        return str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


@cache
def _lookup_sql() -> tuple[str, str, str]:
    variants = _values(list(name_variants()))
    aliases = _values([(n, k, i) for i, (n, k) in enumerate(name_aliases())])
    version = hashlib.sha256((variants + aliases).encode()).hexdigest()[:10]
    return variants, aliases, version


def create_lookup_tables(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """Create, once per connection and vocabulary version, the temp tables
    `(variant, canonical)` and `(name, alias_key, rank)`; returns their names."""
    variant_rows, alias_rows, version = _lookup_sql()
    variants, aliases = f"_standardise_variants_{version}", f"_standardise_aliases_{version}"
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {variants} AS "
        f"SELECT * FROM (VALUES {variant_rows}) AS t(variant, canonical)"
    )
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {aliases} AS "
        f"SELECT * FROM (VALUES {alias_rows}) AS t(name, alias_key, rank)"
    )
    return variants, aliases
