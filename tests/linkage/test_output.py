"""linkage.output on a generated city, ingested by the connectors and linked:
the tables keep their documented columns, a person's values come from their
best record, the statuses follow the status rules after a real re-ingest, and
the same input gives the same rows.

Expectations come from staging (the records as staged, the identity map) and
the rules as the module doc states them, not from the output's own SQL."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

import linkage
from connectors import ensure_staging_tables, ingest, load_configs
from connectors.canonical import INTAKE_SOURCE_PREFIX
from connectors.reference import load_reference
from linkage import COLUMNS, RETIRED, TABLES, NotLinkedError, output_tables, output_views
from linkage.output import VIEW_PREFIX
from simulator import generate_city

pytestmark = pytest.mark.slow

HOUSEHOLDS, SEED = 40, 1812


@dataclass(frozen=True)
class City:
    folder: Path  # config/ and sources/, as generated
    db: Path  # staging, ingested and linked
    models: Path

    def copy(self, to: Path) -> City:
        """A copy to change: the sources, staging and the model."""
        shutil.copytree(self.folder, to / "city")
        shutil.copytree(self.models, to / "models")
        shutil.copy(self.db, to / "hub.duckdb")
        return City(to / "city", to / "hub.duckdb", to / "models")

    def open(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.db))
        load_reference(con)
        ensure_staging_tables(con)
        return con


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory, trained_model_dir: Path) -> City:
    root = tmp_path_factory.mktemp("output-city")
    generate_city(HOUSEHOLDS, SEED, root / "city", foundations=2)
    shutil.copytree(trained_model_dir, root / "models")
    made = City(root / "city", root / "hub.duckdb", root / "models")
    con = made.open()
    try:
        ingest(con, load_configs(made.folder / "config"))
        linkage.run_linkage(con, made.models)
    finally:
        con.close()
    return made


@pytest.fixture
def staging(city: City) -> Iterator[duckdb.DuckDBPyConnection]:
    con = city.open()
    yield con
    con.close()


def dicts(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [str(d[0]) for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_every_table_has_its_documented_columns(staging: duckdb.DuckDBPyConnection) -> None:
    views = output_views(staging)

    assert list(views) == [*TABLES, *RETIRED]
    assert set(COLUMNS) == set(views)
    doc = " ".join((linkage.output.__doc__ or "").split())
    for name, view in views.items():
        assert view == VIEW_PREFIX + name
        assert tuple(staging.sql(f"SELECT * FROM {view}").columns) == COLUMNS[name], name
        assert f"{name} ({', '.join(COLUMNS[name])})" in doc, f"{name}: not as documented"
    tables = output_tables(staging)
    assert list(tables) == list(TABLES)
    assert all(tables[n].num_rows > 0 for n in ("persons", "households", "source_records"))


def test_without_linkage_there_is_no_output(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    load_reference(con)
    ensure_staging_tables(con)
    assert not linkage.is_linked(con)
    with pytest.raises(NotLinkedError, match="hub link") as raised:
        output_views(con)
    assert {"identity_map", "linkage_records"} <= set(raised.value.missing)


def _score(record: dict[str, Any], agencies: set[str]) -> int:
    """The best-record rule as the module doc states it."""
    return (
        4 * bool(record["nik_valid"])
        + 2 * (record["source"] in agencies)
        + (record["birth_date_clean"] is not None)
        + (record["address_key"] is not None)
    )


def test_a_person_is_named_by_their_best_record(staging: duckdb.DuckDBPyConnection) -> None:
    agencies = {
        r["id"]
        for r in dicts(
            staging, "SELECT id FROM sources WHERE organization_type IN ('agency', 'dinsos')"
        )
    }
    records = dicts(
        staging,
        """SELECT i.person_id, r.source, r.full_name, r.nik_valid,
                                       r.birth_date_clean, r.address_key
                                FROM linkage_records r JOIN identity_map i USING (record_key)""",
    )
    by_person: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_person.setdefault(record["person_id"], []).append(record)
    persons = {p["person_id"]: p for p in output_tables(staging)["persons"].to_pylist()}

    assert set(persons) == set(by_person)
    differing = 0
    for person_id, own in by_person.items():
        best = max(_score(r, agencies) for r in own)
        names = {r["full_name"] for r in own if _score(r, agencies) == best}
        assert persons[person_id]["full_name"] == max(names), person_id  # ties: by value
        differing += len({r["full_name"] for r in own}) > 1
    assert differing > 0  # the city has people whose records spell their name apart


def test_source_records_and_scores_as_the_graph_keeps_them(
    staging: duckdb.DuckDBPyConnection,
) -> None:
    tables = output_tables(staging)
    records = tables["source_records"].to_pylist()
    current = {r["record_key"] for r in dicts(staging, "SELECT record_key FROM current_records")}

    assert {r["record_key"] for r in records} == current
    assert all(r["via_api"] == r["source"].startswith(INTAKE_SOURCE_PREFIX) for r in records)
    assert all(
        r["match_probability"] is None or round(r["match_probability"], 3) == r["match_probability"]
        for r in records
    )
    evidence = tables["match_evidence"].to_pylist()
    assert evidence and all(round(e["match_weight"], 1) == e["match_weight"] for e in evidence)


def test_a_service_is_funded_by_its_source_else_its_program(
    staging: duckdb.DuckDBPyConnection,
) -> None:
    staged = dicts(
        staging,
        """SELECT s.record_key, s.program, s.service_date, s.funder,
                                      p.funder_type FROM current_services s
                               LEFT JOIN ref_program p ON p.code = s.program""",
    )
    expected = sorted(
        (s["record_key"], s["program"], s["service_date"], s["funder"] or s["funder_type"])
        for s in staged
    )
    services = output_tables(staging)["services"].to_pylist()

    assert (
        sorted((s["record_key"], s["program"], s["service_date"], s["funder"]) for s in services)
        == expected
    )
    assert len({s["service_id"] for s in services}) == len(services)


def test_a_relink_of_the_same_input_gives_the_same_rows(city: City, tmp_path: Path) -> None:
    mine = city.copy(tmp_path)
    con = mine.open()
    try:
        before = output_tables(con)
        linkage.run_linkage(con, mine.models)
        after = output_tables(con)
    finally:
        con.close()
    for name in TABLES:
        assert after[name].equals(before[name]), name


def _edit(city: City, source: str, changes: dict[str, dict[str, str] | None]) -> None:
    """Change (source column -> value) or drop (None) rows of a CSV source by id,
    written back in the source's own encoding and delimiter."""
    [config] = [c for c in load_configs(city.folder / "config") if c.id == source]
    path = (config.config_file.parent / config.location).resolve()
    delimiter = config.delimiter or ","
    with path.open(newline="", encoding=config.encoding) as f:
        lines = list(csv.reader(f, delimiter=delimiter))
    skip = config.header_row - 1  # title lines above the header stay as they are
    header = lines[skip]
    at = header.index(next(k for k, v in config.columns.items() if v == "source_record_id"))
    out = lines[: skip + 1]
    for row in lines[skip + 1 :]:
        change = changes.get(row[at], {})
        if change is None:
            continue
        for column, value in change.items():
            row[header.index(column)] = value
        out.append(row)
    assert len(out) == len(lines) - sum(c is None for c in changes.values())
    with path.open("w", newline="", encoding=config.encoding) as f:
        csv.writer(f, delimiter=delimiter, quoting=csv.QUOTE_ALL).writerows(out)


