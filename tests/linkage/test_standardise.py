"""Standardisation through its public surface, on a real in-memory DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

import linkage.standardise
from connectors.canonical import PERSON_FIELDS
from linkage.errors import LinkageError
from linkage.standardise import OUTPUT_COLUMNS, register_macros, standardise

KECAMATAN = [("327302", "Coblong"), ("327315", "Bandung Kulon"), ("327320", "Antapani")]
KELURAHAN = [
    ("3273021002", "Dago", "327302"),
    ("3273021006", "Sekeloa", "327302"),
    ("3273151003", "Cigondewah Kaler", "327315"),
    ("3273151004", "Cigondewah Kidul", "327315"),
    ("3273201001", "Antapani Kidul", "327320"),
    ("3273201002", "Antapani Kulon", "327320"),
]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE ref_kecamatan (code VARCHAR, name VARCHAR)")
    connection.executemany("INSERT INTO ref_kecamatan VALUES (?, ?)", KECAMATAN)
    connection.execute(
        "CREATE TABLE ref_kelurahan (code VARCHAR, name VARCHAR, kecamatan_code VARCHAR)"
    )
    connection.executemany("INSERT INTO ref_kelurahan VALUES (?, ?, ?)", KELURAHAN)
    yield connection
    connection.close()


def _standardise(con: duckdb.DuckDBPyConnection, **fields: Any) -> dict[str, Any]:
    """Standardise one canonical record and return its output row."""
    columns = ", ".join(f"{name} {kind}" for name, kind in PERSON_FIELDS.items())
    con.execute(f"CREATE OR REPLACE TABLE records (source VARCHAR, {columns})")
    row = {"source": "test", "source_record_id": "1", **fields}
    names = ", ".join(row)
    con.execute(
        f"INSERT INTO records ({names}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
    standardise(con, "records", "standardised")
    cursor = con.execute("SELECT * FROM standardised")
    header = [d[0] for d in cursor.description]
    (values,) = cursor.fetchall()
    return dict(zip(header, values, strict=True))


def _name(con: duckdb.DuckDBPyConnection, full_name: str) -> dict[str, Any]:
    return _standardise(con, full_name=full_name)


def test_public_surface_is_explicit() -> None:
    assert sorted(linkage.standardise.__all__) == [
        "INPUT_FIELDS",
        "OUTPUT_COLUMNS",
        "register_macros",
        "standardise",
    ]


def test_output_keeps_source_columns_and_adds_documented_ones(
    con: duckdb.DuckDBPyConnection,
) -> None:
    row = _standardise(con, full_name="Asep")
    assert list(row)[: len(PERSON_FIELDS) + 1] == ["source", *PERSON_FIELDS]
    assert list(row)[len(PERSON_FIELDS) + 1 :] == list(OUTPUT_COLUMNS)


def test_titles_and_degrees_removed(con: duckdb.DuckDBPyConnection) -> None:
    assert _name(con, "Hj. Siti Nurhayati, S.Pd.")["name_clean"] == "SITI NURHAYATI"
    assert _name(con, "Drs. H. Asep Saepudin, M.M.")["name_clean"] == "ASEP SAEPUDIN"
    assert _name(con, "Ibu Euis Komariah S. E.")["name_clean"] == "EUIS KOMARIAH"
    assert _name(con, "Ir. Dedi Kurnia A.Md.Kep")["name_clean"] == "DEDI KURNIA"
    assert _name(con, "Bpk. Ujang S.Kom")["name_clean"] == "UJANG"


def test_initial_h_inside_a_name_is_kept(con: duckdb.DuckDBPyConnection) -> None:
    assert _name(con, "Asep H. Sunandar")["name_clean"] == "ASEP H SUNANDAR"


def test_a_lone_honorific_is_kept_as_the_name(con: duckdb.DuckDBPyConnection) -> None:
    assert _name(con, "Aa'")["name_clean"] == "AA"


@pytest.mark.parametrize(
    "spelling",
    ["Muhammad", "Muhamad", "Mochamad", "Mochammad", "Mohamad", "Mohammad", "Moh.",
     "Moch.", "Muh.", "Mhd.", "M.", "Mukhamad", "Muchammad", "Mohd", "Mohammed"],
)  # fmt: skip
def test_muhammad_variants_collapse(con: duckdb.DuckDBPyConnection, spelling: str) -> None:
    assert _name(con, f"{spelling} Rizki")["name_tokens"] == ["MUHAMMAD", "RIZKI"]


def test_single_m_is_muhammad_only_as_first_word(con: duckdb.DuckDBPyConnection) -> None:
    assert _name(con, "Asep M")["name_clean"] == "ASEP M"


@pytest.mark.parametrize(
    ("old", "modern"),
    [("Soepriatna", "SUPRIATNA"), ("Djadjang", "JAJANG"), ("Jusuf", "YUSUF"),
     ("Tjahjono", "CAHYONO"), ("Soejono", "SUYONO"), ("Djaja", "JAYA")],
)  # fmt: skip
def test_old_spelling_normalised(con: duckdb.DuckDBPyConnection, old: str, modern: str) -> None:
    assert _name(con, old)["name_clean"] == modern


def test_modern_j_is_kept(con: duckdb.DuckDBPyConnection) -> None:
    assert _name(con, "Jajang Juhana")["name_clean"] == "JAJANG JUHANA"


def test_bin_binti_split_into_patronym(con: duckdb.DuckDBPyConnection) -> None:
    row = _name(con, "Ahmad Fauzi bin H. Abdoel Rachman")
    assert (row["name_clean"], row["patronym"]) == ("AHMAD FAUZI", "H ABDUL RACHMAN")
    row = _name(con, "Siti Aminah binti Udin")
    assert (row["name_clean"], row["last_name"], row["patronym"]) == (
        "SITI AMINAH",
        "AMINAH",
        "UDIN",
    )


def test_first_last_key_and_mononym(con: duckdb.DuckDBPyConnection) -> None:
    row = _name(con, "Saepudin Asep")
    assert (row["first_name"], row["last_name"], row["name_key"]) == (
        "SAEPUDIN",
        "ASEP",
        "ASEP SAEPUDIN",
    )
    assert _name(con, "Euis")["last_name"] is None


@pytest.mark.parametrize(
    ("left", "right"),
    [("Pitri", "Fitri"), ("Soepriatna", "Supriatna"), ("Syaefudin", "Saipuddin"),
     ("Zaenal", "Jaenal"), ("Achmad", "Ahmad"), ("Sofyan", "Sopiyan"), ("Dedeh", "Dede"),
     ("Mukhtar", "Muchtar")],
)  # fmt: skip
def test_phonetic_keys_equal(con: duckdb.DuckDBPyConnection, left: str, right: str) -> None:
    assert _name(con, left)["first_name_phonetic"] == _name(con, right)["first_name_phonetic"]


def test_phonetic_keys_differ_for_different_names(con: duckdb.DuckDBPyConnection) -> None:
    assert _name(con, "Asep")["first_name_phonetic"] != _name(con, "Ujang")["first_name_phonetic"]


def test_name_phonetic_is_order_insensitive(con: duckdb.DuckDBPyConnection) -> None:
    a, b = _name(con, "Pitri Nurhayati"), _name(con, "Nurhayatie Fitri")
    assert a["name_phonetic"] == b["name_phonetic"]


def test_nickname_alias_meets_formal_name(con: duckdb.DuckDBPyConnection) -> None:
    wawan, hermawan = _name(con, "Wawan"), _name(con, "Hermawan Saputra")
    assert wawan["first_name_alias"] == hermawan["first_name_alias"] == "HERMAWAN"
    assert set(wawan["first_name_alias_keys"]) & set(hermawan["first_name_alias_keys"])
    assert _name(con, "Asep")["first_name_alias_keys"] == ["ASEP"]


def test_nik_decoded_for_a_woman(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, nik="3273014512850001", sex="P", birth_date=dt.date(1985, 12, 5))
    assert row["nik_clean"] == "3273014512850001"
    assert row["nik_valid"] is True
    assert (row["nik_region"], row["nik_district"]) == ("3273", "327301")
    assert row["nik_birth_date"] == dt.date(1985, 12, 5)
    assert row["nik_sex"] == "P"
    assert (row["nik_date_mismatch"], row["nik_sex_mismatch"]) == (False, False)


def test_nik_decoded_for_a_man_born_after_2000(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, nik="3273010703150002")
    assert (row["nik_birth_date"], row["nik_sex"]) == (dt.date(2015, 3, 7), "L")


def test_nik_mismatch_flags(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, nik="3204054512850001", sex="L", birth_date=dt.date(1985, 5, 12))
    assert row["nik_date_mismatch"] is True
    assert row["nik_sex_mismatch"] is True
    assert row["nik_outside_bandung"] is True


def test_nik_written_as_kk_is_flagged(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, nik="3273010101090001", no_kk="3273-0101-0109-0001")
    assert row["kk_clean"] == "3273010101090001"
    assert row["nik_is_kk"] is True


@pytest.mark.parametrize("nik", ["327301451285", "3273014512850001999", "3.273014E+15"])
def test_nik_of_wrong_length_is_null(con: duckdb.DuckDBPyConnection, nik: str) -> None:
    row = _standardise(con, nik=nik)
    assert (row["nik_clean"], row["nik_valid"]) == (None, False)


def test_nik_punctuation_and_spreadsheet_suffix_removed(con: duckdb.DuckDBPyConnection) -> None:
    assert _standardise(con, nik="'3273 0145 1285 0001")["nik_clean"] == "3273014512850001"
    assert _standardise(con, nik="3273014512850001.0")["nik_clean"] == "3273014512850001"


def test_nik_with_impossible_date_is_invalid(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, nik="3273013502850001")
    assert (row["nik_birth_date"], row["nik_sex"], row["nik_valid"]) == (None, None, False)
    assert (row["nik_clean"], row["nik_problem"]) == (None, "impossible_birth_date")


@pytest.mark.parametrize(
    ("nik", "problem"),
    [("9701014512850001", "unknown_district"), ("3273994512850001", "unknown_district"),
     ("3273014512850000", "zero_serial"), ("327301451285", "not_16_digits")],
)  # fmt: skip
def test_malformed_nik_is_left_out_of_comparisons(
    con: duckdb.DuckDBPyConnection, nik: str, problem: str
) -> None:
    """A malformed NIK is a bad field: nulled for comparisons, its reason kept, the raw
    value passing through in `nik`."""
    row = _standardise(con, nik=nik, no_kk="0273010101090001")
    assert (row["nik"], row["nik_clean"], row["nik_problem"]) == (nik, None, problem)
    assert (row["nik_region"], row["nik_district"], row["nik_outside_bandung"]) == (
        None, None, False,
    )  # fmt: skip
    assert (row["kk_clean"], row["kk_valid"], row["kk_problem"]) == (
        None, False, "unknown_district",
    )  # fmt: skip


@pytest.mark.parametrize(
    "phone",
    ["+62 812-3456-7890", "62 812 3456 7890", "0812 3456 7890", "812-3456-7890",
     "+62 (0)812 3456 7890", "0812.3456.7890 / 0813 1111 2222"],
)  # fmt: skip
def test_phone_forms(con: duckdb.DuckDBPyConnection, phone: str) -> None:
    assert _standardise(con, phone=phone)["phone_clean"] == "6281234567890"


def test_bandung_landline(con: duckdb.DuckDBPyConnection) -> None:
    assert _standardise(con, phone="(022) 720-1234")["phone_clean"] == "62227201234"


@pytest.mark.parametrize("phone", ["123", "0812", "08111111111", "-"])
def test_implausible_phone_is_null(con: duckdb.DuckDBPyConnection, phone: str) -> None:
    assert _standardise(con, phone=phone)["phone_clean"] is None


@pytest.mark.parametrize(
    "address",
    ["Jl. Mawar RT 003/RW 005", "Jl. Mawar RT.3 RW.5", "Jl. Mawar RT 03 RW 05",
     "Jl. Mawar 03/05", "Jl. Mawar Rt3/Rw5", "Jl. Mawar RT/RW 003/005", "Jl. Mawar RT 03/05"],
)  # fmt: skip
def test_rt_rw_forms(con: duckdb.DuckDBPyConnection, address: str) -> None:
    row = _standardise(con, address=address)
    assert (row["rt_clean"], row["rw_clean"]) == ("003", "005")


def test_structured_rt_rw_padded(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, rt="3", rw="RW 05", address="RT 9 RW 9")
    assert (row["rt_clean"], row["rw_clean"]) == ("003", "005")


def test_house_number_is_not_read_as_rt_rw(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, address="Jl. Mawar No. 12/3 RT 01 RW 02")
    assert (row["house_number_clean"], row["rt_clean"], row["rw_clean"]) == ("12/3", "001", "002")


def test_street_and_house_number_parsed(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, address="Jalan Djuanda No. 12A RT 1 RW 2, Kota Bandung")
    assert (row["street_clean"], row["house_number_clean"]) == ("JL JUANDA", "12A")
    row = _standardise(con, address="Gang Mawar 3 RT 1 RW 2")
    assert (row["street_clean"], row["house_number_clean"]) == ("GG MAWAR", "3")


def test_structured_street_normalised(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, street="Jln. Soekarno-Hatta", address="Gg. Lain No. 1")
    assert row["street_clean"] == "JL SUKARNO HATTA"


def test_kelurahan_and_kecamatan_from_free_text(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, address="Jl. Dago No. 5 RT 1 RW 2 Kel. Sekeloa Kec. Coblong")
    assert (row["kelurahan_code"], row["kelurahan_name"]) == ("3273021006", "Sekeloa")
    assert (row["kecamatan_code"], row["kecamatan_name"]) == ("327302", "Coblong")
    assert row["address_key"] == "3273021006001002"


def test_kelurahan_typo_matched_to_right_code(con: duckdb.DuckDBPyConnection) -> None:
    assert _standardise(con, kelurahan="Antapani Kidl")["kelurahan_code"] == "3273201001"
    assert _standardise(con, kelurahan="CIGONDEWAH KULER")["kelurahan_code"] == "3273151003"
    assert _standardise(con, kelurahan="Kelurahan Seke Loa")["kelurahan_code"] == "3273021006"


def test_kecamatan_code_follows_the_matched_kelurahan(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, kelurahan="Dago")
    assert (row["kecamatan_code"], row["kecamatan_name"]) == ("327302", "Coblong")


def test_unknown_place_gets_no_code(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, kelurahan="Margahayu Raya", kecamatan="Buahbatu")
    assert (row["kelurahan_code"], row["kecamatan_code"], row["address_key"]) == (None, None, None)


def test_works_without_gazetteer(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE ref_kelurahan")
    row = _standardise(con, full_name="Asep", kelurahan="Dago", rt="1", rw="2")
    assert (row["name_clean"], row["kelurahan_code"], row["rt_clean"]) == ("ASEP", None, "001")


@pytest.mark.parametrize(
    "text",
    ["12-08-1975", "12/08/1975", "12/08/75", "1975-08-12", "19750812", "12 Agustus 1975",
     "12 Agt 1975", "12-Ags-75", "12.08.1975", "Bandung, 12-08-1975", "1975-08-12 00:00:00"],
)  # fmt: skip
def test_dates_in_each_format(con: duckdb.DuckDBPyConnection, text: str) -> None:
    register_macros(con)
    assert con.execute("SELECT parse_date_any(?)", [text]).fetchone() == (dt.date(1975, 8, 12),)


@pytest.mark.parametrize("text", ["31-02-1990", "abc", "", "12 Foo 1975", None])
def test_unreadable_dates_are_null(con: duckdb.DuckDBPyConnection, text: str | None) -> None:
    register_macros(con)
    assert con.execute("SELECT parse_date_any(?)", [text]).fetchone() == (None,)


def test_text_birth_date_column_is_parsed(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(
        f"{name} {'VARCHAR' if name == 'birth_date' else kind}"
        for name, kind in PERSON_FIELDS.items()
    )
    con.execute(f"CREATE TABLE text_dates ({columns})")
    con.execute("INSERT INTO text_dates (source_record_id, birth_date) VALUES ('1', '5 Mei 1980')")
    standardise(con, "text_dates", "out")
    parsed = con.execute("SELECT birth_date_clean, birth_year, birth_month, birth_day FROM out")
    assert parsed.fetchone() == (dt.date(1980, 5, 5), 1980, 5, 5)


def test_birth_date_parts(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con, birth_date=dt.date(1975, 8, 12))
    assert (row["birth_year"], row["birth_month"], row["birth_day"]) == (1975, 8, 12)


def test_sex_spellings(con: duckdb.DuckDBPyConnection) -> None:
    assert _standardise(con, sex="Perempuan")["sex_clean"] == "P"
    assert _standardise(con, sex="Laki-laki")["sex_clean"] == "L"
    assert _standardise(con, sex="PRIA")["sex_clean"] == "L"  # not 'P' for its first letter
    assert _standardise(con, sex="Wanita")["sex_clean"] == "P"


def test_nulls_pass_through(con: duckdb.DuckDBPyConnection) -> None:
    row = _standardise(con)
    assert row["source_record_id"] == "1"
    empty = {k: v for k, v in row.items() if k not in ("source", "source_record_id")}
    flags = {k for k, v in empty.items() if isinstance(v, bool)}
    assert flags == {
        "nik_valid", "nik_date_mismatch", "nik_sex_mismatch", "nik_outside_bandung",
        "nik_is_kk", "kk_valid",
    }  # fmt: skip
    assert not any(empty[k] for k in flags)
    assert all(v is None for k, v in empty.items() if k not in flags)


def test_extra_columns_pass_through(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{name} {kind}" for name, kind in PERSON_FIELDS.items())
    con.execute(f"CREATE TABLE keyed (record_key BIGINT, source VARCHAR, {columns})")
    con.execute("INSERT INTO keyed (record_key, full_name) VALUES (42, 'Asep')")
    standardise(con, "keyed", "out")
    assert con.execute("SELECT record_key, name_clean FROM out").fetchall() == [(42, "ASEP")]


def test_many_rows_keep_their_own_values(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(f"{name} {kind}" for name, kind in PERSON_FIELDS.items())
    con.execute(f"CREATE TABLE many ({columns})")
    con.execute(
        "INSERT INTO many (source_record_id, full_name, address) "
        "SELECT i::VARCHAR, ['Asep', 'Moch. Jusuf', NULL][i % 3 + 1], "
        "'RT ' || (i % 7 + 1) || ' RW 2' FROM range(300) t(i)"
    )
    standardise(con, "many", "out")
    wrong = con.execute(
        "SELECT count(*) FROM out WHERE name_clean IS DISTINCT FROM "
        "['ASEP', 'MUHAMMAD YUSUF', NULL][source_record_id::INT % 3 + 1] "
        "OR rt_clean <> lpad((source_record_id::INT % 7 + 1)::VARCHAR, 3, '0')"
    ).fetchone()
    assert wrong == (0,)
    assert con.execute("SELECT count(*) FROM out").fetchone() == (300,)


def test_missing_canonical_fields_named_in_the_error(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE partial (full_name VARCHAR)")
    with pytest.raises(LinkageError, match="lacks nik, no_kk"):
        standardise(con, "partial", "out")


def test_missing_source_table_is_a_clear_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(LinkageError, match="no table or view named nowhere"):
        standardise(con, "nowhere", "out")
