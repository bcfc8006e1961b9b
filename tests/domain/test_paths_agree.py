"""Ingest, batch linkage, real-time linkage and the API read the same ~30 tricky
identity inputs the same way, because each takes its rule from domain/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from connectors import ingest, load_configs
from domain.identity import id_digits, kk_problem, nik_problem, nik_sex, valid_kk, valid_nik
from domain.sex import sex_code
from linkage.standardise import INPUT_FIELDS, standardise
from linkage.standardise.record import RecordStandardiser
from schema.errors import InputError
from schema.submission import RecordInput, identity_numbers

GOOD_KK = "3273010101100001"
#: (label, NIK, KK, sex as written)
CASES: list[tuple[str, str | None, str | None, str | None]] = [
    ("man", "3273011501900001", GOOD_KK, "L"),
    ("woman, day + 40", "3273015501920002", GOOD_KK, "P"),
    ("day + 40 written as a man", "3273015501920003", GOOD_KK, "L"),
    ("man written as a woman", "3273011501900004", GOOD_KK, "P"),
    ("PRIA", "3273011501900005", GOOD_KK, "PRIA"),
    ("pria, lower case", "3273011501900006", GOOD_KK, "pria"),
    ("WANITA", "3273015501920007", GOOD_KK, "WANITA"),
    ("LAKI-LAKI", "3273011501900008", GOOD_KK, "LAKI-LAKI"),
    ("Laki - laki, spaced", "3273011501900009", GOOD_KK, "Laki - laki"),
    ("perempuan", "3273015501920010", GOOD_KK, "perempuan"),
    ("LK", "3273011501900011", GOOD_KK, "LK"),
    ("PR", "3273015501920012", GOOD_KK, "PR"),
    ("an unknown sex word", "3273011501900013", GOOD_KK, "X"),
    ("province 97", "9701011501900014", GOOD_KK, "L"),
    ("province 96, a real district", "9601011501900015", GOOD_KK, "L"),
    ("province 96, no such district", "9699011501900016", GOOD_KK, "L"),
    ("Kabupaten Bandung", "3204051501900017", GOOD_KK, "L"),
    ("invalid district of the city", "3273991501900018", GOOD_KK, "L"),
    ("KK starting with 0", "3273011501900019", "0273010101100001", "L"),
    ("KK of province 97", "3273011501900020", "9701010101100001", "L"),
    ("KK of 15 digits", "3273011501900021", "327301010110000", "L"),
    ("15 digits", "327301150190002", GOOD_KK, "L"),
    ("17 digits", "32730115019000231", GOOD_KK, "L"),
    ("spaces inside", "3273 0115 0190 0024", GOOD_KK, "L"),
    ("dots inside", "3273.0115.0190.0025", GOOD_KK, "L"),
    ("a spreadsheet's .0", "3273011501900026.0", GOOD_KK, "L"),
    ("all zeros", "0000000000000000", GOOD_KK, "L"),
    ("day 32", "3273013201900028", GOOD_KK, "L"),
    ("day 72 (32 + 40)", "3273017201920029", GOOD_KK, "P"),
    ("30 February", "3273013002900030", GOOD_KK, "L"),
    ("29 February", "3273012902000031", GOOD_KK, "L"),
    ("month 13", "3273011513900032", GOOD_KK, "L"),
    ("serial 0000", "3273011501900000", GOOD_KK, "L"),
    ("a letter O for a zero", "327301150190003O", GOOD_KK, "L"),
    ("no NIK", None, GOOD_KK, "L"),
]
IDS = [label for label, *_ in CASES]


def _id(n: int) -> str:
    return f"R{n:02d}"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The cases ingested from a CSV file, as a source would send them."""
    folder: Path = tmp_path_factory.mktemp("paths")
    lines = ["ID;Nama;NIK;No KK;Tgl Lahir;JK"]
    for n, (_, nik, kk, sex) in enumerate(CASES):
        lines.append(f"{_id(n)};Warga {n};{nik or ''};{kk or ''};15-01-1990;{sex or ''}")
    (folder / "dinsos.csv").write_text("\n".join(lines) + "\n")
    (folder / "dinsos.toml").write_text(
        'id = "dinsos"\norganization = "DINSOS"\nkind = "csv"\nlocation = "dinsos.csv"\n'
        'delimiter = ";"\ndate_formats = ["%d-%m-%Y"]\n[columns]\n"ID" = "source_record_id"\n'
        '"Nama" = "full_name"\n"NIK" = "nik"\n"No KK" = "no_kk"\n"Tgl Lahir" = "birth_date"\n'
        '"JK" = "sex"\n'
    )
    con = duckdb.connect()
    [summary] = ingest(con, load_configs(folder))
    assert (summary.read, summary.staged, summary.quarantined) == (len(CASES), len(CASES), 0)
    yield con
    con.close()


