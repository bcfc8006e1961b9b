"""A beneficiary spreadsheet (XLSX or CSV) uploaded by a foundation without developers:
checked, its columns mapped to the canonical person fields, validated as `hub ingest`
would, and kept as a source. The console's upload pages (console/upload_routes.py) are
its only user; the hub hands them an `UploadStore`, so the console imports none of this.

1. `UploadStore.accept` checks the file (type, size) and keeps it as the organization's
   pending upload.
2. `UploadStore.preview` reads its header row with the connectors' own readers and
   proposes a mapping of its columns to `connectors.canonical.PERSON_FIELDS`: the mapping
   the organization confirmed last time, else one guessed from the header names in Bahasa
   Indonesia and English (`propose_mapping`), with sample values.
3. `UploadStore.check` writes the confirmed mapping as the source's TOML beside the API
   submissions' (`api-upload-<org>.toml` in `$HUB_HOME/intake/config/`), so `hub ingest`
   stages the same file the same way, and `validate`s it: staged once in a throw-away
   DuckDB by ingest's own code (`connectors.staging.ingest_source`, with the reference
   data), giving the rows staged and the rows quarantined with ingest's reasons; the
   counts reconcile (read = staged + quarantined).
4. `Validation.submissions` are the staged rows as the API's `RecordInput`: the console
   sends each to `submitRecord` as the signed-in organization, so permissions, audit and
   linkage are the API's. A row's record key is `api-<org>:<its id>`, the same on every
   upload of the same file, and submitRecord is idempotent by record key (the real-time
   linker returns the ids a key already has): a re-upload changes nothing.

The upload source's id starts with the API prefix (`INTAKE_SOURCE_PREFIX`) on purpose:
a self-service upload must not open a known person's household to its uploader any more
than a submission does (linkage marks such records `via_api`).

Formulas are never run: XLSX cells are read with cached values only (openpyxl
`data_only`), CSV cells are text, and every value shown back is escaped with
`domain.formula.escape_cell`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

import duckdb

from connectors.base import ROW_COLUMN, to_text
from connectors.canonical import INTAKE_SOURCE_PREFIX, PERSON_FIELDS, organization_slug
from connectors.config import SourceConfig, read_config_file, write_config
from connectors.errors import ConnectorError
from connectors.mapping import REASON_FIELDS
from connectors.reference import load_reference
from connectors.staging import READERS, ingest_source
from domain.formula import escape_cell

#: The largest file accepted (a foundation's list of a few thousand rows is far smaller).
MAX_BYTES: Final = 5_000_000
#: the most an uploaded workbook may unpack to: a sheet of people zips 5 to 10 times
#: smaller; far more is a zip bomb (a few hundred KB of repeated XML that unpack to
#: gigabytes, every cell of which the reader parses). Python's zip reader holds each
#: part to the size it declares, so the declared sizes are what is checked.
MAX_UNPACKED_BYTES: Final = 20 * MAX_BYTES
#: Sample values shown per column in the mapping form.
SAMPLES: Final = 3
#: Accepted kinds: file name ending -> connector kind.
SUFFIXES: Final[dict[str, str]] = {".xlsx": "xlsx", ".csv": "csv"}
#: Dates as Indonesian sheets write them, besides ingest's defaults ("12 Maret 2025").
DATE_FORMATS: Final[tuple[str, ...]] = ("%d %B %Y", "%d %b %Y")
#: The fields RecordInput (schema.graphql) takes: canonical name -> GraphQL name.
SUBMITTED: Final[dict[str, str]] = {
    "source_record_id": "sourceRecordId",
    "full_name": "fullName",
    "nik": "nik",
    "no_kk": "noKk",
    "birth_date": "birthDate",
    "birth_place": "birthPlace",
    "sex": "sex",
    "relationship": "relationship",
    "address": "address",
    "rt": "rt",
    "rw": "rw",
    "kelurahan": "kelurahan",
    "kecamatan": "kecamatan",
    "phone": "phone",
    "ppks": "ppks",
    "welfare_decile": "welfareDecile",
}
#: A staged identity number with one of these flags is left out of the submission,
#: as linkage leaves it out of its comparisons (connectors.mapping).
_INVALID_ID_FLAGS: Final[dict[str, str]] = {
    "nik": "nik_invalid_structure",
    "no_kk": "kk_invalid_structure",
}

#: Header names (normalised by `_norm`: lower case, letters and digits only), in Bahasa
#: Indonesia and English, per canonical field.
HEADER_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "source_record_id": (
        "id", "no", "nomor", "noid", "idpenerima", "kodepenerima", "kode", "noreg",
        "noregistrasi", "nomorregistrasi", "nourut", "recordid", "beneficiaryid",
    ),
    "nik": ("nik", "noktp", "nomorktp", "ktp", "nomorindukkependudukan", "nationalid"),
    "no_kk": (
        "nokk", "kk", "nomorkk", "nomorkartukeluarga", "kartukeluarga", "familycard",
        "familycardnumber",
    ),
    "full_name": (
        "nama", "namalengkap", "namapenerima", "namasesuaiktp", "name", "fullname",
        "beneficiaryname",
    ),
    "birth_date": (
        "tgllahir", "tanggallahir", "tgllhr", "tanggallhr", "birthdate", "dateofbirth", "dob",
    ),
    "birth_place": ("tempatlahir", "tmplahir", "tptlahir", "birthplace", "placeofbirth"),
    "sex": ("jeniskelamin", "jk", "kelamin", "lp", "gender", "sex"),
    "relationship": (
        "hubungan", "hubungankeluarga", "hubkeluarga", "shdk", "statushubungan",
        "statusdalamkeluarga", "relationship", "relation",
    ),
    "address": ("alamat", "alamatlengkap", "alamatdomisili", "domisili", "address"),
    "street": ("jalan", "namajalan", "jl", "street"),
    "house_number": ("norumah", "nomorrumah", "housenumber"),
    "rt": ("rt",),
    "rw": ("rw",),
    "kelurahan": (
        "kelurahan", "kel", "desa", "desakelurahan", "kelurahandesa", "village",
        "urbanvillage",
    ),
    "kecamatan": ("kecamatan", "kec", "district", "subdistrict"),
    "city": ("kota", "kabupaten", "kotakabupaten", "kabkota", "city", "regency"),
    "phone": (
        "telepon", "telp", "notelp", "notelepon", "nomortelepon", "hp", "nohp", "nomorhp",
        "wa", "nowa", "phone", "phonenumber", "mobile",
    ),
    "ppks": ("ppks", "jenisppks", "kategorippks"),
    "welfare_decile": ("desil", "desilkesejahteraan", "desildtsen", "decile", "welfaredecile"),
}  # fmt: skip


#: Why an upload is refused (`UploadRejected.code`); the console words each in its
#: language (`upload_error_<code>` in console/upload_labels.py) with the error's `params`.
REJECTIONS: Final[tuple[str, ...]] = (
    "old_xls",
    "wrong_type",
    "empty",
    "too_large",
    "not_xlsx",
    "not_csv",
    "unreadable",
    "no_header",
    "unknown_field",
    "field_twice",
    "no_identity",
    "nothing_waiting",
    "too_large_unpacked",
)


class UploadRejected(ValueError):
    """The file cannot be taken; the message says why (in English, for logs and the
    CLI), `code` (one of `REJECTIONS`) and `params` say it for a page to word."""

    def __init__(self, message: str, code: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}


def upload_source_id(organization: str) -> str:
    """`api-upload-<org>`: the source id of an organization's uploaded spreadsheet."""
    return f"{INTAKE_SOURCE_PREFIX}upload-{organization_slug(organization)}"


