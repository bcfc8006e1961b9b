"""The city the hub serves: its Kemendagri code, name and reference data versions."""

from __future__ import annotations

from typing import Final

from domain.regions import REGION_DATA_VERSION

#: Kemendagri code of Kota Bandung (province 32 Jawa Barat, city 73); a NIK from the
#: city starts with it.
CITY_CODE: Final[str] = "3273"
CITY_NAME: Final[str] = "Kota Bandung"
#: The city's name in upper case, as Kemensos' templates write it.
CITY_NAME_UPPER: Final[str] = CITY_NAME.upper()
#: Version of connectors/reference (PPKS, programs, the city's kecamatan and kelurahan).
REFERENCE_VERSION: Final[str] = "2025.2"
#: Version of Indonesia's region codes (domain/regions).
REGIONS_VERSION: Final[str] = REGION_DATA_VERSION

__all__ = [
    "CITY_CODE",
    "CITY_NAME",
    "CITY_NAME_UPPER",
    "REFERENCE_VERSION",
    "REGIONS_VERSION",
]