def _raw_rows() -> pa.Table:
    """The cases as canonical text fields, before any parsing (the real-time input)."""
    columns: dict[str, list[Any]] = {f: [None] * len(CASES) for f in INPUT_FIELDS}
    columns["source_record_id"] = [_id(n) for n in range(len(CASES))]
    columns["full_name"] = [f"Warga {n}" for n in range(len(CASES))]
    columns["nik"] = [nik for _, nik, _, _ in CASES]
    columns["no_kk"] = [kk for _, _, kk, _ in CASES]
    columns["sex"] = [sex for *_, sex in CASES]
    columns["birth_date"] = ["1990-01-15"] * len(CASES)
    return pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})


@pytest.fixture(scope="module")
def batch() -> dict[str, dict[str, Any]]:
    con = duckdb.connect()
    con.register("raw_cases", _raw_rows())
    standardise(con, "raw_cases", "std_cases")
    rows = con.sql("SELECT * FROM std_cases").to_arrow_table().to_pylist()
    con.close()
    return {r["source_record_id"]: r for r in rows}


@pytest.fixture(scope="module")
def realtime() -> dict[str, dict[str, Any]]:
    standardiser = RecordStandardiser()
    try:
        rows = standardiser.standardise(_raw_rows()).to_pylist()
    finally:
        standardiser.close()
    return {r["source_record_id"]: r for r in rows}


def _api_accepts(nik: str | None, kk: str | None) -> bool:
    try:
        identity_numbers(RecordInput(source_record_id="x", full_name="x", nik=nik, no_kk=kk))
    except InputError:
        return False
    return True


@pytest.mark.parametrize("n", range(len(CASES)), ids=IDS)
def test_every_path_reads_the_nik_kk_and_sex_alike(
    n: int,
    staged: duckdb.DuckDBPyConnection,
    batch: dict[str, dict[str, Any]],
    realtime: dict[str, dict[str, Any]],
) -> None:
    _, nik, kk, sex = CASES[n]
    nik_ok, kk_ok = valid_nik(nik), valid_kk(kk)
    # ingest: a malformed NIK or KK is a flagged field; the sex word read whole
    row = staged.execute(
        "SELECT nik, no_kk, sex, flags FROM current_records WHERE source_record_id = ?", [_id(n)]
    ).fetchone()
    assert row is not None
    staged_nik, staged_kk, staged_sex, flags = row
    assert ("nik_invalid_structure" in flags) == (nik is not None and nik_ok is None)
    assert ("kk_invalid_structure" in flags) == (kk is not None and kk_ok is None)
    assert staged_nik == (nik_ok or nik) and staged_kk == (kk_ok or kk)
    assert staged_sex == sex_code(sex)
    expect_mismatch = nik_ok is not None and sex_code(sex) not in (None, nik_sex(nik))
    assert ("nik_sex_mismatch" in flags) == expect_mismatch
    # batch and real-time standardisation: the same values, from the same macros
    for std in (batch[_id(n)], realtime[_id(n)]):
        assert (std["nik_clean"], std["nik_valid"]) == (nik_ok, nik_ok is not None)
        assert std["nik_problem"] == nik_problem(nik)
        assert (std["kk_clean"], std["kk_problem"]) == (kk_ok, kk_problem(kk))
        assert std["sex_clean"] == sex_code(sex)
        assert std["nik_sex"] == nik_sex(nik)
        assert std["nik_sex_mismatch"] is expect_mismatch
    # the API refuses exactly what the other paths flag, and keeps the digits of the rest
    assert _api_accepts(nik, kk) == (nik_problem(nik) is None and kk_problem(kk) is None)
    if _api_accepts(nik, kk):
        record = RecordInput(source_record_id="x", full_name="x", nik=nik, no_kk=kk)
        identity_numbers(record)
        assert (record.nik, record.no_kk) == (id_digits(nik), id_digits(kk))
