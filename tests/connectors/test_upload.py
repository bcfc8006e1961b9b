"""connectors.upload: files checked, headers mapped, rows validated by ingest's own code,
and the TOML written so that `hub ingest` stages the same file the same way."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook
from sheets import csv_bytes, xlsx_bytes

from connectors import ingest, load_configs
from connectors.canonical import INTAKE_SOURCE_PREFIX, PERSON_FIELDS
from connectors.mapping import REASONS
from connectors.reference import load_reference
from connectors.upload import (
    MAX_BYTES,
    REJECTIONS,
    UploadRejected,
    UploadStore,
    file_kind,
    propose_mapping,
    submission_input,
    upload_source_id,
    validate,
)
from console.i18n import Labels
from domain.formula import escape_cell, formula_like

ORG = "ORG-YAYASAN-UPLOAD"
HEADERS = ["No.", "Nama Lengkap", "NIK", "No KK", "Tgl. Lahir", "Jenis Kelamin", "Kelurahan"]
ROWS: list[list[str | None]] = [
    ["A-1", "Siti Aminah", "3273014501800001", "3273010101100001", "05-01-1980", "P", "Sukajadi"],
    ["A-2", "Budi Santoso", "123", None, "12 Maret 1975", "L", "Cipedes"],  # NIK malformed
    ["A-3", None, None, None, None, "L", None],  # identifies nobody
    ["A-4", "Dewi Lestari", None, None, "31-02-1990", "P", None],  # no such date
    ["A-5", '=HYPERLINK("http://x","klik")', None, None, None, None, None],  # formula text
    ["A-1", "Siti Lain", None, None, None, "P", None],  # id used twice
]


@pytest.fixture
def store(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "intake" / "config")


def test_only_xlsx_and_csv_within_the_size_limit_are_taken() -> None:
    assert file_kind("daftar.XLSX", xlsx_bytes(HEADERS, ROWS)) == "xlsx"
    assert file_kind("daftar.csv", csv_bytes(HEADERS, ROWS)) == "csv"
    for name, data, says in [
        ("daftar.pdf", b"%PDF-1.4", ".xlsx or .csv"),
        ("daftar.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("daftar.xlsx", b"not a zip", "not an .xlsx"),
        ("daftar.csv", b"", "empty"),
        ("daftar.csv", b"a\x00b\x00", "not a text"),
        ("daftar.csv", b"x" * (MAX_BYTES + 1), "larger than"),
    ]:
        with pytest.raises(UploadRejected, match=says.replace(".", r"\.")) as refused:
            file_kind(name, data)
        said(refused.value)


def said(refused: UploadRejected) -> str:
    """The refusal as the console words it, in Bahasa Indonesia: its code is one of
    REJECTIONS and its label takes exactly the params it carries."""
    assert refused.code in REJECTIONS, refused.code
    for lang in ("id", "en"):
        text = Labels(lang)[f"upload_error_{refused.code}"].format(**refused.params)
        assert "{" not in text and text.strip()
    return Labels("id")[f"upload_error_{refused.code}"].format(**refused.params)


def test_every_refusal_has_words_in_both_languages() -> None:
    for code in REJECTIONS:
        assert all(Labels(lang)[f"upload_error_{code}"] for lang in ("id", "en")), code


def test_headers_in_bahasa_and_english_are_proposed_once_each() -> None:
    headers = [
        "No", "Nama", "NIK", "No. KK", "Tgl Lahir", "Tempat Lahir", "JK", "Alamat", "RT", "RW",
        "Kelurahan", "Kec.", "No HP", "Desil", "Nama Lengkap", "Catatan",
    ]  # fmt: skip
    proposed = propose_mapping(headers)
    assert proposed == {
        "No": "source_record_id", "Nama": "full_name", "NIK": "nik", "No. KK": "no_kk",
        "Tgl Lahir": "birth_date", "Tempat Lahir": "birth_place", "JK": "sex",
        "Alamat": "address", "RT": "rt", "RW": "rw", "Kelurahan": "kelurahan",
        "Kec.": "kecamatan", "No HP": "phone", "Desil": "welfare_decile",
    }  # fmt: skip
    english = propose_mapping(["Full name", "Date of birth", "Gender", "Family card number"])
    assert english == {
        "Full name": "full_name",
        "Date of birth": "birth_date",
        "Gender": "sex",
        "Family card number": "no_kk",
    }
    # a remembered choice wins over the name, and the name's field is then not proposed twice
    again = propose_mapping(["Nama", "Nama Panggilan"], {"Nama Panggilan": "full_name"})
    assert again == {"Nama Panggilan": "full_name"}
    assert set(proposed.values()) <= set(PERSON_FIELDS)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_preview_shows_samples_with_formulas_escaped(store: UploadStore, kind: str) -> None:
    rows = [ROWS[4], *ROWS[:4]]  # the formula text first, so it is among the samples
    data = xlsx_bytes(HEADERS, rows) if kind == "xlsx" else csv_bytes(HEADERS, rows)
    assert store.accept(ORG, f"daftar.{kind}", data) == kind
    preview = store.preview(ORG, f"daftar.{kind}")
    assert preview.rows == len(rows)
    assert [c.header for c in preview.columns] == HEADERS
    by_header = {c.header: c for c in preview.columns}
    assert by_header["Nama Lengkap"].proposed == "full_name"
    assert by_header["No KK"].proposed == "no_kk"
    assert by_header["Nama Lengkap"].samples[0] == escape_cell(str(ROWS[4][1]))
    shown = [s for c in preview.columns for s in c.samples]
    assert not [s for s in shown if formula_like(s)]


def test_validation_is_ingests_and_the_toml_stages_the_same(store: UploadStore) -> None:
    store.accept(ORG, "daftar.xlsx", xlsx_bytes(HEADERS, ROWS))
    preview = store.preview(ORG, "daftar.xlsx")
    mapping = {c.header: c.proposed for c in preview.columns if c.proposed}
    config = store.confirm(ORG, mapping)
    assert config.id == upload_source_id(ORG)
    assert config.id.startswith(INTAKE_SOURCE_PREFIX)  # linkage treats it as a submission
    assert store.pending_kind(ORG) is None

    checked = validate(config)
    assert checked.read == len(ROWS)
    assert len(checked.staged) + len(checked.quarantined) == checked.read
    reasons = {q.row_number: q.reason for q in checked.quarantined}
    assert reasons == {
        4: "no_identifying_field",
        5: "impossible_date",
        7: "duplicate_source_record_id",
    }
    assert set(reasons.values()) <= set(REASONS)
    assert checked.by_reason == {r: list(reasons.values()).count(r) for r in set(reasons.values())}
    cells = {q.row_number: dict(q.cells) for q in checked.quarantined}
    assert cells[5] == {"Tgl. Lahir": "31-02-1990"}  # the cell to fix, as written
    assert cells[4] == {"NIK": "", "No KK": "", "Nama Lengkap": ""}
    assert cells[7] == {"No.": "A-1"}
    malformed = next(r for r in checked.staged if r.values["source_record_id"] == "A-2")
    assert "nik_invalid_structure" in malformed.flags
    assert "nik" not in submission_input(malformed)  # left out, as linkage leaves it out
    assert submission_input(malformed)["birthDate"] == "1975-03-12"
    formula_row = next(r for r in checked.staged if r.values["source_record_id"] == "A-5")
    assert "formula_like_value" in formula_row.flags

    # `hub ingest` reads the TOML beside the API submissions' and stages the same rows
    [loaded] = load_configs(store.config_dir)
    assert loaded.columns == mapping
    with duckdb.connect() as con:
        load_reference(con)
        [summary] = ingest(con, [loaded])
        staged = con.execute(
            "SELECT record_key FROM current_records WHERE source = ? ORDER BY row_number",
            [config.id],
        ).fetchall()
        quarantined = dict(
            con.execute(
                "SELECT row_number, reason FROM quarantine WHERE source = ?", [config.id]
            ).fetchall()
        )
    assert [k for (k,) in staged] == [r.record_key for r in checked.staged]
    assert quarantined == reasons
    assert (summary.read, summary.staged) == (checked.read, len(checked.staged))


def test_the_mapping_is_remembered_and_a_bad_one_refused(store: UploadStore) -> None:
    headers = ["Kode", "Nama Penerima Bantuan", "Nomor Induk"]
    rows = [["K1", "Ani", "3273014501800001"]]
    store.accept(ORG, "a.csv", csv_bytes(headers, rows))
    first = store.preview(ORG, "a.csv")
    assert not first.remembered
    assert {c.header: c.proposed for c in first.columns}["Nama Penerima Bantuan"] is None
    with pytest.raises(UploadRejected, match="name, the NIK or the KK") as refused:
        store.confirm(ORG, {"Kode": "source_record_id"})
    assert said(refused.value) == "Pilih kolom yang berisi nama, NIK, atau nomor KK."
    with pytest.raises(UploadRejected, match="chosen twice") as refused:
        store.confirm(ORG, {"Kode": "nik", "Nomor Induk": "nik"})
    assert said(refused.value).endswith("dipilih dua kali: nik.")
    chosen = {
        "Kode": "source_record_id",
        "Nama Penerima Bantuan": "full_name",
        "Nomor Induk": "nik",
    }
    store.confirm(ORG, chosen)
    assert store.remembered(ORG) == chosen

    store.accept(ORG, "a.csv", csv_bytes(headers, rows))
    second = store.preview(ORG, "a.csv")
    assert second.remembered
    assert {c.header: c.proposed for c in second.columns} == chosen
    store.confirm(ORG, chosen)
    with pytest.raises(UploadRejected, match="no file is waiting") as refused:
        store.confirm(ORG, chosen)
    said(refused.value)


def test_a_file_without_a_header_is_refused_clearly(store: UploadStore) -> None:
    store.accept(ORG, "kosong.xlsx", xlsx_bytes([], []))
    with pytest.raises(UploadRejected) as refused:
        store.preview(ORG, "kosong.xlsx")
    said(refused.value)


def test_a_formula_cell_is_neither_run_nor_shown(store: UploadStore) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nama", "Catatan"])
    sheet.append(["Ani", "=1+1"])  # openpyxl stores this as a formula, with no cached value
    assert sheet["B2"].data_type == "f"
    out = io.BytesIO()
    book.save(out)
    store.accept(ORG, "rumus.xlsx", out.getvalue())
    preview = store.preview(ORG, "rumus.xlsx")
    notes = {c.header: c.samples for c in preview.columns}["Catatan"]
    assert notes == ()  # the stored value only: none was stored, and nothing computes one
