from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest
from city import city
from neo4j import Driver

from graph.errors import GraphInputError
from graph.loader import _slices, last_load_at, load


def count(driver: Driver, cypher: str) -> int:
    return int(driver.execute_query(cypher).records[0][0])


def test_full_load_builds_the_graph(empty_graph: Driver) -> None:
    report = load(empty_graph, city(), batch_size=2)
    assert report.tables["persons"].rows == 5
    assert count(empty_graph, "MATCH (p:Person) RETURN count(p)") == 5
    assert count(empty_graph, "MATCH (:Person)-[:MEMBER_OF]->(h:Household) RETURN count(h)") == 5
    assert (
        count(
            empty_graph,
            "MATCH (:Household {household_id:'H1'})-[:LIVES_IN]->(:Kelurahan)-[:IN]->"
            "(k:Kecamatan {code:'327301'}) RETURN count(k)",
        )
        == 1
    )
    served = "MATCH (:Organization {id:'YAY-A'})-[:SERVES]->(h) RETURN count(h)"
    assert count(empty_graph, served) == 1
    assert (
        count(
            empty_graph,
            "MATCH (:Service)-[:UNDER]->(:Program)-[:ADDRESSES]->(:Problem) RETURN count(*)",
        )
        == 4
    )
    assert count(empty_graph, "MATCH (:SourceRecord)-[m:MATCHED]->() RETURN count(m)") == 1
    assert last_load_at(empty_graph) is not None


def test_reload_of_the_same_data_changes_nothing(empty_graph: Driver) -> None:
    load(empty_graph, city())
    again = load(empty_graph, city())
    assert not again.changed, again.tables


def test_incremental_upsert_writes_only_what_changed(empty_graph: Driver) -> None:
    load(empty_graph, city())
    persons = city()["persons"].to_pylist()
    moved = dict(persons[3], household_id="H2", ppks=["PPKS08"])  # Jajang moves, new problem
    report = load(empty_graph, {"persons": pa.Table.from_pylist([*persons[:3], moved])})
    table = report.tables["persons"]
    assert table.rows == 4
    assert table.relationships_deleted == 2  # old MEMBER_OF and HAS_PROBLEM
    assert table.relationships_created == 2
    assert (
        count(
            empty_graph,
            "MATCH (:Person {person_id:'P4'})-[:MEMBER_OF]->(h) "
            "WHERE h.household_id = 'H2' RETURN count(h)",
        )
        == 1
    )
    assert (
        count(empty_graph, "MATCH (:Person {person_id:'P4'})-[:HAS_PROBLEM]->(p) RETURN count(p)")
        == 1
    )


def test_rows_as_plain_mappings_and_clear_errors(empty_graph: Driver) -> None:
    load(empty_graph, {"organizations": [{"id": "YAY-C", "name": "Yayasan C"}]})
    assert count(empty_graph, "MATCH (o:Organization {id:'YAY-C'}) RETURN count(o)") == 1
    with pytest.raises(GraphInputError, match="column 'id' is empty"):
        load(empty_graph, {"organizations": [{"name": "no id"}]})
    with pytest.raises(GraphInputError, match="unknown table"):
        load(empty_graph, {"people": []})


def test_first_load_links_every_row_to_its_own_target(empty_graph: Driver) -> None:
    # many rows, many distinct targets, several batches on two writers: each
    # relationship of the create path must reach the node its row names
    kel = [{"code": f"K{k}", "name": f"Kel {k}", "kecamatan_code": f"C{k % 3}"} for k in range(7)]
    households = [{"household_id": f"H{h}", "kelurahan_code": f"K{h % 7}"} for h in range(50)]
    services = [
        {
            "service_id": f"S{s}",
            "household_id": f"H{s % 50}",
            "program": f"PR{s % 5}",
            "organization": f"ORG{s % 4}",
            "funder": None if s % 6 == 0 else "APBN",
        }
        for s in range(120)
    ]
    report = load(
        empty_graph,
        {"kelurahan": kel, "households": households, "services": services},
        batch_size=16,
        writers=2,
    )
    assert report.tables["services"].nodes_created == 120 + 5 + 4 + 1  # new targets too
    assert (
        count(
            empty_graph,
            "MATCH (k:Kelurahan)-[:IN]->(c:Kecamatan) "
            "WHERE k.kecamatan_code = c.code RETURN count(*)",
        )
        == 7
    )
    assert (
        count(
            empty_graph,
            "MATCH (h:Household)-[:LIVES_IN]->(k:Kelurahan) "
            "WHERE h.kelurahan_code = k.code RETURN count(*)",
        )
        == 50
    )
    assert (
        count(
            empty_graph,
            "MATCH (s:Service)-[:UNDER]->(p:Program) WHERE s.program = p.code RETURN count(*)",
        )
        == 120
    )
    assert (
        count(
            empty_graph,
            "MATCH (s:Service)-[:DELIVERED_BY]->(o:Organization) "
            "WHERE s.organization = o.id RETURN count(*)",
        )
        == 120
    )
    assert (
        count(
            empty_graph, "MATCH (s:Service)-[:FUNDED_BY]->(:Funder {code: 'APBN'}) RETURN count(*)"
        )
        == 100
    )
    assert (
        count(empty_graph, "MATCH (s:Service)-[:RECEIVED_BY]->(h:Household) RETURN count(*)") == 120
    )
    assert (
        count(
            empty_graph,
            "MATCH (s:Service)-[:RECEIVED_BY]->(h:Household) "
            "WHERE h.household_id = 'H' + toString(toInteger("
            "substring(s.service_id, 1)) % 50) RETURN count(*)",
        )
        == 120
    )
    assert (
        count(empty_graph, "MATCH (o:Organization)-[:SERVES]->(:Household) RETURN count(*)") == 100
    )  # (s % 4, s % 50) pairs


