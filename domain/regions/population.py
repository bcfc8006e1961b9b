"""Population per kecamatan and kelurahan: the denominator of the poverty rate.

A population file is versioned reference data, a CSV with one row per area:

    code,level,parent,population,year,source
    327301,kecamatan,3273,83211,2025,Disdukcapil Kota Bandung semester 1
    3273011001,kelurahan,327301,20802,2025,Disdukcapil Kota Bandung semester 1

`level` is `kecamatan` (its `parent` the city's code) or `kelurahan` (its
`parent` its kecamatan). Every row carries the same `year` and `source`: one
file is one version. `read_population` checks it against the city's kelurahan
list: every kelurahan has a figure, no area is unknown, none is negative, and
each kecamatan's figure is the sum of its kelurahan's. `population.csv` next to
this module is the city's own; a generated city writes its own
(`write_population`) and the setting `population_file` names the one in use.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: the city's population file, shipped beside the region gazetteer
POPULATION_FILE: Final[Path] = Path(__file__).resolve().parent / "population.csv"
COLUMNS: Final[tuple[str, ...]] = ("code", "level", "parent", "population", "year", "source")
KECAMATAN, KELURAHAN = "kecamatan", "kelurahan"


class PopulationError(ValueError):
    """A population file that cannot be used: the message names the file, the row
    and the field, and what to fix."""


@dataclass(frozen=True)
class Population:
    """One version of the population figures (`year`, `source`)."""

    year: int
    source: str
    kecamatan: Mapping[str, int]
    kelurahan: Mapping[str, int]
    file: str = ""

    @property
    def total(self) -> int:
        return sum(self.kecamatan.values())

    @property
    def version(self) -> str:
        return f"{self.year} ({self.source})"


def read_population(path: Path, kelurahan_of: Mapping[str, str]) -> Population:
    """The figures in `path`, checked against the city's kelurahan (`kelurahan_of`:
    kelurahan code -> kecamatan code)."""
    if not path.is_file():
        raise PopulationError(f"{path}: no such population file; set population_file to one.")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise PopulationError(
                f"{path}: no column {', '.join(missing)}; the header is {','.join(COLUMNS)}."
            )
        rows = list(reader)
    if not rows:
        raise PopulationError(f"{path}: no rows; give a figure for every kelurahan.")
    kecamatan_codes = set(kelurahan_of.values())
    figures: dict[str, dict[str, int]] = {KECAMATAN: {}, KELURAHAN: {}}
    first = rows[0]
    for n, row in enumerate(rows, start=2):
        where = f"{path}, row {n}"
        if None in row.values() or None in row:
            raise PopulationError(f"{where}: the row has fewer or more cells than the header.")
        code, level = row["code"].strip(), row["level"].strip()
        if level not in figures:
            raise PopulationError(f"{where}, level: {level!r}; write kecamatan or kelurahan.")
        known = kelurahan_of if level == KELURAHAN else dict.fromkeys(kecamatan_codes, "")
        if code not in known:
            raise PopulationError(
                f"{where}, code: {code!r} is not a {level} of the city; "
                "use the codes of connectors/reference."
            )
        if level == KELURAHAN and row["parent"].strip() != kelurahan_of[code]:
            raise PopulationError(
                f"{where}, parent: kelurahan {code} lies in kecamatan "
                f"{kelurahan_of[code]}, not {row['parent'].strip()!r}."
            )
        if code in figures[level]:
            raise PopulationError(f"{where}, code: {level} {code} has a figure already.")
        figures[level][code] = _count(row["population"], where)
        for field in ("year", "source"):
            if row[field].strip() != first[field].strip():
                raise PopulationError(
                    f"{where}, {field}: {row[field]!r}, but row 2 says "
                    f"{first[field]!r}; one file holds one version."
                )
    _complete(path, figures, kelurahan_of, kecamatan_codes)
    try:
        year = int(first["year"])
    except ValueError:
        raise PopulationError(f"{path}, row 2, year: {first['year']!r} is not a year.") from None
    return Population(
        year, first["source"].strip(), figures[KECAMATAN], figures[KELURAHAN], str(path)
    )


def _count(text: str, where: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise PopulationError(f"{where}, population: {text!r} is not a whole number.") from None
    if value < 0:
        raise PopulationError(f"{where}, population: {value} is negative.")
    return value


def _complete(
    path: Path,
    figures: Mapping[str, Mapping[str, int]],
    kelurahan_of: Mapping[str, str],
    kecamatan_codes: set[str],
) -> None:
    for level, codes in ((KELURAHAN, set(kelurahan_of)), (KECAMATAN, kecamatan_codes)):
        absent = sorted(codes - set(figures[level]))
        if absent:
            raise PopulationError(
                f"{path}: no figure for {level} {', '.join(absent[:5])}"
                f"{' …' if len(absent) > 5 else ''}; every {level} needs one."
            )
    sums: dict[str, int] = dict.fromkeys(kecamatan_codes, 0)
    for code, value in figures[KELURAHAN].items():
        sums[kelurahan_of[code]] += value
    for code, total in sorted(sums.items()):
        if figures[KECAMATAN][code] != total:
            raise PopulationError(
                f"{path}: kecamatan {code} has {figures[KECAMATAN][code]}, "
                f"but its kelurahan add up to {total}; make them agree."
            )


def write_population(
    path: Path, kelurahan: Mapping[str, tuple[str, int]], year: int, source: str, city: str
) -> None:
    """Write a population file from the kelurahan figures (code -> (kecamatan,
    people)); each kecamatan's figure is their sum."""
    kecamatan: dict[str, int] = {}
    for parent, people in kelurahan.values():
        kecamatan[parent] = kecamatan.get(parent, 0) + people
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        for code, people in sorted(kecamatan.items()):
            out.writerow((code, KECAMATAN, city, people, year, source))
        for code, (parent, people) in sorted(kelurahan.items()):
            out.writerow((code, KELURAHAN, parent, people, year, source))


__all__ = [
    "COLUMNS",
    "POPULATION_FILE",
    "Population",
    "PopulationError",
    "read_population",
    "write_population",
]
