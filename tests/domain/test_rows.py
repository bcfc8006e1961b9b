"""The typed rows of `domain.rows`: what they carry through the journal, and the
household's fields defined once (every place that lists them agrees with
`Household`, and the README names every file a new household field touches)."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import strawberry

from domain import rows
from domain.rows import HOUSEHOLD_FIELDS, HOUSEHOLD_PROPERTIES, Household
from graph.loader import SPECS
from graph.repository import HOUSEHOLD_PROJECTION
from schema.permissions import POLICIES
from schema.types.household import SHOWN_AS
from schema.types.household import Household as HouseholdType

ROOT = Path(__file__).resolve().parents[2]
#: what the GraphQL type adds to a household's fields: the area names, the merged id
DERIVED = {"kelurahan", "kecamatan", "resolved_from"}


def _through_json(row: rows.GraphRow) -> dict[str, object]:
    """The row as the journal keeps it (dates as ISO text)."""
    loaded: dict[str, object] = json.loads(json.dumps(row.as_dict(), default=str))
    return loaded


def test_a_row_comes_back_from_the_journal_as_it_went_in() -> None:
    at = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    referral = rows.Referral(
        referral_id="ref-1",
        household_id="H1",
        from_org="DINSOS",
        to_org="YAY-A",
        status="OPEN",
        created_at=at,
        updated_at=at,
        history=("OPEN",),
        from_scoped=False,
    )
    service = rows.Service(
        service_id="svc-1",
        household_id="H1",
        program="BPNT",
        service_date=date(2026, 11, 2),
        amount=200_000.0,
    )
    for row in (referral, service):
        assert type(row).from_mapping(_through_json(row)) == row
    assert _through_json(referral)["history"] == ["OPEN"]  # lists for the graph and JSON


def test_typed_keeps_only_what_was_given_so_a_move_folds_into_its_referral() -> None:
    move = rows.ReferralMove(
        referral_id="ref-1",
        status="ACCEPTED",
        updated_at=datetime(2026, 12, 1, 9, 0),
        history=("OPEN", "ACCEPTED"),
    )
    given = {k: v for k, v in _through_json(move).items() if v is not None}
    typed = rows.Referral.typed({**given, "unknown": 1})
    assert typed == {
        "referral_id": "ref-1",
        "status": "ACCEPTED",
        "updated_at": datetime(2026, 12, 1, 9, 0),
        "history": ("OPEN", "ACCEPTED"),
    }


def test_each_row_is_known_by_its_keys() -> None:
    assert rows.Enrolment(household_id="H1", program="PKH").key == "H1:PKH"
    assert rows.Service(service_id="svc-9").key == "svc-9"
    assert rows.Enrolment.key_of({"household_id": "H1"}) is None
    assert set(rows.JOURNALED) == {
        "services",
        "enrolments",
        "assessments",
        "referrals",
        "change_requests",
        "service_requests",
        "grievances",
        "reported_findings",
    }


def test_rows_are_frozen() -> None:
    row = Household(household_id="H1")
    with pytest.raises(AttributeError):
        row.status = "withdrawn"  # type: ignore[misc]


def test_the_loader_stores_every_household_field() -> None:
    spec = SPECS[Household.ENTITY]
    assert spec.keys == Household.KEYS
    assert spec.properties == HOUSEHOLD_PROPERTIES
    assert (*spec.keys, *spec.properties) == HOUSEHOLD_FIELDS


def test_the_repository_reads_every_household_field() -> None:
    read = re.findall(r"(?<![\w)])\.(\w+)", HOUSEHOLD_PROJECTION)
    assert read == [*HOUSEHOLD_FIELDS, "survivor_id"]


def test_the_graphql_type_shows_every_household_field() -> None:
    definition = HouseholdType.__strawberry_definition__  # type: ignore[attr-defined]
    shown = {f.python_name for f in definition.fields if not f.base_resolver}
    assert shown - DERIVED == {SHOWN_AS.get(name, name) for name in HOUSEHOLD_FIELDS}
    row = {name: f"v-{name}" for name in HOUSEHOLD_FIELDS} | {"welfare_decile": 3}
    household = HouseholdType.from_row(row, POLICIES["dinsos_admin"])
    assert household.id == strawberry.ID("v-household_id") and household.decile == 3
    assert household.house_number == "v-house_number"


def _readme_files() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Adding a household field", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\d+\. `([\w/.]+\.py)`", section, flags=re.M))


def test_the_readme_names_every_file_a_household_field_touches() -> None:
    """A field only households carry (`house_number`) is named, in the packages
    between staging and the API, exactly in the files the README lists."""
    named = {
        str(p.relative_to(ROOT))
        for package in ("domain", "graph", "schema", "hub")
        for p in (ROOT / package).rglob("*.py")
        if re.search(r"\bhouse_number\b", p.read_text(encoding="utf-8"))
    }
    output = ROOT / "linkage" / "output.py"  # linkage's output view computes it
    if re.search(r"\bhouse_number\b", output.read_text(encoding="utf-8")):
        named.add("linkage/output.py")
    assert named == _readme_files()
    assert len(named) <= 3
    assert {f.name for f in fields(Household)} >= {"house_number"}