def file_kind(filename: str, data: bytes) -> str:
    """The connector kind of an uploaded file ("xlsx" or "csv"), or UploadRejected."""
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xls":
        raise UploadRejected(
            "old .xls workbooks are not read: save the sheet as .xlsx or .csv.", "old_xls"
        )
    kind = SUFFIXES.get(suffix)
    if kind is None:
        raise UploadRejected(
            f"{filename or 'the file'} is not an .xlsx or .csv file: save the sheet as one.",
            "wrong_type",
            file=filename,
        )
    if not data:
        raise UploadRejected("the file is empty.", "empty", file=filename)
    if len(data) > MAX_BYTES:
        mb = MAX_BYTES // 1_000_000
        raise UploadRejected(
            f"the file is larger than {mb} MB: split it into smaller files.", "too_large", mb=mb
        )
    if kind == "xlsx" and not data.startswith(b"PK\x03\x04"):
        raise UploadRejected(
            f"{filename} is not an .xlsx workbook: save the sheet as .xlsx.",
            "not_xlsx",
            file=filename,
        )
    if kind == "xlsx":
        _check_unpacked(filename, data)
    if kind == "csv" and b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadRejected(
            f"{filename} is not a text CSV file: save the sheet as .csv.", "not_csv", file=filename
        )
    return kind


