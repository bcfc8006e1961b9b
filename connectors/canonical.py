"""The canonical person record: the contract between connectors/ and linkage/.

Every source, whatever its headers, is mapped to these fields before staging.
`linkage/` reads only these names (from the DuckDB view `current_records`).
"""

from __future__ import annotations

import re
from typing import Final

#: field name -> DuckDB type, in the order of the staging tables.
PERSON_FIELDS: Final[dict[str, str]] = {
    "source_record_id": "VARCHAR",
    "nik": "VARCHAR",  # 16 digits, Nomor Induk Kependudukan
    "no_kk": "VARCHAR",  # 16 digits, Nomor Kartu Keluarga (family card)
    "full_name": "VARCHAR",
    "birth_date": "DATE",
    "birth_place": "VARCHAR",
    "sex": "VARCHAR",  # 'L' (laki-laki) or 'P' (perempuan)
    "relationship": "VARCHAR",  # to the head of family: KEPALA, ISTRI, ANAK, ...
    "address": "VARCHAR",  # free text as the source wrote it
    "street": "VARCHAR",
    "house_number": "VARCHAR",
    "rt": "VARCHAR",
    "rw": "VARCHAR",
    "kelurahan": "VARCHAR",
    "kecamatan": "VARCHAR",
    "city": "VARCHAR",
    "phone": "VARCHAR",
    "ppks": "VARCHAR[]",  # PPKS codes, see connectors/reference
    "welfare_decile": "INTEGER",  # DTSEN desil 1..10
}

#: A service or benefit received, as a source records it.
SERVICE_FIELDS: Final[dict[str, str]] = {
    "source_record_id": "VARCHAR",  # the person record it belongs to
    "program": "VARCHAR",
    "service_date": "DATE",
    "amount": "DECIMAL(14,2)",
    "funder": "VARCHAR",
}

#: A DTSEN decile file's fields (a source with `content = "deciles"`, staged by
#: connectors.deciles): a household named by a member's NIK or its KK number,
#: its DTSEN welfare decile (desil) and the DTSEN period (YYYY-MM) it is of.
DECILE_FIELDS: Final[dict[str, str]] = {
    "source_record_id": "VARCHAR",
    "nik": "VARCHAR",
    "no_kk": "VARCHAR",
    "welfare_decile": "INTEGER",
    "dtsen_period": "VARCHAR",
}

#: Fields that identify a person; a row with none of them usable (no valid NIK, no valid
#: KK, no name) is quarantined. A malformed NIK or KK alone is a flagged field.
IDENTIFYING_FIELDS: Final[tuple[str, ...]] = ("nik", "no_kk", "full_name")

#: Every source of API submissions (hub.intake) is named with this prefix, `api-<organization>`;
#: linkage marks their records `via_api`, and such a record does not open a known person's
#: household to its submitter (a file source so named is treated alike: the safe direction).
INTAKE_SOURCE_PREFIX: Final[str] = "api-"


def organization_slug(organization: str) -> str:
    """An organization id as it appears in the source ids made for it (`api-<slug>`)."""
    return re.sub(r"[^a-z0-9]+", "-", organization.lower()).strip("-")


__all__ = [
    "DECILE_FIELDS",
    "IDENTIFYING_FIELDS",
    "INTAKE_SOURCE_PREFIX",
    "PERSON_FIELDS",
    "SERVICE_FIELDS",
    "organization_slug",
]
