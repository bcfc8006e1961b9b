"""Indonesia's administrative region codes, from Kemendagri's official list.

The CSV files next to this module are idn-area-data 4.0.1 (data under the Open
Database License; see NOTICE.md). A NIK or KK number starts with the six-digit
code of the district (kecamatan) that issued it: province (2 digits), regency or
city (2), district (2).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

REGION_DATA_VERSION: Final[str] = "idn-area-data 4.0.1"
REGION_DATA_LICENCE: Final[str] = "ODbL-1.0"
REGION_DIR: Final[Path] = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Area:
    code: str  # digits only: 2 (province), 4 (regency/city) or 6 (district)
    parent: str  # the code of the area it lies in ('' for a province)
    name: str


def _read(file: str, parent_column: str | None) -> tuple[Area, ...]:
    with (REGION_DIR / file).open(newline="", encoding="utf-8") as handle:
        return tuple(
            Area(
                row["code"].replace(".", ""),
                row[parent_column].replace(".", "") if parent_column else "",
                row["name"],
            )
            for row in csv.DictReader(handle)
        )


@cache
def provinces() -> tuple[Area, ...]:
    return _read("provinces.csv", None)


@cache
def regencies() -> tuple[Area, ...]:
    return _read("regencies.csv", "province_code")


@cache
def districts() -> tuple[Area, ...]:
    return _read("districts.csv", "regency_code")


@cache
def province_codes() -> frozenset[str]:
    return frozenset(a.code for a in provinces())


@cache
def regency_codes() -> frozenset[str]:
    return frozenset(a.code for a in regencies())


@cache
def district_codes() -> frozenset[str]:
    """Every six-digit district code: the first six digits of a real NIK or KK."""
    return frozenset(a.code for a in districts())


def districts_of(regency: str) -> tuple[Area, ...]:
    return tuple(a for a in districts() if a.parent == regency)


__all__ = [
    "REGION_DATA_LICENCE",
    "REGION_DATA_VERSION",
    "REGION_DIR",
    "Area",
    "district_codes",
    "districts",
    "districts_of",
    "province_codes",
    "provinces",
    "regencies",
    "regency_codes",
]