def _check_unpacked(filename: str, data: bytes) -> None:
    """UploadRejected for a workbook that is no zip, or that unpacks past MAX_UNPACKED_BYTES."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            unpacked = sum(part.file_size for part in book.infolist())
    except zipfile.BadZipFile:
        raise UploadRejected(
            f"{filename} is not an .xlsx workbook: save the sheet as .xlsx.",
            "not_xlsx",
            file=filename,
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        mb = MAX_UNPACKED_BYTES // 1_000_000
        raise UploadRejected(
            f"{filename} unpacks to more than {mb} MB: save only the sheet of people, "
            "without pictures or other sheets, or split it into smaller files.",
            "too_large_unpacked",
            file=filename,
            mb=mb,
        )


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def propose_mapping(
    headers: Sequence[str], remembered: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Header -> canonical field for the headers it can place: a header the organization
    mapped before keeps that field; the others are matched by name. A field is proposed
    once (the first header that names it); a column no name fits is left out."""
    proposed: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        fld = (remembered or {}).get(header)
        if fld in PERSON_FIELDS and fld not in taken:
            proposed[header] = fld
            taken.add(fld)
    by_name = {name: fld for fld, names in HEADER_NAMES.items() for name in names}
    for header in headers:
        fld = by_name.get(_norm(header))
        if header not in proposed and fld is not None and fld not in taken:
            proposed[header] = fld
            taken.add(fld)
    return proposed


@dataclass(frozen=True)
class Column:
    header: str
    samples: tuple[str, ...]
    proposed: str | None


@dataclass(frozen=True)
class Preview:
    filename: str
    kind: str
    rows: int
    columns: tuple[Column, ...]
    remembered: bool


@dataclass(frozen=True)
class StagedRow:
    row_number: int
    record_key: str
    values: Mapping[str, Any]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class QuarantinedRow:
    row_number: int
    source_record_id: str | None
    reason: str
    detail: str
    """ingest's words (English, as `hub ingest` records them)"""
    cells: tuple[tuple[str, str], ...] = ()
    """(column header, value as written) of the cells the reason's check read"""


@dataclass(frozen=True)
class Submission:
    """A staged row as the API's `RecordInput`, with a digest of it: a row whose digest
    the organization already submitted is not sent again (`UploadStore.submitted`)."""

    row_number: int
    record: Mapping[str, Any]
    digest: str


@dataclass
class Validation:
    """What `hub ingest` would do with the file: read = staged + quarantined."""

    source: str
    read: int
    staged: list[StagedRow]
    quarantined: list[QuarantinedRow]
    by_reason: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def submissions(self) -> list[Submission]:
        """Every staged row as a submission, in row order."""
        out = []
        for row in self.staged:
            record = submission_input(row)
            text = json.dumps(record, sort_keys=True, ensure_ascii=False)
            out.append(
                Submission(row.row_number, record, hashlib.sha256(text.encode()).hexdigest())
            )
        return out


