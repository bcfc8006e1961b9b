from __future__ import annotations

from datetime import date

import pytest
from neo4j import Driver

from domain.rows import SourceRecord
from domain.shapes import Scope
from graph.driver import GraphTarget
from graph.errors import GraphInputError
from graph.repository import VISIBLE, GraphRepository, lucene_query

pytestmark = pytest.mark.anyio

ALL: Scope = {"organization": None, "special_category": True, "opened": []}
YAY_A: Scope = {"organization": "YAY-A", "special_category": False, "opened": []}
YAY_B: Scope = {"organization": "YAY-B", "special_category": False, "opened": []}


async def test_households_by_id_are_aligned_and_scoped(repository: GraphRepository) -> None:
    rows = await repository.households(["H1", "nope", "H4"], ALL)
    assert [r and r["household_id"] for r in rows] == ["H1", None, "H4"]
    assert rows[0] is not None and rows[0]["kelurahan"] == "Gegerkalong"
    # YAY-A served H1 and Dinsos loaded its records; YAY-B was referred H4
    assert [r and r["household_id"] for r in await repository.households(["H1", "H4"], YAY_A)] == [
        "H1",
        None,
    ]
    assert [r and r["household_id"] for r in await repository.households(["H1", "H4"], YAY_B)] == [
        None,
        "H4",
    ]


async def test_an_api_record_shows_its_person_as_sent_not_the_household(
    repository: GraphRepository,
) -> None:
    await repository.write(
        [
            SourceRecord(
                record_key="api-yay-b:9",
                source="api-yay-b",
                organization="YAY-B",
                source_record_id="9",
                person_id="P3",
                full_name="Asep S.",
                nik="3273010101750003",
                via_api=True,
            )
        ]
    )
    assert await repository.households(["H2"], YAY_B) == [None]
    assert await repository.household_parts(["H2"], ["members"], YAY_B) == [None]
    [person] = await repository.persons(["P3"], YAY_B)
    assert person is not None and person["submitted_only"]
    assert (person["full_name"], person["household_id"]) == ("Asep S.", None)
    assert person["linked_household_id"] == "H2"  # for the API's checks, never shown
    assert "relationship" not in person and "phone" not in person
    assert await repository.person_problems(["P3"], YAY_B) == [[]]
    [records] = await repository.source_records(["P3"], YAY_B)
    assert [(r["record_key"], r["evidence"]) for r in records] == [("api-yay-b:9", [])]
    assert await repository.persons(["P3"], YAY_A) == [None]  # another organization: nothing
    # a consent in force or a confirmed link (the scope's `opened`) opens it
    opened: Scope = {**YAY_B, "opened": ["P3"]}
    assert [r and r["household_id"] for r in await repository.households(["H2"], opened)] == ["H2"]
    [whole] = await repository.persons(["P3"], opened)
    assert whole is not None and whole["full_name"] == "Asep Saepudin"
    assert len((await repository.source_records(["P3"], opened))[0]) == 2


async def test_special_category_problems_are_filtered_in_cypher(
    repository: GraphRepository,
) -> None:
    wanted = ["household_problems", "members", "assessments"]
    [full] = await repository.household_parts(["H1"], wanted, ALL)
    [scoped] = await repository.household_parts(["H1"], wanted, YAY_A)
    assert full is not None and scoped is not None
    assert {p["code"] for p in full["household_problems"]} == {"PPKS16", "PPKS24"}
    assert {p["code"] for p in scoped["household_problems"]} == {"PPKS24"}
    # a member's own problems are filtered the same way
    assert {c["code"] for m in full["members"] for c in m["problems"]} == {"PPKS16", "PPKS24"}
    assert {c["code"] for m in scoped["members"] for c in m["problems"]} == {"PPKS24"}
    assert scoped["assessments"] == []
    assert len(full["assessments"]) == 1


async def test_household_parts_come_in_one_call_aligned_with_the_ids(
    repository: GraphRepository,
) -> None:
    every = [
        "household",
        "members",
        "household_problems",
        "current_programs",
        "service_history",
        "assessments",
        "referrals",
    ]
    views = await repository.household_parts(["H1", "nope", "H4"], every, ALL)
    assert [v and v["household"]["household_id"] for v in views] == ["H1", None, "H4"]
    h1 = views[0]
    assert h1 is not None and set(h1) == set(every)
    assert h1["household"]["kelurahan"] == "Gegerkalong"
    assert h1["members"][0]["relationship"] == "KEPALA"  # the head first
    assert {s["program"] for s in h1["service_history"]} >= {"BPNT"}
    # only the parts asked for; an unknown part is an input error
    [members_only] = await repository.household_parts(["H1"], ["members"], ALL)
    assert members_only is not None and set(members_only) == {"members"}
    with pytest.raises(GraphInputError, match="household parts"):
        await repository.household_parts(["H1"], ["memberz"], ALL)


async def test_fuzzy_name_search(repository: GraphRepository) -> None:
    page = await repository.search_persons("Jajang Sudrajat", ALL)
    assert page["rows"][0]["person_id"] == "P4"
    fuzzy = await repository.search_persons("hermawen", ALL)
    assert [r["person_id"] for r in fuzzy["rows"]] == ["P1"]
    in_isola = await repository.search_persons("asep", ALL, kelurahan="Isola")
    assert in_isola["total"] == 0
    assert (await repository.search_persons("asep", YAY_A))["total"] == 0