def test_statuses_follow_the_sources_after_a_reingest(city: City, tmp_path: Path) -> None:
    mine = city.copy(tmp_path)
    con = mine.open()
    try:
        several = dicts(
            con,
            """
            SELECT person_id, source_record_id FROM identity_map WHERE source = 'disdukcapil'
              AND person_id IN (SELECT person_id FROM identity_map GROUP BY 1 HAVING count(*) >= 2)
              AND person_id NOT IN (SELECT person_id FROM identity_map WHERE source = 'disdukcapil'
                                    GROUP BY 1 HAVING count(*) > 1)
            ORDER BY person_id LIMIT 3""",
        )
        alone = dicts(
            con,
            """
            SELECT i.person_id, i.source, i.source_record_id FROM identity_map i
            JOIN sources s ON s.id = i.source
            WHERE i.source <> 'disdukcapil' AND s.kind = 'csv' AND i.person_id IN (
                SELECT person_id FROM identity_map GROUP BY 1 HAVING count(*) = 1)
            ORDER BY i.person_id LIMIT 1""",
        )
        (word, away, registry), [gone] = several, alone
        _edit(
            mine,
            "disdukcapil",
            {
                word["source_record_id"]: {"STAT_HBKEL": "MENINGGAL"},
                away["source_record_id"]: {"KAB_NAME": "KABUPATEN GARUT"},
                registry["source_record_id"]: None,
            },
        )
        _edit(mine, gone["source"], {gone["source_record_id"]: None})
        ingest(con, load_configs(mine.folder / "config"))
        linkage.run_linkage(con, mine.models)

        tables = output_tables(con)
        views = output_views(con)
        statuses = {p["person_id"]: p["status"] for p in tables["persons"].to_pylist()}
        retired = {r["id"]: r for r in dicts(con, f"SELECT * FROM {views['retired_persons']}")}
    finally:
        con.close()

    assert statuses[word["person_id"]] == "deceased"  # a source says MENINGGAL
    assert statuses[away["person_id"]] == "moved"  # the latest record is outside the city
    assert statuses[registry["person_id"]] == "deceased"  # the civil registry withdrew the row
    assert gone["person_id"] not in statuses  # no current record left: retired
    assert retired[gone["person_id"]] == {
        "id": gone["person_id"],
        "status": "withdrawn",
        "survivor_id": None,
    }
    others = set(statuses) - {word["person_id"], away["person_id"], registry["person_id"]}
    assert {statuses[p] for p in others} <= {"active", "deceased", "moved"}
