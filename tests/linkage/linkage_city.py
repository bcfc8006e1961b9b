"""Helpers for linkage tests: stage a `current_records` table; a small two-source city."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import duckdb

CONTRACT_COLUMNS: dict[str, str] = {
    "record_key": "VARCHAR",
    "source": "VARCHAR",
    "organization": "VARCHAR",
    "source_record_id": "VARCHAR",
    "nik": "VARCHAR",
    "no_kk": "VARCHAR",
    "full_name": "VARCHAR",
    "birth_date": "DATE",
    "birth_place": "VARCHAR",
    "sex": "VARCHAR",
    "relationship": "VARCHAR",
    "address": "VARCHAR",
    "street": "VARCHAR",
    "house_number": "VARCHAR",
    "rt": "VARCHAR",
    "rw": "VARCHAR",
    "kelurahan": "VARCHAR",
    "kecamatan": "VARCHAR",
    "city": "VARCHAR",
    "phone": "VARCHAR",
    "ppks": "VARCHAR[]",
    "welfare_decile": "INTEGER",
    "flags": "VARCHAR[]",
    "batch_id": "VARCHAR",
    "row_number": "INTEGER",
    "content_hash": "VARCHAR",
    "version": "INTEGER",
}


def stage(con: duckdb.DuckDBPyConnection, rows: Iterable[Mapping[str, Any]]) -> None:
    """(Re)create `current_records` holding `rows` (missing fields are NULL)."""
    columns = ", ".join(f'"{name}" {kind}' for name, kind in CONTRACT_COLUMNS.items())
    kinds = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'current_records'"
    ).fetchall()
    if kinds:
        kind = "VIEW" if kinds[0][0] == "VIEW" else "TABLE"
        con.execute(f"DROP {kind} current_records")
    con.execute(f"CREATE TABLE current_records ({columns})")
    names = list(CONTRACT_COLUMNS)
    placeholders = ", ".join("?" for _ in names)
    values = []
    for row in rows:
        full = {**row}
        full.setdefault("record_key", f"{row['source']}:{row['source_record_id']}")
        full.setdefault("city", "Kota Bandung")
        full.setdefault("batch_id", f"{row['source']}-1")
        full.setdefault("version", 1)
        values.append([full.get(name) for name in names])
    if values:
        con.executemany(f"INSERT INTO current_records VALUES ({placeholders})", values)


FIRST = [
    "Asep",
    "Euis",
    "Dedi",
    "Siti",
    "Ujang",
    "Neneng",
    "Rizki",
    "Dewi",
    "Hermawan",
    "Yusuf",
    "Supriatna",
    "Jajang",
    "Fitri",
    "Agus",
    "Iis",
    "Cecep",
    "Lilis",
    "Rina",
    "Budi",
    "Teti",
    "Dadang",
    "Enok",
    "Wawan",
    "Yati",
    "Nurul",
    "Ahmad",
    "Ikhsan",
]
LAST = [
    "Saepudin",
    "Suryana",
    "Hidayat",
    "Rahmat",
    "Kurniawan",
    "Permana",
    "Gunawan",
    "Nurhayati",
    "Setiawan",
    "Sopian",
    "Hasanudin",
    "Mulyana",
    None,
    None,
]
KELURAHAN = [
    ("Gegerkalong", "Sukasari"),
    ("Isola", "Sukasari"),
    ("Sarijadi", "Sukasari"),
    ("Dago", "Coblong"),
    ("Lebakgede", "Coblong"),
    ("Cigadung", "Cibeunying Kaler"),
]
STREETS = [
    "Jl. Setiabudi",
    "Jl. Gegerkalong Hilir",
    "Jl. Sarijadi Raya",
    "Gg. Mawar",
    "Jl. Dago",
    "Jl. Cigadung Raya",
    "Gg. Melati",
]


def _nik(rng: random.Random, born: date, sex: str) -> str:
    day = born.day + (40 if sex == "P" else 0)
    return f"327301{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randrange(1, 9999):04d}"


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    digit = str((int(text[i]) + 1) % 10) if text[i].isdigit() else text[i]
    return text[:i] + digit + text[i + 1 :]


def mini_city(
    households: int = 60, seed: int = 7
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
    """Two sources over one small city; returns (rows, truth by record key)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    truth: dict[str, tuple[str, str]] = {}
    for h in range(households):
        # issued in Sukasari (327301): a KK starts with a real district
        kk = f"327301{str(rng.randrange(10**11, 10**12))[2:]}"
        kel, kec = rng.choice(KELURAHAN)
        street, number = rng.choice(STREETS), str(rng.randrange(1, 200))
        rt, rw = f"{rng.randrange(1, 12):03d}", f"{rng.randrange(1, 9):02d}"
        phone = f"08{rng.randrange(10**9, 10**10)}"
        surname = rng.choice(LAST)
        for m in range(rng.randrange(2, 5)):
            sex = rng.choice("LP")
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 25000))
            first = rng.choice(FIRST)
            name = f"{first} {surname}" if surname else first
            nik = _nik(rng, born, sex)
            person = f"p{h}-{m}"
            base = {
                "nik": nik,
                "no_kk": kk,
                "full_name": name,
                "birth_date": born,
                "sex": sex,
                "relationship": "KEPALA" if m == 0 else "ANAK",
                "street": street,
                "house_number": number,
                "rt": rt,
                "rw": rw,
                "kelurahan": kel,
                "kecamatan": kec,
                "phone": phone if m == 0 else None,
            }
            rows.append({**base, "source": "dtks", "source_record_id": person})
            truth[f"dtks:{person}"] = (person, f"h{h}")
            if rng.random() < 0.7:
                other = {**base, "source": "yayasan", "source_record_id": f"y-{person}"}
                roll = rng.random()
                if roll < 0.3:
                    other["nik"] = None
                elif roll < 0.45:
                    other["nik"] = _typo(rng, nik)
                if rng.random() < 0.3:
                    other["full_name"] = name.upper()
                rows.append(other)
                truth[f"yayasan:y-{person}"] = (person, f"h{h}")
    return rows, truth