def test_first_load_creates_a_missing_link_target_instead_of_losing_the_link(
    empty_graph: Driver,
) -> None:
    load(empty_graph, {"households": [{"household_id": "H1"}]})
    report = load(
        empty_graph,
        {
            "persons": [
                {"person_id": "P1", "household_id": "H1", "ppks": ["PPKS24"]},
                {"person_id": "P2", "household_id": "H-unknown"},
            ]
        },
    )
    assert report.tables["persons"].relationships_created == 3
    assert (
        count(
            empty_graph,
            "MATCH (:Person {person_id:'P2'})-[:MEMBER_OF]->"
            "(h:Household {household_id:'H-unknown'}) RETURN count(h)",
        )
        == 1
    )
    assert (
        count(
            empty_graph,
            "MATCH (:Person)-[:HAS_PROBLEM]->(p:Problem {code:'PPKS24'}) RETURN count(p)",
        )
        == 1
    )
    assert count(empty_graph, "MATCH (h:Household) RETURN count(h)") == 2
    assert not load(
        empty_graph,
        {
            "persons": [
                {"person_id": "P1", "household_id": "H1", "ppks": ["PPKS24"]},
                {"person_id": "P2", "household_id": "H-unknown"},
            ]
        },
    ).changed


def test_a_row_without_its_required_link_is_refused(empty_graph: Driver) -> None:
    with pytest.raises(GraphInputError, match="column 'household_id' is empty"):
        load(empty_graph, {"referrals": [{"referral_id": "R1", "household_id": None}]})
    with pytest.raises(GraphInputError, match="no column 'kecamatan_code'"):
        load(empty_graph, {"kelurahan": [{"code": "K1", "name": "Kel"}]})
    assert count(empty_graph, "MATCH (n) RETURN count(n)") == 0


def test_first_load_batches_are_even_and_a_multiple_of_the_writers() -> None:
    for rows, batch, writers, count in (
        (60_203, 5_000, 2, 14),
        (5, 2, 2, 4),
        (10_001, 3_000, 2, 4),
        (9, 2, 3, 6),
    ):
        slices = _slices(rows, batch, writers)
        assert len(slices) == count, (rows, batch, writers)
        assert [s for s, _ in slices] == [
            sum(n for _, n in slices[:i]) for i in range(count)
        ]  # contiguous
        assert sum(n for _, n in slices) == rows
        assert max(n for _, n in slices) <= batch
        assert max(n for _, n in slices) - min(n for _, n in slices) <= 1
    assert _slices(20_000, 5_000, 2) == [
        (0, 5_000),
        (5_000, 5_000),
        (10_000, 5_000),
        (15_000, 5_000),
    ]
    assert _slices(3, 5_000, 2) == [(0, 3)]
    assert _slices(7, 2, 1) == [(0, 1), (1, 2), (3, 2), (5, 2)]


def test_dates_and_local_datetimes_keep_their_types_on_both_paths(empty_graph: Driver) -> None:
    """They travel as ISO text that the statement parses (graph.statements.wire)."""
    at = datetime(2026, 12, 2, 13, 15, 4, 91812)
    rows = pa.table(
        {
            "record_key": ["r1", "r2"],
            "birth_date": pa.array([date(1980, 4, 12), None], pa.date32()),
            "loaded_at": pa.array([at, at], pa.timestamp("us")),
        }
    )
    read = (
        "MATCH (n:SourceRecord) RETURN n.record_key AS k, n.birth_date AS born, "
        "n.loaded_at AS at, valueType(n.birth_date) AS tb, valueType(n.loaded_at) AS ta "
        "ORDER BY k"
    )
    for later in (None, at + timedelta(microseconds=1)):  # the create path, then an upsert
        if later is not None:
            rows = rows.set_column(2, "loaded_at", pa.array([later, at], pa.timestamp("us")))
        load(empty_graph, {"source_records": rows})
        got = [r.data() for r in empty_graph.execute_query(read).records]
        assert [(g["tb"], g["ta"]) for g in got] == [
            ("DATE NOT NULL", "LOCAL DATETIME NOT NULL"),
            ("NULL", "LOCAL DATETIME NOT NULL"),
        ]
        assert got[0]["born"].to_native() == date(1980, 4, 12)
        assert [g["at"].to_native() for g in got] == rows.column("loaded_at").to_pylist()