async def test_household_filters_sorting_and_paging(repository: GraphRepository) -> None:
    page = await repository.find_households(ALL, filters={"decile": 1}, limit=1)
    assert page["total"] == 2 and page["rows"][0]["household_id"] == "H1"
    by_nik = await repository.find_households(ALL, filters={"nik": "3273010101750003"})
    assert [r["household_id"] for r in by_nik["rows"]] == ["H2"]
    area = await repository.find_households(
        ALL, filters={"kelurahan_code": "3273011001", "rt": "1", "rw": "2"}
    )
    assert area["total"] == 2
    desc = await repository.find_households(ALL, filters={}, sort="DECILE", descending=True)
    assert desc["rows"][0]["household_id"] == "H4"


async def test_duplicated_aid(repository: GraphRepository) -> None:
    dup = await repository.duplicated_aid(ALL, start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert [(r["household_id"], r["need"]) for r in dup["rows"]] == [("H1", "food")]
    assert dup["rows"][0]["funders"] == ["APBN", "YAY-A"]


async def test_programs_and_funders(repository: GraphRepository) -> None:
    programs = {p["code"]: p for p in await repository.programs(ALL)}
    assert programs["BPNT"]["households_reached"] == 2
    assert programs["PKH"]["households_in_need"] == 3
    funders = {f["code"]: f for f in await repository.funders(ALL)}
    assert funders["APBN"]["households_reached"] == 2


async def test_visible_households_follow_the_scope(repository: GraphRepository) -> None:
    everyone = await repository.visible_households(ALL)
    assert everyone == sorted(everyone) and {"H1", "H4"} <= set(everyone)
    mine = await repository.visible_households(YAY_A)
    assert "H1" in mine and "H4" not in mine  # H4 is not open to YAY-A
    assert set(mine) < set(everyone)


async def test_lineage_with_match_evidence(repository: GraphRepository) -> None:
    records = (await repository.source_records(["P1"], ALL))[0]
    assert {r["record_key"] for r in records} == {"dtks:1", "yaya:1"}
    yaya = next(r for r in records if r["record_key"] == "yaya:1")
    assert yaya["evidence"][0]["other_record_key"] == "dtks:1"


def test_lucene_query_escapes_and_fuzzes() -> None:
    assert lucene_query('Hj. "Euis"') == "(hj OR hj*) AND (euis~1 OR euis*)"
    assert lucene_query("+-!") == ""


#: every status a household may have, so the list is compared whole
EVERY_STATUS = {"statuses": ["active", "merged", "withdrawn", "proposed"]}


async def test_a_scoped_list_starts_from_what_is_open_and_finds_what_visible_finds(
    repository: GraphRepository, city_graph: Driver, graph_target: GraphTarget
) -> None:
    """`VISIBLE_CANDIDATES` is a superset of what `VISIBLE` opens: for each
    organization, on each basis (serving, a referral to it, its ingested
    records, a record it submitted through the API, an opened person), the
    scoped list is the households VISIBLE holds for when tested on every one."""
    await repository.write(  # YAY-B submits a record of its own about a new household
        [
            SourceRecord(
                record_key="api-yay-b:own",
                source="api-yay-b",
                organization="YAY-B",
                source_record_id="own",
                person_id="P-OWN",
                full_name="Euis Own",
                via_api=True,
            )
        ]
    )
    city_graph.execute_query(
        "MERGE (p:Person {person_id: 'P-OWN'}) MERGE (h:Household {household_id: 'H-OWN'}) "
        "MERGE (p)-[:MEMBER_OF]->(h) WITH p "
        "MATCH (sr:SourceRecord {record_key: 'api-yay-b:own'}) MERGE (sr)-[:IDENTIFIES]->(p)",
        database_=graph_target.database,
    )
    scopes: list[Scope] = [
        {"organization": org, "special_category": False, "opened": opened}
        for org in ("DINSOS", "YAY-A", "YAY-B", "NOBODY")
        for opened in ([], ["P3"])
    ]
    seen = {}
    for scope in scopes:
        every, _, _ = city_graph.execute_query(
            "MATCH (h:Household) WHERE coalesce(h.status, 'active') IN $statuses AND "
            + VISIBLE
            + " RETURN h.household_id AS id ORDER BY id",
            {"org": scope["organization"], "opened": scope["opened"], **EVERY_STATUS},
            database_=graph_target.database,
        )
        page = await repository.find_households(scope, filters=EVERY_STATUS, offset=0, limit=1000)
        listed = sorted(r["household_id"] for r in page["rows"])
        assert listed == [r["id"] for r in every], scope
        assert page["total"] == len(listed)
        seen[(scope["organization"], bool(scope["opened"]))] = set(listed)
    # the bases were all there: each organization opens something, YAY-B its own
    # submission, an opened person more than none
    assert seen[("YAY-A", False)] and seen[("YAY-B", False)]
    assert "H-OWN" in seen[("YAY-B", False)] and "H-OWN" not in seen[("YAY-A", False)]
    assert seen[("NOBODY", False)] == set() and seen[("NOBODY", True)]
