"""A tiny synthetic Bandung neighbourhood as Arrow tables, for graph and API tests.

H1  Sukasari/Gegerkalong RT 001/RW 002, decile 1: Hermawan (head, PPKS24)
    and Euis (PPKS16, special category). BPNT (APBN, by DINSOS) and
    SEMBAKO-YAYASAN (YAY-A) in the same month: duplicated food aid.
    Submitted by YAY-A.
H2  decile 2: Asep (PPKS24). PKH + BPNT (an allowed combination).
H3  decile 1: Jajang (PPKS24), no program at all: a coverage gap.
H4  Coblong/Dago, decile 5: Siti (PPKS08). Referred to YAY-B.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pyarrow as pa

#: Why yaya:1 (Wawan) is dtks:1 (Hermawan), as linkage writes it: each comparison
#: with the two values compared, whole NIK, KK and phone numbers among them.
EVIDENCE_H1: list[dict[str, Any]] = [
    {
        "comparison": "nik",
        "level": "exact",
        "match_weight": 3.2,
        "values": {"nik_clean": ["3273011204800001", "3273011204800001"]},
    },
    {
        "comparison": "name",
        "level": "nickname",
        "match_weight": 1.4,
        "values": {"name_clean": ["hermawan", "wawan"]},
    },
    {
        "comparison": "household",
        "level": "same KK",
        "match_weight": 0.5,
        "values": {
            "kk_clean": ["3273010101010001", "3273010101010001"],
            "home_key": ["jl contoh|1", None],
            "phone_clean": ["081234567890", "081234567890"],
        },
    },
]


def table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def city() -> dict[str, pa.Table]:
    return {
        "kecamatan": table(
            [{"code": "327301", "name": "Sukasari"}, {"code": "327302", "name": "Coblong"}]
        ),
        "kelurahan": table(
            [
                {"code": "3273011001", "name": "Gegerkalong", "kecamatan_code": "327301"},
                {"code": "3273011002", "name": "Isola", "kecamatan_code": "327301"},
                {"code": "3273021001", "name": "Dago", "kecamatan_code": "327302"},
            ]
        ),
        "problems": table(
            [
                {
                    "code": "PPKS08",
                    "number": 8,
                    "name": "Lanjut usia terlantar",
                    "name_en": "Neglected elderly person",
                    "special_category": False,
                    "special_kind": None,
                },
                {
                    "code": "PPKS16",
                    "number": 16,
                    "name": "Orang dengan HIV/AIDS (ODHA)",
                    "name_en": "Person living with HIV/AIDS",
                    "special_category": True,
                    "special_kind": "health",
                },
                {
                    "code": "PPKS24",
                    "number": 24,
                    "name": "Fakir miskin",
                    "name_en": "Poor person",
                    "special_category": False,
                    "special_kind": None,
                },
            ]
        ),
        "funders": table(
            [
                {"code": "APBN", "name": "National budget", "kind": "APBN", "public": True},
                {"code": "YAY-A", "name": "Yayasan Amal A", "kind": "FOUNDATION", "public": False},
            ]
        ),
        "organizations": table(
            [
                {"id": "DINSOS", "name": "Dinas Sosial Kota Bandung", "type": "agency"},
                {"id": "YAY-A", "name": "Yayasan Amal A", "type": "foundation"},
                {"id": "YAY-B", "name": "Yayasan Berkah B", "type": "foundation"},
            ]
        ),
        "programs": table(
            [
                {
                    "code": "PKH",
                    "name": "Program Keluarga Harapan",
                    "benefit_kind": "cash",
                    "need": "income",
                    "funder_type": "APBN",
                    "ppks": ["PPKS24"],
                },
                {
                    "code": "BPNT",
                    "name": "Bantuan Pangan Non Tunai",
                    "benefit_kind": "food",
                    "need": "food",
                    "funder_type": "APBN",
                    "ppks": ["PPKS24"],
                },
                {
                    "code": "SEMBAKO-YAYASAN",
                    "name": "Paket sembako yayasan",
                    "benefit_kind": "food",
                    "need": "food",
                    "funder_type": "YAY-A",
                    "ppks": ["PPKS24"],
                },
                {
                    "code": "BANSOS-LANSIA-KOTA",
                    "name": "Bantuan Sosial Lansia",
                    "benefit_kind": "cash",
                    "need": "elderly_income",
                    "funder_type": "APBN",
                    "ppks": ["PPKS08"],
                },
            ]
        ),
        "program_combinations": table(
            [
                {
                    "program_a": "PKH",
                    "program_b": "BPNT",
                    "allowed": True,
                    "reason": "complementary national programs",
                },
            ]
        ),
        "households": table(
            [
                _hh("H1", "3273010101010001", "3273011001", "001", "002", 1),
                _hh("H2", "3273010101010002", "3273011001", "001", "002", 2),
                _hh("H3", "3273010101010003", "3273011002", "004", "001", 1),
                _hh("H4", "3273020101010004", "3273021001", "002", "003", 5),
            ]
        ),
        "persons": table(
            [
                _person(
                    "P1",
                    "H1",
                    "Hermawan",
                    "hermawan",
                    "3273011204800001",
                    "KEPALA",
                    "L",
                    ["PPKS24"],
                ),
                _person(
                    "P2",
                    "H1",
                    "Euis Suryani",
                    "euis suryani",
                    "3273015506820002",
                    "ISTRI",
                    "P",
                    ["PPKS16"],
                ),
                _person(
                    "P3",
                    "H2",
                    "Asep Saepudin",
                    "asep saepudin",
                    "3273010101750003",
                    "KEPALA",
                    "L",
                    ["PPKS24"],
                ),
                _person(
                    "P4",
                    "H3",
                    "Jajang Sudrajat",
                    "jajang sudrajat",
                    "3273010202700004",
                    "KEPALA",
                    "L",
                    ["PPKS24"],
                ),
                _person(
                    "P5",
                    "H4",
                    "Siti Aminah",
                    "siti aminah",
                    "3273024303400005",
                    "KEPALA",
                    "P",
                    ["PPKS08"],
                ),
            ]
        ),
        "source_records": table(
            [
                _record("yaya:1", "YAY-A", "1", "P1", "Wawan", 0.97),
                _record("dtks:1", "DINSOS", "D1", "P1", "Hermawan", 1.0),
                _record("dtks:2", "DINSOS", "D2", "P2", "Euis Suryani", 1.0),
                _record("dtks:3", "DINSOS", "D3", "P3", "Asep Saepudin", 1.0),
                _record("dtks:4", "DINSOS", "D4", "P4", "Djadjang Soedradjat", 0.91),
                _record("dtks:5", "DINSOS", "D5", "P5", "Siti Aminah", 1.0),
            ]
        ),
        "match_evidence": table(
            [
                {
                    "record_key_l": "dtks:1",
                    "record_key_r": "yaya:1",
                    "match_probability": 0.97,
                    "match_weight": 5.1,
                    "evidence": json.dumps(EVIDENCE_H1),
                },
            ]
        ),
        "services": table(
            [
                _service("S1", "H1", "P1", "BPNT", date(2026, 10, 5), 200000, "APBN", "DINSOS"),
                _service(
                    "S2",
                    "H1",
                    "P1",
                    "SEMBAKO-YAYASAN",
                    date(2026, 10, 20),
                    150000,
                    "YAY-A",
                    "YAY-A",
                ),
                _service("S3", "H2", "P3", "PKH", date(2026, 10, 3), 750000, "APBN", "DINSOS"),
                _service("S4", "H2", "P3", "BPNT", date(2026, 10, 5), 200000, "APBN", "DINSOS"),
            ]
        ),
        "enrolments": table(
            [
                {
                    "household_id": "H1",
                    "program": "BPNT",
                    "since": date(2026, 1, 1),
                    "until": None,
                    "active": True,
                    "organization": "DINSOS",
                },
                {
                    "household_id": "H2",
                    "program": "PKH",
                    "since": date(2025, 1, 1),
                    "until": None,
                    "active": True,
                    "organization": "DINSOS",
                },
                {
                    "household_id": "H2",
                    "program": "BPNT",
                    "since": date(2025, 1, 1),
                    "until": None,
                    "active": True,
                    "organization": "DINSOS",
                },
            ]
        ),
        "assessments": table(
            [
                {
                    "assessment_id": "A1",
                    "household_id": "H1",
                    "person_id": "P2",
                    "assessed_on": date(2026, 9, 1),
                    "social_worker": "peksos-01",
                    "organization": "DINSOS",
                    "plan": "ATENSI referral",
                    "notes": None,
                    "ppks": ["PPKS16"],
                },
            ]
        ),
        "referrals": table(
            [
                {
                    "referral_id": "R1",
                    "household_id": "H4",
                    "from_org": "DINSOS",
                    "to_org": "YAY-B",
                    "program": "BANSOS-LANSIA-KOTA",
                    "status": "OPEN",
                    "created_at": date(2026, 10, 1),
                    "updated_at": date(2026, 10, 1),
                    "note": "elderly alone",
                    "history": ["OPEN"],
                },
            ]
        ),
    }


def _hh(hid: str, kk: str, kel: str, rt: str, rw: str, decile: int) -> dict[str, Any]:
    return {
        "household_id": hid,
        "no_kk": kk,
        "address": f"Jl. Contoh {hid}",
        "street": "Jl. Contoh",
        "house_number": hid[1:],
        "rt": rt,
        "rw": rw,
        "kelurahan_code": kel,
        "kecamatan_code": kel[:6],
        "welfare_decile": decile,
        "status": "active",
    }


def _person(
    pid: str, hid: str, name: str, tokens: str, nik: str, rel: str, sex: str, ppks: list[str]
) -> dict[str, Any]:
    return {
        "person_id": pid,
        "household_id": hid,
        "full_name": name,
        "name_tokens": tokens,
        "nik": nik,
        "no_kk": None,
        "birth_date": date(1980, 4, 12),
        "birth_place": "Bandung",
        "sex": sex,
        "relationship": rel,
        "phone": None,
        "status": "active",
        "ppks": ppks,
    }


def _record(key: str, org: str, srid: str, pid: str, name: str, p: float) -> dict[str, Any]:
    return {
        "record_key": key,
        "source": key.split(":")[0],
        "organization": org,
        "source_record_id": srid,
        "person_id": pid,
        "full_name": name,
        "match_probability": p,
    }


def _service(
    sid: str, hid: str, pid: str, program: str, day: date, amount: int, funder: str, org: str
) -> dict[str, Any]:
    return {
        "service_id": sid,
        "household_id": hid,
        "person_id": pid,
        "program": program,
        "service_date": day,
        "amount": float(amount),
        "funder": funder,
        "organization": org,
        "source": org.lower(),
        "record_key": None,
    }
