"""Legal basis, purposes and retention declared per source (UU PDP)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from connectors import SourceConfigError, ingest
from connectors.config import parse_config
from connectors.legal import LEGAL_BASES, purposes, resolve
from simulator.configs import DECLARED
from tests.connectors.conftest import BUDI, WriteSource, csv_text

BASE = {
    "id": "y1",
    "kind": "csv",
    "location": "x.csv",
    "organization": "Y",
    "columns": {"Nama": "full_name"},
}


def test_the_six_bases_of_art_20_and_a_registry_that_uses_only_them() -> None:
    assert LEGAL_BASES == (
        "consent",
        "contract",
        "legal_obligation",
        "vital_interest",
        "public_task",
        "legitimate_interest",
    )
    assert {p.legal_basis for p in purposes().values()} <= set(LEGAL_BASES)
    assert "case_management" in purposes()


def test_a_stated_purpose_resolves_to_code_basis_and_note() -> None:
    assert (
        resolve("Case_Management: home visit", strict=True)
        == "case_management [public_task]: home visit"
    )
    assert resolve("emergency_response", strict=True) == "emergency_response [vital_interest]"
    assert resolve("curiosity", strict=True) is None
    assert resolve("curiosity", strict=False) == "curiosity [unregistered]"


def test_a_source_declares_basis_purposes_and_retention() -> None:
    cfg = parse_config(
        {
            **BASE,
            "legal_basis": "consent",
            "purposes": ["foundation_service"],
            "retention": "24 Months",
        },
        Path("y1.toml"),
    )
    assert (cfg.legal_basis, cfg.purposes, cfg.retention, cfg.retention_months) == (
        "consent",
        ("foundation_service",),
        "24 months",
        24,
    )
    assert (
        parse_config({**BASE, "retention": "until_withdrawn"}, Path("y1.toml")).retention
        == "until withdrawn"
    )


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("legal_basis", "because", "Art. 20"),
        ("purposes", ["marketing"], "purpose registry"),
        ("retention", "forever", "24 months"),
        ("retention", "0 months", "24 months"),
    ],
)
def test_bad_declarations_are_refused_by_name(key: str, value: object, says: str) -> None:
    with pytest.raises(SourceConfigError, match=says) as caught:
        parse_config({**BASE, key: value}, Path("y1.toml"))
    assert key in str(caught.value)


def test_staging_records_the_declaration_and_warns_without_a_basis(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    declared = write_source(
        csv_text(BUDI),
        extra='delimiter = ";"\ndate_formats = ["%d-%m-%Y"]\n'
        'legal_basis = "consent"\npurposes = ["foundation_service"]\n'
        'retention = "until withdrawn"\npersonal = ["nik"]',
    )
    [summary] = ingest(con, [declared])
    assert not any("legal_basis" in w for w in summary.warnings)
    assert con.execute("SELECT legal_basis, purposes, retention FROM sources").fetchall() == [
        ("consent", ["foundation_service"], "until withdrawn")
    ]
    undeclared = write_source(
        csv_text(BUDI),
        id="yayasan-002",
        extra='delimiter = ";"\ndate_formats = ["%d-%m-%Y"]\npersonal = ["nik"]',
    )
    [summary] = ingest(con, [undeclared])
    assert any("no legal_basis" in w for w in summary.warnings)


def test_every_kind_of_synthetic_organization_declares_a_basis() -> None:
    for basis, codes, _retention in DECLARED.values():
        assert basis in LEGAL_BASES and set(codes) <= set(purposes())


def test_retention_lets_go_only_records_no_longer_delivered(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    import datetime as dt

    from connectors.erasure import erase_staged, expired_records
    from tests.connectors.conftest import SITI

    head = 'delimiter = ";"\ndate_formats = ["%d-%m-%Y"]\n'
    kept = write_source(csv_text(BUDI, SITI), extra=head + 'retention = "6 months"')
    ingest(con, [kept])
    ingest(con, [write_source(csv_text(BUDI), extra=head + 'retention = "6 months"')])
    now = dt.datetime.now()
    assert expired_records(con, now) == []  # SITI withdrawn just now: kept six months
    later = now + dt.timedelta(days=200)
    assert expired_records(con, later) == [("yayasan-001:A2", "yayasan-001: 6 months")]
    assert erase_staged(con, ["yayasan-001:A2"], "retention", later) == 1
    assert con.execute(
        "SELECT count(*) FROM records WHERE record_key = 'yayasan-001:A2'"
    ).fetchone() == (0,)
    assert erase_staged(con, ["yayasan-001:A2"], "retention", later) == 0  # idempotent
    again = write_source(csv_text(BUDI, SITI), extra=head + 'retention = "6 months"')
    [summary] = ingest(con, [again])  # the source sends SITI again: not staged again
    assert summary.staged == 1 and any("erased" in w for w in summary.warnings)
    assert expired_records(con, later) == []
