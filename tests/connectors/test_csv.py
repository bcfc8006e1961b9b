from __future__ import annotations

import json

import duckdb
import pytest

from connectors import (
    EmptySourceError,
    MissingColumnError,
    SourceEncodingError,
    ingest,
)
from tests.connectors.conftest import BUDI, SITI, WriteSource, csv_text


def test_csv_rows_become_current_records(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(csv_text(BUDI, SITI))
    [summary] = ingest(con, [config])
    assert (summary.read, summary.staged, summary.quarantined, summary.new) == (2, 2, 0, 2)
    rows = con.execute(
        "SELECT record_key, nik, full_name, birth_date::VARCHAR, sex, kelurahan, row_number,"
        " version"
        " FROM current_records ORDER BY record_key"
    ).fetchall()
    assert rows == [
        (
            "yayasan-001:A1",
            "3273011501900001",
            "Budi Santoso",
            "1990-01-15",
            "L",
            "Cibaduyut",
            2,
            1,
        ),
        ("yayasan-001:A2", "3273015501920002", "Siti Aminah", "1992-01-15", "P", "Cibaduyut", 3, 1),
    ]
    raw = con.execute(
        "SELECT r.raw ->> '$[1]', b.columns[2] FROM raw_rows r JOIN batches b USING (batch_id)"
        " WHERE r.row_number = 2"
    ).fetchone()
    assert raw == ("Budi Santoso", "Nama Lengkap")
    source = con.execute("SELECT organization, organization_type FROM sources").fetchone()
    assert source == ("ORG-YAYASAN-001", "foundation")


def test_current_records_keeps_the_contract_columns(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    from connectors.canonical import PERSON_FIELDS

    ingest(con, [write_source(csv_text(BUDI))])
    names = [r[0] for r in con.execute("DESCRIBE current_records").fetchall()]
    assert names == [
        "record_key", "source", "organization", *PERSON_FIELDS, "flags",
        "batch_id", "row_number", "content_hash", "version",
    ]  # fmt: skip


def test_wrong_encoding_names_file_row_and_column(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ingest(con, [write_source(csv_text(BUDI))])
    bad = csv_text(BUDI, SITI.replace("Siti Aminah", "Siti Am\udce9nah")).encode(
        "utf-8", "surrogateescape"
    )
    config = write_source(bad)
    with pytest.raises(SourceEncodingError) as err:
        ingest(con, [config])
    message = str(err.value)
    assert "data.csv" in message and "row 3" in message and "column 'Nama Lengkap'" in message
    assert "encoding" in message
    assert con.execute("SELECT count(*) FROM current_records").fetchone() == (1,)


def test_latin1_source_reads_when_declared(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    data = csv_text(BUDI.replace("Budi", "Budí")).encode("latin-1")
    config = write_source(
        data, extra='delimiter = ";"\nencoding = "latin-1"\ndate_formats = ["%d-%m-%Y"]'
    )
    ingest(con, [config])
    assert con.execute("SELECT full_name FROM current_records").fetchone() == ("Budí Santoso",)


def test_cp1252_source_is_transcoded(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    data = csv_text(BUDI.replace("Budi", "Budi\u2019")).encode("cp1252")
    config = write_source(
        data, extra='delimiter = ";"\nencoding = "cp1252"\ndate_formats = ["%d-%m-%Y"]'
    )
    ingest(con, [config])
    assert con.execute("SELECT full_name FROM current_records").fetchone() == (
        "Budi\u2019 Santoso",
    )


def test_missing_mapped_column_names_file_row_and_column(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ingest(con, [write_source(csv_text(BUDI))])
    text = csv_text(BUDI).replace("No KK", "Nomor Kartu")
    with pytest.raises(MissingColumnError) as err:
        ingest(con, [write_source(text)])
    message = str(err.value)
    assert "data.csv" in message and "row 1" in message and "column 'No KK'" in message
    assert con.execute("SELECT count(*) FROM current_records").fetchone() == (1,)
    status = con.execute("SELECT status FROM batches ORDER BY batch_id").fetchall()
    assert status == [("ok",), ("failed",)]


def test_wrong_delimiter_is_explained(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ingest(con, [write_source(csv_text(BUDI))])
    text = csv_text(BUDI).replace(";", ",")
    with pytest.raises(MissingColumnError) as err:
        ingest(con, [write_source(text)])
    assert "delimited by ','" in str(err.value) and "row 1" in str(err.value)
    assert con.execute("SELECT count(*) FROM current_records").fetchone() == (1,)


def test_sniffs_the_delimiter_when_not_configured(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(
        csv_text(BUDI, SITI).replace(";", ","), extra='date_formats = ["%d-%m-%Y"]'
    )
    [summary] = ingest(con, [config])
    assert summary.staged == 2


def test_empty_file_is_an_error_and_keeps_earlier_data(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ingest(con, [write_source(csv_text(BUDI))])
    with pytest.raises(EmptySourceError, match=r"data\.csv.*empty"):
        ingest(con, [write_source(b"")])
    with pytest.raises(EmptySourceError, match="row 2"):
        ingest(con, [write_source(csv_text())])
    assert con.execute("SELECT count(*) FROM current_records").fetchone() == (1,)


def test_header_row_skips_title_lines(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    text = "Daftar Penerima 2025\n\n" + csv_text(BUDI)
    config = write_source(
        text, extra='delimiter = ";"\nheader_row = 3\ndate_formats = ["%d-%m-%Y"]'
    )
    [summary] = ingest(con, [config])
    assert summary.staged == 1
    assert con.execute("SELECT row_number FROM current_records").fetchone() == (4,)


def test_row_numbers_fall_back_with_a_warning(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    from tests.connectors.conftest import COLUMNS

    config = write_source(
        csv_text(BUDI, SITI), columns=COLUMNS.replace('"ID" = "source_record_id"\n', "")
    )
    [summary] = ingest(con, [config])
    assert summary.staged == 2 and summary.warnings
    keys = con.execute("SELECT record_key FROM current_records ORDER BY 1").fetchall()
    assert keys == [("yayasan-001:2",), ("yayasan-001:3",)]


def test_raw_rows_give_back_every_value_exactly_as_read(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    dewi = 'A9;"Dewi ""Ayu"", S.Pd.";3273015501920002;;15-01-1992;P;Cibadúyut  ;Bojongloa\\Kidul'
    ingest(con, [write_source(csv_text(BUDI, dewi))])
    [(raw, number)] = con.execute(
        "SELECT raw::VARCHAR, row_number FROM raw_rows WHERE raw ->> '$[0]' = 'A9'"
    ).fetchall()
    assert number == 3
    assert json.loads(raw) == [
        "A9", 'Dewi "Ayu", S.Pd.', "3273015501920002", None, "15-01-1992", "P",
        "Cibadúyut  ", "Bojongloa\\Kidul",
    ]  # fmt: skip
