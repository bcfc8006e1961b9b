from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from connectors import SourceConfig, load_configs

HEADER = "ID;Nama Lengkap;NIK;No KK;Tgl Lahir;JK;Kelurahan;Kecamatan"
#: Budi: a valid Bandung NIK for a man born 15-01-1990; Siti: a woman (day + 40) born 15-01-1992.
AREA = "Cibaduyut;Bojongloa Kidul"
BUDI = f"A1;Budi Santoso;3273011501900001;3273010101100001;15-01-1990;Laki-laki;{AREA}"
SITI = f"A2;Siti Aminah;3273015501920002;3273010101100001;15-01-1992;Perempuan;{AREA}"

COLUMNS = """
[columns]
"ID" = "source_record_id"
"Nama Lengkap" = "full_name"
"NIK" = "nik"
"No KK" = "no_kk"
"Tgl Lahir" = "birth_date"
"JK" = "sex"
"Kelurahan" = "kelurahan"
"Kecamatan" = "kecamatan"
[values.sex]
"Laki-laki" = "L"
"Perempuan" = "P"
"""

WriteSource = Callable[..., SourceConfig]


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture
def write_source(tmp_path: Path) -> WriteSource:
    """Write a data file and its TOML; return the parsed config."""

    def write(
        data: str | bytes | None = None,
        *,
        id: str = "yayasan-001",
        kind: str = "csv",
        file: str = "data.csv",
        extra: str = 'delimiter = ";"\ndate_formats = ["%d-%m-%Y"]',
        columns: str = COLUMNS,
    ) -> SourceConfig:
        sources = tmp_path / "sources"
        sources.mkdir(exist_ok=True)
        if data is not None:
            target = sources / file
            if isinstance(data, bytes):
                target.write_bytes(data)
            else:
                target.write_text(data, encoding="utf-8")
        config_dir = tmp_path / "config"
        config_dir.mkdir(exist_ok=True)
        toml = config_dir / f"{id}.toml"
        location = file if "://" in file else f"../sources/{file}"
        toml.write_text(
            f'id = "{id}"\nkind = "{kind}"\nlocation = "{location}"\n'
            f'organization = "ORG-{id.upper()}"\norganization_name = "Yayasan Uji"\n'
            f'organization_type = "foundation"\n{extra}\n{columns}',
            encoding="utf-8",
        )
        [config] = load_configs(toml)
        return config

    return write


def csv_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"