class UploadStore:
    """An organization's uploaded file and its mapping, under `$HUB_HOME/intake/`:
    `uploads/<source>.pending.<kind>` until the mapping is confirmed, then
    `uploads/<source>.<kind>` with `config/<source>.toml` (`config_dir` is the
    API submissions' config folder, `hub.intake.IntakeStore.config_dir_of(home)`)."""

    #: the largest file taken, and the fields a column may be mapped to
    max_bytes: Final = MAX_BYTES
    fields: Final = tuple(PERSON_FIELDS)

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.upload_dir = config_dir.parent / "uploads"

    def config_path(self, organization: str) -> Path:
        return self.config_dir / f"{upload_source_id(organization)}.toml"

    def _pending(self, organization: str, kind: str) -> Path:
        return self.upload_dir / f"{upload_source_id(organization)}.pending.{kind}"

    def _final(self, organization: str, kind: str) -> Path:
        return self.upload_dir / f"{upload_source_id(organization)}.{kind}"

    def accept(self, organization: str, filename: str, data: bytes) -> str:
        """Check and keep the file as the organization's pending upload; its kind."""
        kind = file_kind(filename, data)
        for other in SUFFIXES.values():
            self._pending(organization, other).unlink(missing_ok=True)
        _write_atomic(self._pending(organization, kind), data)
        return kind

    def pending_kind(self, organization: str) -> str | None:
        return next(
            (k for k in SUFFIXES.values() if self._pending(organization, k).is_file()), None
        )

    def remembered(self, organization: str) -> dict[str, str]:
        """The mapping the organization confirmed last (header -> field), if any."""
        path = self.config_path(organization)
        if not path.is_file():
            return {}
        [config] = read_config_file(path)
        return dict(config.columns)

    def preview(self, organization: str, filename: str) -> Preview:
        """The pending file's columns, sample values and proposed mapping."""
        kind = self._require_pending(organization)
        config = self._config(organization, kind, self._pending(organization, kind), {})
        try:
            table = READERS[kind]().read(config)
        except ConnectorError as exc:
            raise UploadRejected(str(exc), "unreadable", detail=exc) from exc
        headers = [c for c in table.column_names if c != ROW_COLUMN and c.strip()]
        if not headers:
            raise UploadRejected(
                "the first row holds no column names: put the header first.", "no_header"
            )
        remembered = self.remembered(organization)
        proposed = propose_mapping(headers, remembered)
        columns = []
        for header in headers:
            values = (to_text(v) for v in table.column(header).to_pylist())
            samples = [escape_cell(v.strip()) for v in values if v is not None and v.strip()]
            columns.append(Column(header, tuple(samples[:SAMPLES]), proposed.get(header)))
        return Preview(
            filename, kind, table.num_rows, tuple(columns), bool(set(remembered) & set(headers))
        )

    def confirm(self, organization: str, mapping: Mapping[str, str]) -> SourceConfig:
        """Make the pending file the organization's upload source with this mapping
        (header -> canonical field): the TOML `hub ingest` reads; its config."""
        kind = self._require_pending(organization)
        columns = {h: f for h, f in mapping.items() if f}
        unknown = sorted(set(columns.values()) - set(PERSON_FIELDS))
        if unknown:
            fields = ", ".join(unknown)
            raise UploadRejected(f"unknown field(s): {fields}.", "unknown_field", fields=fields)
        used = list(columns.values())
        twice = sorted({f for f in used if used.count(f) > 1})
        if twice:
            fields = ", ".join(twice)
            raise UploadRejected(
                f"each field takes one column; chosen twice: {fields}.",
                "field_twice",
                fields=fields,
            )
        if not set(columns.values()) & {"nik", "no_kk", "full_name"}:
            raise UploadRejected(
                "choose the column with the name, the NIK or the KK number.", "no_identity"
            )
        final = self._final(organization, kind)
        for other in SUFFIXES.values():
            if other != kind:
                self._final(organization, other).unlink(missing_ok=True)
        os.replace(self._pending(organization, kind), final)
        path = self.config_path(organization)
        write_config(path, self._config_data(organization, kind, final, columns))
        [config] = read_config_file(path)
        return config

    def _submitted_path(self, organization: str) -> Path:
        return self.upload_dir / f"{upload_source_id(organization)}.submitted.json"

    def submitted(self, organization: str) -> dict[str, str]:
        """sourceRecordId -> digest of what the organization's uploads submitted and
        the API took, so that a re-upload sends only new or changed rows (each send
        spends the organization's submission budget, see README "Submissions")."""
        path = self._submitted_path(organization)
        if not path.is_file():
            return {}
        found = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in found.items()}

    def remember_submitted(self, organization: str, taken: Mapping[str, str]) -> None:
        if not taken:
            return
        merged = {**self.submitted(organization), **taken}
        text = json.dumps(merged, sort_keys=True, ensure_ascii=False)
        _write_atomic(self._submitted_path(organization), text.encode())

    def check(self, organization: str, mapping: Mapping[str, str]) -> Validation:
        """`confirm`, then `validate`."""
        return validate(self.confirm(organization, mapping))

    def _require_pending(self, organization: str) -> str:
        kind = self.pending_kind(organization)
        if kind is None:
            raise UploadRejected(
                "no file is waiting: upload the spreadsheet again.", "nothing_waiting"
            )
        return kind

    def _config_data(
        self, organization: str, kind: str, file: Path, columns: Mapping[str, str]
    ) -> dict[str, Any]:
        return {
            "id": upload_source_id(organization),
            "kind": kind,
            "location": os.path.relpath(file, self.config_dir),
            "organization": organization,
            "organization_name": f"{organization} (uploaded spreadsheet)",
            "organization_type": "foundation",
            "date_formats": list(DATE_FORMATS),
            "personal": ["nik", "no_kk", "full_name", "birth_date", "phone", "address"],
            "special_category": ["ppks"],
            "columns": dict(columns),
        }

    def _config(
        self, organization: str, kind: str, file: Path, columns: Mapping[str, str]
    ) -> SourceConfig:
        data = self._config_data(organization, kind, file, columns)
        return SourceConfig(
            id=data["id"],
            kind=kind,
            location=str(file),
            organization=organization,
            config_file=self.config_path(organization),
            date_formats=DATE_FORMATS,
            columns=columns,
        )


