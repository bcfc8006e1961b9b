"""Why personal data may be processed (UU PDP No. 27/2022): the legal bases
of Art. 20(2), and the registry of purposes that sources declare and API
callers state.

The registry is reference data (`reference/purposes.csv`: code, name, the
legal basis a purpose normally rests on, description). A stated purpose is
`<code>` or `<code>: <free note>`, e.g. `X-Purpose: case_management: home
visit RT 03`; `resolve` turns it into what the audit log records,
`case_management [public_task]: home visit RT 03`.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

#: UU PDP Art. 20(2) a-f, in the law's order.
LEGAL_BASES: Final[tuple[str, ...]] = (
    "consent",              # a. persetujuan yang sah secara eksplisit
    "contract",             # b. pemenuhan kewajiban perjanjian
    "legal_obligation",     # c. pemenuhan kewajiban hukum
    "vital_interest",       # d. pelindungan kepentingan vital
    "public_task",          # e. tugas dalam rangka kepentingan umum / pelayanan publik
    "legitimate_interest",  # f. kepentingan yang sah lainnya
)  # fmt: skip

UNREGISTERED: Final[str] = "unregistered"
_FILE: Final[Path] = Path(__file__).resolve().parent / "reference" / "purposes.csv"


@dataclass(frozen=True)
class Purpose:
    code: str
    name: str
    legal_basis: str
    description: str


@cache
def purposes() -> Mapping[str, Purpose]:
    """The purpose registry, by code."""
    with _FILE.open(encoding="utf-8", newline="") as f:
        rows = [Purpose(**row) for row in csv.DictReader(f)]
    for p in rows:
        if p.legal_basis not in LEGAL_BASES:
            raise ValueError(f"{_FILE}: purpose {p.code} has unknown legal basis {p.legal_basis}")
    return {p.code: p for p in rows}


def split_purpose(stated: str) -> tuple[str, str]:
    """`code: note` -> (code, note); a text without a colon is all code."""
    code, _, note = stated.strip().partition(":")
    return code.strip().lower(), note.strip()


def resolve(stated: str, *, strict: bool) -> str | None:
    """The purpose as the audit log records it: `code [legal basis]: note`.
    An unknown code is None when `strict` (production refuses it), and in dev
    is kept as free text, marked `[unregistered]`."""
    code, note = split_purpose(stated)
    known = purposes().get(code)
    if known is None:
        return None if strict else f"{stated.strip()} [{UNREGISTERED}]"
    return f"{code} [{known.legal_basis}]" + (f": {note}" if note else "")


__all__ = ["LEGAL_BASES", "UNREGISTERED", "Purpose", "purposes", "resolve", "split_purpose"]
