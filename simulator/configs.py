"""Source configuration files: one TOML per source, the format connectors read.

A generated city writes `config/<source_id>.toml` next to `sources/`::

    id = "yayasan-001"            # unique source id
    kind = "csv"                  # csv | xlsx | json | http-json | sql
    location = "../sources/yayasan-001.csv"   # relative to the TOML file
    organization = "ORG-YAYASAN-001"
    organization_name = "Yayasan Peduli Cibaduyut"
    organization_type = "foundation"   # agency | foundation | dinsos
    encoding = "utf-8"            # optional: utf-8 (default), utf-8-sig, cp1252
    delimiter = ";"               # csv only, optional (default ",")
    header_row = 2                # optional, 1-based, for a title row above the header
    sheet = "Penerima"            # xlsx only, optional (default: the first sheet)
    date_formats = ["%d-%m-%Y", "%d/%m/%y"]
    personal = ["nik", "no_kk", "full_name", "birth_date", "phone", "address"]
    special_category = ["ppks"]
    legal_basis = "consent"       # UU PDP Art. 20 basis (connectors.legal.LEGAL_BASES)
    purposes = ["foundation_service", "referral"]   # purpose registry codes
    retention = "until withdrawn" # or "60 months" (after last delivered)

    [columns]                     # source column -> canonical field (PERSON_FIELDS)
    "Nama Lengkap" = "full_name"
    "NIK" = "nik"

    [values.sex]                  # value maps per canonical field
    "Laki-laki" = "L"
    "Perempuan" = "P"

    [services]                    # optional: canonical service field -> source column
    program = "Jenis Bantuan"     # (SERVICE_FIELDS; source_record_id is the row's own)
    service_date = "Tanggal"
    amount = "Nominal"
    funder = "Sumber Dana"

Conventions the reader must follow:

- `date_formats` are tried in order, with Python `strptime` directives, except
  that `%B` means an Indonesian month name (Januari ... Desember), as in
  "12 Agustus 1975". `%d/%m/%y` occurs only where dates are recent enough
  that Python's two-digit-year rule is right.
- A list field (`ppks`) holds several values separated by `;`; a value map
  for a list field applies to each element ("FAKIR MISKIN" -> "PPKS24").
- A value map applies to the mapped column of that canonical field, and
  `values.program` / `values.funder` apply to the service columns. Values not
  in a map are kept as written. Empty cells are missing values.
- `welfare_decile` may need a value map ("Desil 3" -> "3").
- JSON sources are one array of flat objects; keys are the column names.
- Columns not listed under `[columns]` or `[services]` are not canonical and
  are kept only in the raw batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from connectors.config import write_config
from simulator.spec import SourceSpec

PERSONAL: Final[tuple[str, ...]] = (
    "nik", "no_kk", "full_name", "birth_date", "birth_place", "phone", "address", "street",
    "house_number", "rt", "rw",
)  # fmt: skip
SPECIAL_CATEGORY: Final[tuple[str, ...]] = ("ppks",)

#: What each kind of organization declares (UU PDP Art. 20): Dinsos keeps DTKS
#: by law, agencies serve the public, foundations hold data by consent.
DECLARED: Final[dict[str, tuple[str, tuple[str, ...], str]]] = {
    "dinsos": (
        "legal_obligation",
        ("social_assistance", "eligibility_verification", "case_management"),
        "60 months",
    ),
    "agency": ("public_task", ("social_assistance", "referral"), "60 months"),
    "foundation": ("consent", ("foundation_service", "referral"), "until withdrawn"),
}


def declaration(spec: SourceSpec) -> dict[str, Any]:
    """The source configuration `spec` needs, as the keys `connectors.config` reads."""
    mapped = set(spec.columns.values())
    basis, purposes, retention = DECLARED[spec.organization_type]
    optional = {"delimiter": spec.delimiter, "header_row": spec.header_row, "sheet": spec.sheet}
    data: dict[str, Any] = {
        "id": spec.id,
        "kind": spec.kind,
        "location": "../sources/" + spec.file_name,
        "organization": spec.organization,
        "organization_name": spec.organization_name,
        "organization_type": spec.organization_type,
        "encoding": spec.encoding,
        **{key: value for key, value in optional.items() if value is not None},
        "date_formats": list(spec.date_formats),
        "personal": [f for f in PERSONAL if f in mapped],
        "special_category": [f for f in SPECIAL_CATEGORY if f in mapped],
        "legal_basis": basis,
        "purposes": list(purposes),
        "retention": retention,
        "columns": dict(spec.columns),
    }
    if spec.content != "persons":
        data["content"] = spec.content
    if spec.values:
        data["values"] = {field: dict(mapping) for field, mapping in spec.values.items()}
    if spec.services:
        data["services"] = dict(spec.services)
    return data


def write(spec: SourceSpec, config_dir: Path) -> Path:
    path = config_dir / f"{spec.id}.toml"
    write_config(path, declaration(spec))
    return path