def validate(config: SourceConfig) -> Validation:
    """Stage the source once in a throw-away DuckDB (with the reference data `hub ingest`
    has), with ingest's own code: what it stages, what it quarantines and why."""
    con = duckdb.connect()
    try:
        load_reference(con)
        try:
            summary = ingest_source(con, config)
        except ConnectorError as exc:
            raise UploadRejected(str(exc), "unreadable", detail=exc) from exc
        fields = ", ".join(SUBMITTED)
        staged = [
            StagedRow(
                int(row[0]), str(row[1]), dict(zip(SUBMITTED, row[3:], strict=True)), tuple(row[2])
            )
            for row in con.execute(
                f"SELECT row_number, record_key, flags, {fields} FROM current_records"
                " WHERE source = ? ORDER BY row_number",
                [config.id],
            ).fetchall()
        ]
        header = {fld: col for col, fld in config.columns.items()}
        quarantined = [
            QuarantinedRow(
                int(n),
                None if sid is None else str(escape_cell(sid)),
                reason,
                escape_cell(detail),
                _cells(json.loads(raw), [header[f] for f in REASON_FIELDS[reason] if f in header]),
            )
            for n, sid, reason, detail, raw in con.execute(
                "SELECT row_number, source_record_id, reason, detail, raw FROM quarantine"
                " WHERE source = ? ORDER BY row_number",
                [config.id],
            ).fetchall()
        ]
    finally:
        con.close()
    return Validation(
        config.id,
        summary.read,
        staged,
        quarantined,
        summary.quarantined_by_reason,
        summary.warnings,
    )


def submission_input(row: StagedRow) -> dict[str, Any]:
    """The `RecordInput` of a staged row: its canonical values under their GraphQL names;
    an identity number ingest flagged as malformed is left out, as linkage leaves it out."""
    record: dict[str, Any] = {}
    for fld, name in SUBMITTED.items():
        value = row.values.get(fld)
        if _INVALID_ID_FLAGS.get(fld) in row.flags:
            value = None
        if isinstance(value, date):
            value = value.isoformat()
        if fld == "ppks":
            value = list(value or [])
        if value is not None or fld == "ppks":
            record[name] = value
    return record


def _cells(raw: Mapping[str, Any], headers: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(header, value) of the row's cells under `headers`, escaped for display; an empty
    cell shows as ''."""
    return tuple((h, escape_cell(to_text(raw.get(h)) or "")) for h in headers)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = [
    "HEADER_NAMES",
    "MAX_BYTES",
    "MAX_UNPACKED_BYTES",
    "REJECTIONS",
    "Column",
    "Preview",
    "QuarantinedRow",
    "StagedRow",
    "Submission",
    "UploadRejected",
    "UploadStore",
    "Validation",
    "file_kind",
    "propose_mapping",
    "submission_input",
    "upload_source_id",
    "validate",
]
