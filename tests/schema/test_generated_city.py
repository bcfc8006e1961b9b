"""Every root field and mutation against a generated city: the real pipeline
(generate, ingest, link with Splink, load) into a real Neo4j, served by the
hub's own app with its real intake, review and hash-chained audit.

Expectations come from the data, computed on the side in DuckDB staging (the
identity map, the staged records and services, the reference tables) or
with a plain Cypher read, never from the resolvers' own queries. The read
tests come first; the mutation tests follow and each re-derives what it checks.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from generated_city import (
    AGENCY,
    GeneratedCity,
    Hub,
    busiest_foundation,
    mask,
    old_spelling,
    serve,
)

from hub.analytics import goals_of, published_staging
from hub.security import AuditLog, SecurityDB
from journal import Journal
from linkage import PROBABILITY_DECIMALS, WEIGHT_DECIMALS
from linkage.ledger import IdentityLedger
from linkage.standardise.search import NameTokens
from reports.queries import SHEET_BY_NAME, Period, prepare, sheet_rows

pytestmark = [pytest.mark.anyio, pytest.mark.graph, pytest.mark.slow]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def foundation(staging: duckdb.DuckDBPyConnection) -> str:
    return busiest_foundation(staging)


@pytest.fixture(scope="module")
async def hub(city: GeneratedCity, foundation: str) -> AsyncIterator[Hub]:
    callers = {
        "admin": ("ORG-DINSOS", "dinsos_admin"),
        "worker": ("ORG-DINSOS", "social_worker"),
        "agency": (AGENCY, "agency"),
        "foundation": (foundation, "foundation"),
        "analyst": ("ORG-BAPPEDA", "analyst"),
        "auditor": ("ORG-INSPEKTORAT", "auditor"),
    }
    async with serve(city, callers) as running:
        yield running


# --- side computations in DuckDB ------------------------------------------------------


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> Any:
    found = rows(con, sql, *params)
    assert found, f"no row for {sql}"
    return found[0][0]


def column(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> set[Any]:
    return {r[0] for r in rows(con, sql, *params)}


LINKED = "current_records c JOIN identity_map i USING (record_key)"
SERVED = "current_services s JOIN identity_map i USING (record_key)"
#: (household, PPKS code) for every problem any staged record of a member names
NEEDS = (
    "SELECT DISTINCT i.household_id, u.code FROM identity_map i JOIN "
    "(SELECT record_key, unnest(ppks) AS code FROM linkage_records) u USING (record_key)"
)


def all_households(con: duckdb.DuckDBPyConnection) -> set[str]:
    return column(con, f"SELECT DISTINCT i.household_id FROM {LINKED}")


def visible_to(con: duckdb.DuckDBPyConnection, organization: str) -> set[str]:
    """Households an organization submitted records about or delivered services to."""
    return column(
        con,
        f"""
        SELECT i.household_id FROM {LINKED} WHERE c.organization = $1
        UNION SELECT i.household_id FROM {SERVED} WHERE s.organization = $1""",
        organization,
    )


def special_codes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return column(con, "SELECT code FROM ref_ppks WHERE special_category")


def deciles(con: duckdb.DuckDBPyConnection) -> dict[str, int | None]:
    """A household's decile: the lowest any of its records gives."""
    return dict(
        rows(
            con,
            """SELECT i.household_id, min(r.welfare_decile) FROM linkage_records r
                             JOIN identity_map i USING (record_key) GROUP BY 1""",
        )
    )


def coverage_gaps(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(household, PPKS) with no program addressing it received in the 183 days
    before the latest delivery staged (the enrolment rule)."""
    return set(
        rows(
            con,
            f"""
        WITH latest AS (SELECT max(service_date) - INTERVAL 183 DAY AS since
                        FROM current_services),
        active AS (SELECT i.household_id, s.program FROM {SERVED}
                   GROUP BY ALL HAVING max(s.service_date) >= (SELECT since FROM latest))
        SELECT n.household_id, n.code FROM ({NEEDS}) n
        WHERE NOT EXISTS (SELECT 1 FROM active a JOIN ref_program_ppks pp
                          ON pp.program_code = a.program
                          WHERE a.household_id = n.household_id AND pp.ppks_code = n.code)""",
        )
    )


def graph_areas(city: GeneratedCity) -> dict[str, tuple[str | None, str | None]]:
    """Household -> (kecamatan code, kelurahan code), as a plain property read."""
    return {
        r["h"]: (r["kec"], r["kel"])
        for r in city.cypher(
            "MATCH (h:Household) RETURN h.household_id AS h, h.kecamatan_code AS kec, "
            "h.kelurahan_code AS kel"
        )
    }


def ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [str(n["id"]) for n in nodes]


def small_cell(n: int) -> tuple[int | None, bool]:
    """A count as an analyst gets it: under 5 (but not 0) withheld."""
    return (None, True) if 0 < n < 5 else (n, False)


# --- household 360 ---------------------------------------------------------------------

H360 = """query($id: ID!) { household(id: $id) { id noKk kelurahanCode
  members { id fullName nik problems { code } sourceRecords { recordKey matchProbability } }
  problems { code specialCategory }
  serviceHistory { serviceDate program amount funder organization source }
  sourceRecords { recordKey source } } }"""


def busiest_household(con: duckdb.DuckDBPyConnection, organization: str) -> str:
    """Among an organization's households, the one served by the most sources."""
    return str(
        one(
            con,
            f"""
        SELECT i.household_id FROM {SERVED}
        WHERE i.household_id IN (SELECT i.household_id FROM {LINKED} WHERE c.organization = $1)
        GROUP BY 1 ORDER BY count(DISTINCT s.source) DESC, count(*) DESC, 1 LIMIT 1""",
            organization,
        )
    )


async def test_household_360_shows_members_niks_problems_and_every_source(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    hid = busiest_household(staging, AGENCY)
    h = (await hub.data("admin", H360, id=hid))["household"]

    members = column(
        staging, f"SELECT DISTINCT i.person_id FROM {LINKED} WHERE household_id = $1", hid
    )
    assert set(ids(h["members"])) == members
    for m in h["members"]:
        valid = column(
            staging,
            """SELECT r.nik_clean FROM linkage_records r JOIN identity_map i
                                   USING (record_key) WHERE i.person_id = $1 AND r.nik_valid
                                   AND NOT r.nik_is_kk""",
            m["id"],
        )
        assert (m["nik"] in valid) if valid else m["nik"] is None, (m, valid)
        keys = column(staging, f"SELECT record_key FROM {LINKED} WHERE i.person_id = $1", m["id"])
        assert {r["recordKey"] for r in m["sourceRecords"]} == keys

    assert {r["recordKey"] for r in h["sourceRecords"]} == column(
        staging, f"SELECT record_key FROM {LINKED} WHERE household_id = $1", hid
    )

    staged = rows(
        staging,
        f"""SELECT s.source, s.program, s.service_date, s.amount
                              FROM {SERVED} WHERE household_id = $1""",
        hid,
    )
    assert len({s[0] for s in staged}) >= 2, "the chosen household should have several sources"
    got = [
        (
            s["source"],
            s["program"],
            date.fromisoformat(s["serviceDate"]),
            None if s["amount"] is None else Decimal(str(s["amount"])).quantize(Decimal("0.01")),
        )
        for s in h["serviceHistory"]
    ]
    assert sorted(got, key=repr) == sorted(staged, key=repr)
    dates = [g[2] for g in got]
    assert dates == sorted(dates, reverse=True), "serviceHistory is newest first"

    needs = column(staging, f"SELECT code FROM ({NEEDS}) WHERE household_id = $1", hid)
    assert {p["code"] for p in h["problems"]} == needs

    # the agency submitted a record here: it sees the household, masked, without special PPKS
    seen = (await hub.data("agency", H360, id=hid))["household"]
    assert set(ids(seen["members"])) == members
    full = {m["id"]: m["nik"] for m in h["members"]}
    for m in seen["members"]:
        assert m["nik"] == mask(full[m["id"]])
    assert seen["noKk"] == mask(h["noKk"])
    assert {p["code"] for p in seen["problems"]} == needs - special_codes(staging)


async def test_person_shows_lineage_with_match_evidence(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    pid, hid = rows(
        staging,
        f"""SELECT i.person_id, any_value(i.household_id) FROM {LINKED}
                                GROUP BY 1 HAVING count(DISTINCT c.source) >= 3
                                ORDER BY count(*) DESC, 1 LIMIT 1""",
    )[0]
    query = """query($id: ID!) { person(id: $id) { id householdId household { id }
      sourceRecords { recordKey source matchProbability
        evidence { otherRecordKey matchProbability matchWeight fields } } } }"""
    p = (await hub.data("worker", query, id=pid))["person"]
    assert p["householdId"] == hid and p["household"]["id"] == hid
    linked = dict(
        rows(
            staging,
            f"SELECT record_key, i.match_probability FROM {LINKED} WHERE i.person_id = $1",
            pid,
        )
    )
    assert {r["recordKey"] for r in p["sourceRecords"]} == set(linked)
    pairs = {
        (a, b): w
        for a, b, w in rows(
            staging, "SELECT record_key_l, record_key_r, match_weight FROM link_evidence"
        )
    }
    evidence = 0
    for r in p["sourceRecords"]:
        if linked[r["recordKey"]] is not None:
            # the graph keeps scores at the precision a re-link leaves alone
            assert r["matchProbability"] == pytest.approx(
                round(float(linked[r["recordKey"]]), PROBABILITY_DECIMALS)
            )
        for e in r["evidence"]:
            pair = tuple(sorted((r["recordKey"], e["otherRecordKey"])))
            key = pair if pair in pairs else pair[::-1]
            assert key in pairs, f"evidence {pair} is not a scored pair"
            if pairs[key] is not None:
                assert e["matchWeight"] == pytest.approx(round(float(pairs[key]), WEIGHT_DECIMALS))
            evidence += 1
    assert evidence, "a person seen by three sources was linked by scored pairs"


# --- look-ups ---------------------------------------------------------------------------

HOUSEHOLDS_Q = """query($f: HouseholdFilter, $s: HouseholdSort, $first: Int!, $after: String) {
  households(filter: $f, sort: $s, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id decile kelurahanCode rt rw } } } }"""


async def test_households_paginate_over_the_whole_city_without_repeats(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    nodes = await hub.walk("admin", HOUSEHOLDS_Q, "households", first=37)
    assert len(set(ids(nodes))) == len(nodes)
    assert set(ids(nodes)) == all_households(staging)
    assert ids(nodes) == sorted(ids(nodes)), "the default order is by household id"


async def test_households_by_nik_and_kk(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    # a NIK recorded by two sources of one person, and that person's family card
    nik, kk = rows(
        staging,
        """
        SELECT r.nik_clean, any_value(r.kk_clean) FILTER (WHERE r.kk_valid)
        FROM linkage_records r WHERE r.nik_valid AND NOT r.nik_is_kk
        GROUP BY 1 HAVING count(DISTINCT r.source) >= 2 AND count(r.kk_clean) > 0
        ORDER BY 1 LIMIT 1""",
    )[0]
    want_nik = {
        r["h"]
        for r in city.cypher(
            "MATCH (p:Person) WHERE p.nik = $nik MATCH (p)-[:MEMBER_OF]->(h) "
            "RETURN DISTINCT h.household_id AS h",
            nik=nik,
        )
    }
    assert want_nik == column(
        staging,
        f"""SELECT household_id FROM {LINKED} JOIN linkage_records r
                                         USING (record_key) WHERE r.nik_clean = $1""",
        nik,
    )
    got = await hub.walk("worker", HOUSEHOLDS_Q, "households", first=10, f={"nik": nik})
    assert set(ids(got)) == want_nik

    want_kk = {
        r["h"]
        for r in city.cypher(
            "MATCH (h:Household) WHERE h.no_kk = $kk RETURN h.household_id AS h UNION "
            "MATCH (:Person {no_kk: $kk})-[:MEMBER_OF]->(h) RETURN h.household_id AS h",
            kk=kk,
        )
    }
    assert want_kk, "the family card of a linked person belongs to a household"
    got = await hub.walk("worker", HOUSEHOLDS_Q, "households", first=10, f={"noKk": kk})
    assert set(ids(got)) == want_kk
    assert (
        await hub.error_code("worker", HOUSEHOLDS_Q, first=5, after=None, f={"nik": nik[:10]})
        == "BAD_USER_INPUT"
    )


async def test_households_by_kelurahan_rt_rw_and_kecamatan(hub: Hub, city: GeneratedCity) -> None:
    places = city.cypher("""MATCH (h:Household) WHERE h.kelurahan_code IS NOT NULL
        AND h.rt IS NOT NULL AND h.rw IS NOT NULL
        RETURN h.kelurahan_code AS kel, h.kecamatan_code AS kec, h.rt AS rt, h.rw AS rw,
               collect(h.household_id) AS hs ORDER BY size(hs) DESC, kel, rt, rw LIMIT 1""")
    kel, kec, rt, rw, want = (places[0][k] for k in ("kel", "kec", "rt", "rw", "hs"))
    # RT and RW as people type them ("1" for "001")
    got = await hub.walk(
        "worker",
        HOUSEHOLDS_Q,
        "households",
        first=10,
        f={"kelurahanCode": kel, "rt": str(int(rt)), "rw": str(int(rw))},
    )
    assert set(ids(got)) == set(want)
    assert {(n["kelurahanCode"], n["rt"], n["rw"]) for n in got} == {(kel, rt, rw)}

    in_kec = {h for h, (k, _) in graph_areas(city).items() if k == kec}
    got = await hub.walk("worker", HOUSEHOLDS_Q, "households", first=25, f={"kecamatanCode": kec})
    assert set(ids(got)) == in_kec


async def test_households_by_problem_and_decile(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    needs = rows(staging, NEEDS)
    code = Counter(c for _, c in needs if c not in special_codes(staging)).most_common(1)[0][0]
    by_decile = deciles(staging)
    want = {h for h, c in needs if c == code and (by_decile.get(h) or 99) <= 4}
    assert want, "some poor household has the commonest problem"
    got = await hub.walk(
        "worker",
        HOUSEHOLDS_Q,
        "households",
        first=9,
        f={"ppks": code, "maxDecile": 4},
        s={"field": "DECILE"},
    )
    assert set(ids(got)) == want
    assert [n["decile"] for n in got] == sorted(n["decile"] for n in got)

    decile = Counter(d for d in by_decile.values() if d is not None).most_common(1)[0][0]
    got = await hub.walk("worker", HOUSEHOLDS_Q, "households", first=20, f={"decile": decile})
    assert set(ids(got)) == {h for h, d in by_decile.items() if d == decile}


async def test_special_category_problems_only_for_casework_roles(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    special = special_codes(staging)
    needs = rows(staging, NEEDS)
    code = Counter(c for _, c in needs if c in special).most_common(1)[0][0]
    want = {h for h, c in needs if c == code}
    mine = want & visible_to(staging, AGENCY)
    assert mine, "the agency has households with a special-category problem"
    worker = await hub.walk("worker", HOUSEHOLDS_Q, "households", first=50, f={"ppks": code})
    assert set(ids(worker)) == want
    agency = await hub.walk("agency", HOUSEHOLDS_Q, "households", first=50, f={"ppks": code})
    assert agency == []
    hid = sorted(mine)[0]
    query = """query($id: ID!) { household(id: $id) { problems { code }
        members { problems { code specialCategory } } } }"""
    seen = (await hub.data("agency", query, id=hid))["household"]
    codes = {p["code"] for p in seen["problems"]} | {
        p["code"] for m in seen["members"] for p in m["problems"]
    }
    assert code not in codes and not codes & special
    full = (await hub.data("worker", query, id=hid))["household"]
    assert code in {p["code"] for p in full["problems"]}


async def test_foundation_sees_only_the_households_it_serves(
    hub: Hub, staging: duckdb.DuckDBPyConnection, foundation: str
) -> None:
    want = visible_to(staging, foundation)
    got = await hub.walk("foundation", HOUSEHOLDS_Q, "households", first=20)
    assert set(ids(got)) == want
    other = sorted(all_households(staging) - want)[0]
    assert await hub.error_code("foundation", H360, id=other) == "NOT_FOUND"
    found = await hub.data("foundation", H360, id=sorted(want)[0])
    for m in found["household"]["members"]:
        assert m["nik"] is None or "*" in m["nik"]
    for caller in ("analyst", "auditor"):
        assert await hub.error_code(caller, H360, id=sorted(want)[0]) == "FORBIDDEN"


SEARCH = """query($name: String!, $kel: String, $first: Int!, $after: String) {
  searchPersons(name: $name, kelurahan: $kel, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id fullName householdId } } } }"""


async def test_search_finds_a_member_under_the_old_spelling_of_their_name(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    tokens = NameTokens()
    try:
        candidates = rows(
            staging,
            f"""
            SELECT i.person_id, c.full_name FROM {LINKED}
            WHERE regexp_matches(lower(c.full_name), '[ujc]') AND c.full_name NOT LIKE '%.%'
              AND c.full_name LIKE '% %'
            ORDER BY i.person_id, c.record_key""",
        )
        chosen = next(
            (
                (pid, name, old)
                for pid, name in candidates
                if (old := old_spelling(name)) != name and list(tokens(old)) == list(tokens(name))
            ),
            None,
        )
    finally:
        tokens.close()
    assert chosen, "some member's name has an old spelling"
    pid, name, old = chosen
    kel = city.cypher(
        "MATCH (:Person {person_id: $p})-[:MEMBER_OF]->(h) RETURN h.kelurahan_code AS k", p=pid
    )[0]["k"]
    found = await hub.walk("worker", SEARCH, "searchPersons", first=5, name=old, kel=kel)
    assert pid in ids(found), f"{old!r} (for {name!r}) did not find {pid}"
    # without the kelurahan, over the whole city
    found = await hub.walk("worker", SEARCH, "searchPersons", first=25, name=old)
    assert pid in ids(found)
    assert len(set(ids(found))) == len(found)


# --- analysis ------------------------------------------------------------------------------

GAPS = """query($area: String, $ppks: String, $first: Int!, $after: String) {
  coverageGaps(area: $area, ppks: $ppks, first: $first, after: $after) {
    totalHouseholds counts { kecamatanCode kelurahanCode ppks households suppressed }
    households { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } } }"""
GAP_COUNTS = """query($area: String, $ppks: String) { coverageGaps(area: $area, ppks: $ppks) {
  totalHouseholds counts { kelurahanCode ppks households suppressed } } }"""


async def test_coverage_gaps_agree_with_staging(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    gaps = coverage_gaps(staging)
    areas = graph_areas(city)
    code = Counter(c for _, c in gaps).most_common(1)[0][0]
    kec = Counter(areas[h][0] for h, c in gaps if c == code).most_common(1)[0][0]
    want = {h for h, c in gaps if c == code and areas[h][0] == kec}

    walked = await hub.walk("admin", GAPS, "coverageGaps.households", first=4, area=kec, ppks=code)
    assert set(ids(walked)) == want
    data = (await hub.data("admin", GAPS, area=kec, ppks=code, first=1))["coverageGaps"]
    assert data["totalHouseholds"] == len(want)
    cells = Counter(areas[h][1] for h in want)
    assert {c["kelurahanCode"]: c["households"] for c in data["counts"]} == cells
    assert {c["ppks"] for c in data["counts"]} == {code}

    # the whole city, every problem: one count per (kelurahan, problem)
    city_wide = (await hub.data("admin", GAP_COUNTS))["coverageGaps"]
    assert city_wide["totalHouseholds"] == len({h for h, _ in gaps})
    assert Counter(
        {(c["kelurahanCode"], c["ppks"]): c["households"] for c in city_wide["counts"]}
    ) == Counter((areas[h][1], c) for h, c in gaps)

    # one figure: the monthly report's Celah Cakupan sheet lists the same households
    period = Period.current(city.settings.report_cutoff_day, city.settings.report_timezone)
    con = staging.cursor()  # the month the API's figures take (hub.analytics)
    prepare(con, period)
    sheet = sheet_rows(con, SHEET_BY_NAME["Celah Cakupan"], period)
    con.close()
    assert {str(r[0]): set(str(r[9]).split(", ")) for r in sheet} == {
        h: {c for g, c in gaps if g == h} for h, _ in gaps
    }

    # analysts get the counts, small cells withheld
    analyst = (await hub.data("analyst", GAP_COUNTS, ppks=code))["coverageGaps"]
    total = len({h for h, c in gaps if c == code})
    assert analyst["totalHouseholds"] == small_cell(total)[0]
    per_cell = Counter(areas[h][1] for h, c in gaps if c == code)
    assert {c["kelurahanCode"] for c in analyst["counts"]} == set(per_cell)
    for c in analyst["counts"]:
        assert (c["households"], c["suppressed"]) == small_cell(per_cell[c["kelurahanCode"]])


PROGRAMS = """{ programs { code funder ppks householdsReached householdsInNeed suppressed
  shareOfNeedCovered } }"""


def program_reach(
    con: duckdb.DuckDBPyConnection, among: set[str] | None
) -> dict[str, tuple[int, int]]:
    served = rows(con, f"SELECT DISTINCT s.program, i.household_id FROM {SERVED}")
    addressed = rows(con, "SELECT program_code, ppks_code FROM ref_program_ppks")
    needs = rows(con, NEEDS)
    out = {}
    for code in column(con, "SELECT code FROM ref_program"):
        reached = {h for p, h in served if p == code}
        problems = {c for p, c in addressed if p == code}
        in_need = {h for h, c in needs if c in problems}
        if among is not None:
            reached, in_need = reached & among, in_need & among
        out[code] = (len(reached), len(in_need))
    return out


async def test_program_reach_and_need(
    hub: Hub, staging: duckdb.DuckDBPyConnection, foundation: str
) -> None:
    want = program_reach(staging, None)
    got = (await hub.data("admin", PROGRAMS))["programs"]
    assert {p["code"]: (p["householdsReached"], p["householdsInNeed"]) for p in got} == want
    assert any(r for r, _ in want.values()) and any(n for _, n in want.values())
    funders = dict(rows(staging, "SELECT code, funder_type FROM ref_program"))
    assert {p["code"]: p["funder"] for p in got} == funders

    mine = program_reach(staging, visible_to(staging, foundation))
    got = (await hub.data("foundation", PROGRAMS))["programs"]
    assert {p["code"]: (p["householdsReached"], p["householdsInNeed"]) for p in got} == mine

    for p in (await hub.data("analyst", PROGRAMS))["programs"]:
        reached, in_need = (small_cell(n)[0] for n in want[p["code"]])
        assert (p["householdsReached"], p["householdsInNeed"]) == (reached, in_need)
        assert p["suppressed"] == (None in (reached, in_need))
        share = None if not in_need or reached is None else min(reached / in_need, 1.0)
        assert p["shareOfNeedCovered"] == (None if share is None else pytest.approx(share, 1e-3))


FUNDERS = "{ funders { code programs householdsReached services amount suppressed } }"


async def test_funders_agree_with_staged_services(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    # a delivery whose source names no funder is paid by its program's funder
    per = {
        f: (n, k, float(a))
        for f, n, k, a in rows(
            staging,
            f"""
        SELECT coalesce(s.funder, p.funder_type) AS f, count(DISTINCT i.household_id),
               count(*), sum(coalesce(s.amount, 0))
        FROM {SERVED} LEFT JOIN ref_program p ON p.code = s.program
        WHERE f IS NOT NULL GROUP BY 1""",
        )
    }
    got = {f["code"]: f for f in (await hub.data("admin", FUNDERS))["funders"]}
    assert set(got) >= column(staging, "SELECT code FROM ref_funder_type") | set(per)
    assert per, "the city's sources name funders of their services"
    for code, f in got.items():
        n, k, amount = per.get(code, (0, 0, 0.0))
        assert (f["householdsReached"], f["services"]) == (n, k), code
        assert f["amount"] == pytest.approx(amount), code
    programs = rows(staging, "SELECT funder_type, code FROM ref_program")
    for code in column(staging, "SELECT code FROM ref_funder_type"):
        assert set(got[code]["programs"]) == {p for f, p in programs if f == code}


POVERTY = """query($level: AreaLevel!, $poor: Int!) { povertyIndicators(level: $level,
  poorDecile: $poor) { code level households people poorPeople population povertyRate
  aboveTarget target suppressed byDecile { decile households suppressed } } }"""


async def test_poverty_indicators_are_the_monthly_reports_figures(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    """One figure, computed once (reports.analytics): the API's povertyIndicators and
    the monthly report's Target Kemiskinan sheet agree on the same city, per
    kecamatan and for the whole city; the kelurahan rows add up to them. The sheet
    is computed as `hub report` computes it, on what the API reads: the published
    staging generation, the journal and the report's period of the settings
    (other modules change the live staging of the shared city in between)."""
    settings = city.settings  # the served app's
    period = Period.current(settings.report_cutoff_day, settings.report_timezone)
    journal = Journal.at_home(settings.home)
    try:
        with published_staging(settings, None) as opened:
            assert opened is not None
            _, con = opened
            prepare(con, period, journal=journal, goals=goals_of(settings))
            sheet = {
                str(r[0]): r for r in sheet_rows(con, SHEET_BY_NAME["Target Kemiskinan"], period)
            }
    finally:
        journal.close()
    got = (await hub.data("admin", POVERTY, level="KECAMATAN", poor=4))["povertyIndicators"]
    assert {r["code"] for r in got} == column(staging, "SELECT code FROM ref_kecamatan")
    for row in got:
        # the report lists the kecamatan with households; the API every kecamatan
        _, _, households, people, _, poor, population, rate = sheet.get(
            row["code"], (0,) * 6 + (None, None)
        )
        assert (row["households"], row["people"], row["poorPeople"], row["population"]) == (
            households,
            people,
            poor,
            population,
        ), row["code"]
        assert row["level"] == "KECAMATAN"
        # the rate's denominator is the area's population, not its registered people
        assert population is None or population >= people, row["code"]
        assert row["povertyRate"] == rate == (round(poor / population, 6) if population else None)
        assert row["aboveTarget"] == (rate > row["target"] if rate is not None else None)
        assert sum(d["households"] for d in row["byDecile"]) <= row["households"]
    city_row = sheet["KOTA"]
    unplaced = sheet.get("-", (0,) * 8)
    for i, key in ((2, "households"), (3, "people"), (5, "poorPeople")):
        assert sum(r[key] for r in got) + unplaced[i] == city_row[i], key
    assert city_row[3] > 0 and 0 < city_row[5] <= city_row[3]

    kel = (await hub.data("admin", POVERTY, level="KELURAHAN", poor=4))["povertyIndicators"]
    kecamatan_of = dict(rows(staging, "SELECT code, kecamatan_code FROM ref_kelurahan"))
    assert {r["code"] for r in kel} == set(kecamatan_of)
    per_kecamatan: Counter[str] = Counter()
    for r in kel:
        per_kecamatan[kecamatan_of[r["code"]]] += r["households"]
    assert all(per_kecamatan[r["code"]] <= r["households"] for r in got)

    strict = (await hub.data("admin", POVERTY, level="KECAMATAN", poor=1))["povertyIndicators"]
    assert sum(r["poorPeople"] for r in strict) <= sum(r["poorPeople"] for r in got)
    analyst = (await hub.data("analyst", POVERTY, level="KECAMATAN", poor=4))["povertyIndicators"]
    for mine, full in zip(analyst, got, strict=True):
        assert mine["households"] == small_cell(full["households"])[0]
        for d, f in zip(mine["byDecile"], full["byDecile"], strict=True):
            assert (d["households"], d["suppressed"]) == small_cell(f["households"])


# --- mutations (they change the city: everything after this reads it afresh) ------------------

SUBMIT = """mutation($r: RecordInput!) { submitRecord(record: $r) {
  recordKey personId householdId matchProbability newPerson newHousehold } }"""


async def test_submit_record_of_a_known_person_opens_the_household_only_once_confirmed(
    hub: Hub, staging: duckdb.DuckDBPyConnection, foundation: str, city: GeneratedCity
) -> None:
    """The look-up attack (issue 14): a foundation submits a known NIK, name and
    birth date. It sees the person as it sent them, not the household, until
    Dinsos confirms the link."""
    hidden = all_households(staging) - visible_to(staging, foundation)
    row = rows(
        staging,
        """
        SELECT i.person_id, i.household_id, r.full_name, r.nik_clean, r.birth_date_clean,
               r.sex_clean, r.kelurahan_name, r.rt_clean, r.rw_clean
        FROM linkage_records r JOIN identity_map i USING (record_key)
        WHERE r.nik_valid AND NOT r.nik_is_kk AND r.birth_date_clean IS NOT NULL
          AND r.kelurahan_name IS NOT NULL AND i.household_id IN (SELECT unnest($1))
          AND r.source = 'disdukcapil'
          AND i.household_id IN (SELECT household_id FROM identity_map
                                 GROUP BY 1 HAVING count(DISTINCT person_id) > 1)
        ORDER BY i.household_id LIMIT 1""",
        sorted(hidden),
    )[0]
    pid, hid, name, nik, born, sex, kel, rt, rw = row
    assert await hub.error_code("foundation", H360, id=hid) == "NOT_FOUND"

    record = {
        "sourceRecordId": "gen-known-1",
        "fullName": name,
        "nik": nik,
        "birthDate": born.isoformat(),
        "sex": sex,
        "kelurahan": kel,
        "rt": rt,
        "rw": rw,
    }
    done = (await hub.data("foundation", SUBMIT, r=record))["submitRecord"]
    assert (done["personId"], done["householdId"]) == (pid, None)  # not told where they live
    assert not done["newPerson"] and not done["newHousehold"]
    kept = IdentityLedger.at_home(city.settings.home).assignment(done["recordKey"])
    assert kept is not None and kept.person_id == pid

    # the submitter sees its record and the person as it sent them, masked, and no more
    assert await hub.error_code("foundation", H360, id=hid) == "NOT_FOUND"
    seen = (
        await hub.data(
            "foundation",
            """query($id: ID!) { person(id: $id) { fullName nik
      householdId problems { code } household { id } sourceRecords { recordKey source } } }""",
            id=pid,
        )
    )["person"]
    assert (
        seen["fullName"],
        seen["nik"],
        seen["householdId"],
        seen["problems"],
        seen["household"],
    ) == (name, mask(nik), None, [], None)
    assert [r["recordKey"] for r in seen["sourceRecords"]] == [done["recordKey"]]
    # under the source id the next ingest stages it with (record keys are
    # `source:source_record_id` in staging), so the next load keeps it as it is
    shown = [r["source"] for r in seen["sourceRecords"]]
    assert shown == [done["recordKey"].removesuffix(":gen-known-1")]
    assert shown[0] != foundation

    # Dinsos confirms the link: the household opens, masked; revoked, it closes
    link = (
        await hub.data(
            "admin",
            """mutation($p: ID!, $o: String!) { confirmLink(link:
      {personId: $p, organization: $o, basis: "home visit"}) { id } }""",
            p=pid,
            o=foundation,
        )
    )["confirmLink"]
    h = (await hub.data("foundation", H360, id=hid))["household"]
    assert done["recordKey"] in {r["recordKey"] for r in h["sourceRecords"]}
    assert mask(nik) in {m["nik"] for m in h["members"]}
    assert set(ids(h["members"])) == column(
        staging, "SELECT person_id FROM identity_map WHERE household_id = $1", hid
    )
    await hub.data("admin", "mutation($id: ID!) { revokeLink(id: $id) { id } }", id=link["id"])
    assert await hub.error_code("foundation", H360, id=hid) == "NOT_FOUND"

    # with the evidence of the link, against a record of the same person
    query = """query($id: ID!) { person(id: $id) { sourceRecords { recordKey
      evidence { otherRecordKey matchProbability matchWeight fields } } } }"""
    mine = [
        r
        for r in (await hub.data("worker", query, id=pid))["person"]["sourceRecords"]
        if r["recordKey"] == done["recordKey"]
    ]
    [evidence] = mine[0]["evidence"]
    assert evidence["otherRecordKey"] in column(
        staging, "SELECT record_key FROM identity_map WHERE person_id = $1", pid
    )
    assert evidence["matchProbability"] == pytest.approx(done["matchProbability"])
    assert "nik" in {f["comparison"] for f in evidence["fields"]}


def busiest_kelurahan(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    code, name = rows(
        con,
        """SELECT r.kelurahan_code, any_value(r.kelurahan_name)
        FROM linkage_records r JOIN identity_map i USING (record_key)
        WHERE r.kelurahan_code IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""",
    )[0]
    return code, name


async def test_submit_record_of_a_new_person_is_found_by_name_at_once(
    hub: Hub, staging: duckdb.DuckDBPyConnection, foundation: str, city: GeneratedCity
) -> None:
    kel_code, kel_name = busiest_kelurahan(staging)
    record = {
        "sourceRecordId": "gen-new-1",
        "fullName": "Tjitjih Soekmawati Poerbasari",
        "birthDate": "1951-03-09",
        "sex": "P",
        "kelurahan": kel_name,
        "rt": "4",
        "rw": "11",
        "ppks": ["PPKS08"],
        "welfareDecile": 1,
    }
    known = column(staging, "SELECT person_id FROM identity_map")
    done = (await hub.data("foundation", SUBMIT, r=record))["submitRecord"]
    assert done["newPerson"] and done["newHousehold"]
    assert done["personId"] not in known
    # kept in the identity ledger, which the next `hub link` reconciles into staging
    kept = IdentityLedger.at_home(city.settings.home).assignment(done["recordKey"])
    assert kept is not None
    assert (kept.person_id, kept.household_id) == (done["personId"], done["householdId"])

    found = await hub.walk("foundation", SEARCH, "searchPersons", first=5, name="Cicih Sukmawati")
    assert ids(found) == [done["personId"]]
    mine = await hub.walk(
        "foundation", HOUSEHOLDS_Q, "households", first=50, f={"kelurahanCode": kel_code}
    )
    assert done["householdId"] in ids(mine)
    new = next(n for n in mine if n["id"] == done["householdId"])
    assert new["decile"] == 1


async def test_a_submitted_household_is_found_by_rt_and_rw_like_a_loaded_one(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    kel_code, kel_name = busiest_kelurahan(staging)
    record = {
        "sourceRecordId": "gen-new-2",
        "fullName": "Oejang Djoenaedi Tjakradipoera",
        "birthDate": "1948-07-30",
        "sex": "L",
        "kelurahan": kel_name,
        "rt": "7",
        "rw": "2",
    }
    done = (await hub.data("foundation", SUBMIT, r=record))["submitRecord"]
    assert done["newHousehold"]
    here = await hub.walk(
        "foundation",
        HOUSEHOLDS_Q,
        "households",
        first=50,
        f={"kelurahanCode": kel_code, "rt": "7", "rw": "2"},
    )
    assert done["householdId"] in ids(here)
    assert {(n["rt"], n["rw"]) for n in here} == {("007", "002")}


SERVICE = """mutation($s: ServiceInput!) { recordService(service: $s) {
  id program funder organization amount serviceDate } }"""
DUPLICATED = """query($from: Date!, $to: Date!, $first: Int!, $after: String) {
  duplicatedAid(from: $from, to: $to, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { household { id } rule explanation need programs funders
      services { serviceDate program funder } } } } }"""


def duplicated_aid(
    city: GeneratedCity, con: duckdb.DuckDBPyConnection, start: date, end: date
) -> set[tuple[str, str, tuple[str, ...]]]:
    """(household, rule, programs) for every overlap of services in [start, end],
    from a plain read of every service in the graph and the reference tables
    (domain.targeting's rules): one program from two funders or organizations;
    a pair the combination table forbids; one need from two funders, the pair
    not in the table."""
    need = dict(rows(con, "SELECT code, need FROM ref_program"))
    allowed = {
        frozenset((a, b)): bool(ok)
        for a, b, ok in rows(
            con, "SELECT program_a, program_b, allowed FROM ref_program_combination"
        )
    }
    services: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for r in city.cypher(
        "MATCH (s:Service)-[:RECEIVED_BY]->(h:Household) RETURN "
        "h.household_id AS h, s.program AS p, s.funder AS f, s.organization AS o, "
        "s.service_date AS d"
    ):
        if r["p"] in need and start <= r["d"].to_native() <= end:
            services[r["h"]].append((r["p"], r["f"] or "", r["o"] or ""))
    out = set()
    for h, got in services.items():
        for i, (p1, f1, o1) in enumerate(got):
            for p2, f2, o2 in got[i + 1 :]:
                pair = tuple(sorted((p1, p2)))
                combination = allowed.get(frozenset(pair))
                if p1 == p2:
                    if f1 != f2 or o1 != o2:
                        out.add((h, "same_program", (p1,)))
                elif combination is False:
                    out.add((h, "not_allowed", pair))
                elif combination is None and need[p1] == need[p2] and f1 != f2:
                    out.add((h, "same_need", pair))
    return out


def found(nodes: list[dict[str, Any]]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(n["household"]["id"], n["rule"], tuple(n["programs"])) for n in nodes}


async def test_record_service_shows_in_the_history_and_in_duplicated_aid(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity, foundation: str
) -> None:
    # a household fed by a foundation now also gets state food aid: duplicated
    hid, when = rows(
        staging,
        f"""SELECT i.household_id, max(s.service_date) FROM {SERVED}
        WHERE s.program = 'SEMBAKO-YAYASAN' GROUP BY 1 ORDER BY 1 LIMIT 1""",
    )[0]
    # another gets state cash next to zakat: an allowed combination
    zakat, zakat_day = rows(
        staging,
        f"""SELECT i.household_id, max(s.service_date) FROM {SERVED}
        WHERE s.program = 'ZAKAT' AND i.household_id <> $1 GROUP BY 1 ORDER BY 1 LIMIT 1""",
        hid,
    )[0]
    bpnt = (
        await hub.data(
            "admin",
            SERVICE,
            s={
                "householdId": hid,
                "program": "BPNT",
                "amount": 200000,
                "funder": "APBN",
                "serviceDate": (when + timedelta(days=2)).isoformat(),
            },
        )
    )["recordService"]
    assert (bpnt["organization"], bpnt["funder"]) == ("ORG-DINSOS", "APBN")
    await hub.data(
        "admin",
        SERVICE,
        s={
            "householdId": zakat,
            "program": "BLT",
            "serviceDate": zakat_day.isoformat(),
            "amount": 300000,
            "funder": "APBN",
        },
    )

    history = (await hub.data("worker", H360, id=hid))["household"]["serviceHistory"]
    assert {
        "serviceDate": bpnt["serviceDate"],
        "program": "BPNT",
        "amount": 200000.0,
        "funder": "APBN",
        "organization": "ORG-DINSOS",
        "source": "ORG-DINSOS",
    } in history

    start, end = when - timedelta(days=30), when + timedelta(days=30)
    want = duplicated_aid(city, staging, start, end)
    assert (hid, "not_allowed", ("BPNT", "SEMBAKO-YAYASAN")) in want
    assert not any(h == zakat and {"BLT", "ZAKAT"} <= set(p) for h, _, p in want)
    got = await hub.walk(
        "admin",
        DUPLICATED,
        "duplicatedAid",
        first=3,
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    assert found(got) == want
    pair = ["BPNT", "SEMBAKO-YAYASAN"]
    mine = next(n for n in got if n["household"]["id"] == hid and n["programs"] == pair)
    assert "APBN" in mine["funders"] and len(mine["funders"]) >= 2
    assert mine["explanation"].startswith("Dua program ini menurut tabel kombinasi")
    # before the foundation's parcel, nothing duplicated for this household
    early = when - timedelta(days=400), when - timedelta(days=370)
    got = await hub.walk(
        "admin",
        DUPLICATED,
        "duplicatedAid",
        first=20,
        **{"from": early[0].isoformat(), "to": early[1].isoformat()},
    )
    assert found(got) == duplicated_aid(city, staging, *early)

    # a foundation records what it funds itself, on its own households
    own = sorted(visible_to(staging, foundation))[0]
    done = (
        await hub.data(
            "foundation",
            SERVICE,
            s={
                "householdId": own,
                "program": "SEMBAKO-YAYASAN",
                "serviceDate": "2026-11-20",
                "amount": 150000,
            },
        )
    )["recordService"]
    assert (done["organization"], done["funder"]) == (foundation, foundation)
    history = (await hub.data("foundation", H360, id=own))["household"]["serviceHistory"]
    assert history[0]["serviceDate"] == "2026-11-20" and history[0]["source"] == foundation
    # and shows among the funders under its own name
    [funder] = [
        f
        for f in (await hub.data("admin", "{ funders { code name services } }"))["funders"]
        if f["code"] == foundation
    ]
    named = city.cypher("MATCH (o:Organization {id: $id}) RETURN o.name AS name", id=foundation)
    assert funder["name"] == named[0]["name"] and funder["name"] and funder["services"] >= 1
    assert (
        await hub.error_code(
            "foundation",
            SERVICE,
            s={
                "householdId": own,
                "program": "BPNT",
                "serviceDate": "2026-11-20",
                "funder": "APBN",
            },
        )
        == "FORBIDDEN"
    )


ASSESS = """mutation($a: AssessmentInput!) { recordAssessment(assessment: $a) {
  id householdId personId ppks plan socialWorker organization } }"""


async def test_record_assessment_is_seen_by_casework_roles_only(
    hub: Hub, staging: duckdb.DuckDBPyConnection, foundation: str
) -> None:
    hid = sorted(visible_to(staging, foundation))[0]
    pid = sorted(
        column(staging, "SELECT person_id FROM identity_map WHERE household_id = $1", hid)
    )[0]
    a = {
        "householdId": hid,
        "personId": pid,
        "assessedOn": "2026-11-21",
        "ppks": ["PPKS24", "PPKS08"],
        "plan": "PKH and a home visit",
    }
    done = (await hub.data("worker", ASSESS, a=a))["recordAssessment"]
    assert (done["householdId"], done["personId"]) == (hid, pid)
    assert sorted(done["ppks"]) == ["PPKS08", "PPKS24"]
    query = "query($id: ID!) { household(id: $id) { assessments { id ppks plan } } }"
    seen = (await hub.data("admin", query, id=hid))["household"]["assessments"]
    assert done["id"] in ids(seen)
    assert sorted(next(x for x in seen if x["id"] == done["id"])["ppks"]) == ["PPKS08", "PPKS24"]
    assert (await hub.data("foundation", query, id=hid))["household"]["assessments"] == []
    assert await hub.error_code("foundation", ASSESS, a=a) == "FORBIDDEN"


REFER = """mutation($r: ReferralInput!) { createReferral(referral: $r) {
  id status householdId fromOrganization toOrganization history } }"""
ADVANCE = """mutation($id: ID!, $s: ReferralStatus!, $note: String) {
  advanceReferral(id: $id, status: $s, note: $note) { id status note history } }"""


async def test_referral_opens_the_household_to_the_receiver_and_moves_on(
    hub: Hub, staging: duckdb.DuckDBPyConnection, foundation: str
) -> None:
    before = await hub.walk("foundation", HOUSEHOLDS_Q, "households", first=50)
    unseen = sorted(all_households(staging) - set(ids(before)))
    hid = unseen[len(unseen) // 2]
    assert await hub.error_code("foundation", H360, id=hid) == "NOT_FOUND"
    ref = (
        await hub.data(
            "worker",
            REFER,
            r={
                "householdId": hid,
                "toOrganization": foundation,
                "program": "SEMBAKO-YAYASAN",
                "note": "elderly, no food aid",
            },
        )
    )["createReferral"]
    assert (ref["status"], ref["history"]) == ("OPEN", ["OPEN"])
    assert (ref["fromOrganization"], ref["toOrganization"]) == ("ORG-DINSOS", foundation)

    after = await hub.walk("foundation", HOUSEHOLDS_Q, "households", first=50)
    assert set(ids(after)) == set(ids(before)) | {hid}
    query = "query($id: ID!) { household(id: $id) { referrals { id status } } }"
    assert [
        r["id"] for r in (await hub.data("foundation", query, id=hid))["household"]["referrals"]
    ] == [ref["id"]]

    accepted = (
        await hub.data("foundation", ADVANCE, id=ref["id"], s="ACCEPTED", note="visit on Monday")
    )["advanceReferral"]
    assert (accepted["history"], accepted["note"]) == (["OPEN", "ACCEPTED"], "visit on Monday")
    assert await hub.error_code("foundation", ADVANCE, id=ref["id"], s="OPEN") == "BAD_USER_INPUT"
    seen = (await hub.data("worker", query, id=hid))["household"]["referrals"]
    assert {r["id"]: r["status"] for r in seen}[ref["id"]] == "ACCEPTED"
    stored = (await hub.data("admin", ADVANCE, id=ref["id"], s="IN_SERVICE"))["advanceReferral"]
    assert stored["history"] == ["OPEN", "ACCEPTED", "IN_SERVICE"]


ENROL = """mutation($e: EnrolmentInput!) { enrolHousehold(enrolment: $e) {
  programCode since active organization } }"""


async def test_enrolment_closes_a_coverage_gap(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    gaps = coverage_gaps(staging)
    addressed = rows(staging, "SELECT program_code, ppks_code FROM ref_program_ppks")
    hid, code = min(g for g in gaps if g[1] == "PPKS24")
    program = min(p for p, c in addressed if c == code)
    closed = {c for h, c in gaps if h == hid} & {c for p, c in addressed if p == program}
    kec, kel = graph_areas(city)[hid]

    def cells(data: dict[str, Any]) -> Counter[str]:
        return Counter({c["ppks"]: c["households"] for c in data["coverageGaps"]["counts"]})

    before = (await hub.data("admin", GAPS, area=kec, ppks=code, first=100))["coverageGaps"]
    assert hid in ids([e["node"] for e in before["households"]["edges"]])
    kel_before = cells(await hub.data("admin", GAP_COUNTS, area=kel))
    reach_before = {
        p["code"]: p["householdsReached"] for p in (await hub.data("admin", PROGRAMS))["programs"]
    }

    done = (
        await hub.data(
            "worker",
            ENROL,
            # a gap closes whatever the program's rule says: a social worker's override
            e={
                "householdId": hid,
                "program": program,
                "since": "2026-12-01",
                "overrideReason": "assessed at home",
            },
        )
    )["enrolHousehold"]
    assert (done["programCode"], done["active"], done["organization"]) == (
        program,
        True,
        "ORG-DINSOS",
    )
    query = "query($id: ID!) { household(id: $id) { currentPrograms { programCode since } } }"
    current = (await hub.data("worker", query, id=hid))["household"]["currentPrograms"]
    assert {"programCode": program, "since": "2026-12-01"} in current

    after = (await hub.data("admin", GAPS, area=kec, ppks=code, first=100))["coverageGaps"]
    assert set(ids([e["node"] for e in after["households"]["edges"]])) == set(
        ids([e["node"] for e in before["households"]["edges"]])
    ) - {hid}
    assert after["totalHouseholds"] == before["totalHouseholds"] - 1
    # every problem the program addresses is met now; the household's others are not
    kel_after = cells(await hub.data("admin", GAP_COUNTS, area=kel))
    assert +(kel_before - Counter(dict.fromkeys(closed, 1))) == kel_after
    reach_after = {
        p["code"]: p["householdsReached"] for p in (await hub.data("admin", PROGRAMS))["programs"]
    }
    served = column(staging, f"SELECT s.program FROM {SERVED} WHERE i.household_id = $1", hid)
    assert reach_after[program] == reach_before[program] + (0 if program in served else 1)


CHANGE = """mutation($c: ChangeRequestInput!) { fileChangeRequest(request: $c) {
  id kind householdId personId reason status organization } }"""


async def test_change_request_is_stored_against_the_household(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity, foundation: str
) -> None:
    hid = sorted(visible_to(staging, foundation))[-1]
    pid = sorted(
        column(staging, "SELECT person_id FROM identity_map WHERE household_id = $1", hid)
    )[0]
    done = (
        await hub.data(
            "foundation",
            CHANGE,
            c={
                "kind": "PERBAIKAN",
                "householdId": hid,
                "personId": pid,
                "reason": "birth date on the KTP differs",
                "changes": {"birthDate": "1957-12-22"},
            },
        )
    )["fileChangeRequest"]
    assert (done["kind"], done["status"], done["organization"]) == (
        "perbaikan",
        "FILED",
        foundation,
    )
    stored = city.cypher(
        "MATCH (c:ChangeRequest {request_id: $id})-[:CONCERNS]->(h:Household) "
        "RETURN h.household_id AS h, c.person_id AS p, c.kind AS k",
        id=done["id"],
    )
    assert stored == [{"h": hid, "p": pid, "k": "perbaikan"}]
    other = sorted(all_households(staging) - visible_to(staging, foundation))[-1]
    assert (
        await hub.error_code(
            "foundation",
            CHANGE,
            c={"kind": "PENONAKTIFAN", "householdId": other, "reason": "moved away"},
        )
        == "BAD_USER_INPUT"
    )
    usulan = (
        await hub.data("foundation", CHANGE, c={"kind": "USULAN", "reason": "a new family at RT 3"})
    )["fileChangeRequest"]
    assert usulan["householdId"] is None and usulan["status"] == "FILED"


DECIDE = """mutation($l: ID!, $r: ID!, $d: ReviewDecision!, $note: String) {
  decideReviewPair(recordKeyL: $l, recordKeyR: $r, decision: $d, note: $note) {
    recordKeyL recordKeyR decision reviewer } }"""


async def test_review_decision_is_kept_for_the_next_link(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    left, right = rows(
        staging,
        """SELECT record_key_l, record_key_r FROM review_queue
                                   WHERE status = 'open' ORDER BY pair_id LIMIT 1""",
    )[0]
    assert await hub.error_code("foundation", DECIDE, l=left, r=right, d="SAME") == "FORBIDDEN"
    done = (
        await hub.data(
            "worker", DECIDE, l=left, r=right, d="NOT_SAME", note="different mothers' names"
        )
    )["decideReviewPair"]
    assert (done["recordKeyL"], done["recordKeyR"], done["decision"]) == (left, right, "NOT_SAME")
    kept = [
        (d.decision, d.note)
        for d in IdentityLedger.at_home(city.settings.home).decisions()
        if (d.record_key_l, d.record_key_r) == (min(left, right), max(left, right))
    ]
    assert kept == [("not_same", "different mothers' names")]


QUEUE = """query($after: String) { reviewQueue(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { pairId matchProbability toCheck
    left { recordKey fullName nik personId } right { recordKey fullName nik personId }
    comparisons { comparison level matchWeight values { name left right } } } } } }"""


async def _review_queue(hub: Hub) -> list[dict[str, Any]]:
    nodes, after = [], None
    while True:
        page = (await hub.data("worker", QUEUE, after=after))["reviewQueue"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(nodes)
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_review_queue_shows_each_open_pair_side_by_side_until_it_is_decided(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    decided = {d.pair_id for d in IdentityLedger.at_home(city.settings.home).decisions()}
    open_pairs = {
        pid: (left, right)
        for pid, left, right in rows(
            staging,
            "SELECT pair_id, record_key_l, record_key_r FROM review_queue WHERE status = 'open'",
        )
        if pid not in decided
    }
    assert open_pairs, "the generated city has no open review pair"
    assert await hub.error_code("foundation", QUEUE) == "FORBIDDEN"
    assert await hub.error_code("analyst", QUEUE) == "FORBIDDEN"

    queue = await _review_queue(hub)
    assert {p["pairId"] for p in queue} == set(open_pairs)
    for pair in queue:
        left, right = open_pairs[pair["pairId"]]
        assert (pair["left"]["recordKey"], pair["right"]["recordKey"]) == (left, right)
        for side, key in ((pair["left"], left), (pair["right"], right)):
            name, nik, person = rows(
                staging,
                "SELECT c.full_name, c.nik, m.person_id FROM current_records c "
                "JOIN identity_map m USING (record_key) WHERE record_key = ?",
                key,
            )[0]
            assert (side["fullName"], side["nik"], side["personId"]) == (name, nik, person)
        assert pair["left"]["personId"] != pair["right"]["personId"]
        evidence = json.loads(
            one(
                staging,
                "SELECT CAST(evidence AS VARCHAR) FROM link_evidence "
                "WHERE record_key_l = ? AND record_key_r = ?",
                left,
                right,
            )
        )
        assert [(c["comparison"], c["level"], c["matchWeight"]) for c in pair["comparisons"]] == [
            (e["comparison"], e["level"], e["match_weight"]) for e in evidence
        ]
        assert pair["toCheck"] == [
            e["comparison"] for e in evidence if (e["match_weight"] or 0) <= 0
        ]

    first = queue[0]
    await hub.data(
        "worker",
        DECIDE,
        l=first["left"]["recordKey"],
        r=first["right"]["recordKey"],
        d="SAME",
    )
    after = await _review_queue(hub)
    assert [p["pairId"] for p in after] == [p["pairId"] for p in queue[1:]]


AUDIT = """query($p: ID, $first: Int!, $after: String) { auditLog(personId: $p, first: $first,
  after: $after) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { seq subject organization role operation personIds householdIds
    purpose hash } } } }"""


async def test_audit_log_pages_reads_and_writes_of_a_person_on_a_valid_chain(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    pid = str(one(staging, f"SELECT min(i.person_id) FROM {LINKED}"))
    query = "query($id: ID!) { person(id: $id) { id fullName } }"
    await hub.data("worker", query, id=pid, purpose="case_management: audit check")
    await hub.data("worker", query, id=pid, purpose="case_management: second look")

    log = AuditLog(SecurityDB.from_settings(city.settings))
    before = [r.seq for r in log.subject_access_report(pid)]
    page = (await hub.data("auditor", AUDIT, p=pid, first=100))["auditLog"]
    assert page["totalCount"] == len(before) <= 100
    events = [e["node"] for e in page["edges"]]
    assert [e["seq"] for e in events] == before[::-1], "newest first, this person's only"
    assert all(pid in e["personIds"] for e in events)
    # recorded with the purpose's legal basis from the purpose registry
    check, second = (f"case_management [public_task]: {n}" for n in ("audit check", "second look"))
    mine = [e for e in events if e["purpose"] in (check, second)]
    assert [e["purpose"] for e in mine][:2] == [second, check]
    assert {(e["role"], e["organization"]) for e in mine} == {("social_worker", "ORG-DINSOS")}
    assert all(e["operation"].startswith("read:person") for e in mine)
    # reading the log about a person is itself a read of their data
    last = log.subject_access_report(pid)[-1]
    assert (last.role, last.organization, last.seq) == (
        "auditor",
        "ORG-INSPEKTORAT",
        max(before) + 1,
    )

    # a write is logged too, with who filed it and about whom
    hid = str(one(staging, "SELECT household_id FROM identity_map WHERE person_id = $1", pid))
    await hub.data(
        "admin",
        CHANGE,
        c={
            "kind": "PENONAKTIFAN",
            "householdId": hid,
            "personId": pid,
            "reason": "died in October",
        },
        purpose="eligibility_verification: monthly update",
    )
    every = await hub.walk("admin", AUDIT, "auditLog", first=100)
    assert len({e["seq"] for e in every}) == len(every)
    newest = every[0]
    assert (newest["operation"], newest["role"], newest["purpose"]) == (
        "write:fileChangeRequest",
        "dinsos_admin",
        "eligibility_verification [legal_obligation]: monthly update",
    )
    assert (newest["personIds"], newest["householdIds"]) == ([pid], [hid])
    verdict = log.verify()
    assert verdict.ok and verdict.checked == len(every)
    assert await hub.error_code("analyst", AUDIT, p=pid, first=5, after=None) == "FORBIDDEN"


async def test_audit_log_of_one_person_pages_without_repeats(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    pid, hid = rows(
        staging, f"SELECT i.person_id, i.household_id FROM {LINKED} ORDER BY 1 LIMIT 1"
    )[0]
    for _ in range(5):  # five audited reads of this person's household
        await hub.data("worker", H360, id=hid)
    # each page read about the person adds an event on top while we page
    nodes = await hub.walk("auditor", AUDIT, "auditLog", first=2, p=pid)
    seqs = [n["seq"] for n in nodes]
    assert len(set(seqs)) == len(seqs) and seqs == sorted(seqs, reverse=True)
    assert len(nodes) >= 5 and all(pid in n["personIds"] for n in nodes)


async def test_state_programs_of_two_funders_delivered_by_dinsos_are_duplicated_aid(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    # two programs for one need, funded by different budgets, which the reference
    # table says must not be combined
    first, second = rows(
        staging,
        """
        SELECT a.code, b.code FROM ref_program a JOIN ref_program b
          ON a.need = b.need AND a.code < b.code AND a.funder_type <> b.funder_type
        JOIN ref_program_combination x ON NOT x.allowed AND
          ((x.program_a = a.code AND x.program_b = b.code)
           OR (x.program_a = b.code AND x.program_b = a.code))
        WHERE a.funder_type NOT IN ('FOUNDATION', 'CSR', 'ZAKAT')
          AND b.funder_type NOT IN ('FOUNDATION', 'CSR', 'ZAKAT')
        ORDER BY 1, 2 LIMIT 1""",
    )[0]
    hid = sorted(all_households(staging))[len(all_households(staging)) // 3]
    for program in (first, second):
        await hub.data(
            "admin",
            SERVICE,
            s={
                "householdId": hid,
                "program": program,
                "serviceDate": "2026-10-01",
                "amount": 100000,
            },
        )
    got = await hub.walk(
        "admin", DUPLICATED, "duplicatedAid", first=20, **{"from": "2026-09-01", "to": "2026-10-31"}
    )
    assert hid in {n["household"]["id"] for n in got}


async def test_one_program_from_three_foundations_is_duplicated_aid(
    hub: Hub, staging: duckdb.DuckDBPyConnection, city: GeneratedCity
) -> None:
    """The seed's own example: a family got SEMBAKO-YAYASAN from three
    foundations in one month. Two programs are not needed to see it."""
    hid = sorted(all_households(staging))[len(all_households(staging)) // 5]
    parcels = (("2026-08-03", "YAY-001"), ("2026-08-11", "YAY-002"), ("2026-08-20", "YAY-003"))
    for day, funder in parcels:
        await hub.data(
            "admin",
            SERVICE,
            s={
                "householdId": hid,
                "program": "SEMBAKO-YAYASAN",
                "serviceDate": day,
                "amount": 150000,
                "funder": funder,
            },
        )
    window = {"from": "2026-08-01", "to": "2026-08-31"}
    got = await hub.walk("admin", DUPLICATED, "duplicatedAid", first=20, **window)
    mine = [n for n in got if n["household"]["id"] == hid and n["rule"] == "same_program"]
    assert [n["programs"] for n in mine] == [["SEMBAKO-YAYASAN"]]
    assert {"YAY-001", "YAY-002", "YAY-003"} <= set(mine[0]["funders"])
    assert len([s for s in mine[0]["services"] if s["program"] == "SEMBAKO-YAYASAN"]) >= 3
    assert found(got) == duplicated_aid(city, staging, date(2026, 8, 1), date(2026, 8, 31))


async def test_a_forbidden_pair_of_different_needs_is_duplicated_aid(
    hub: Hub, staging: duckdb.DuckDBPyConnection
) -> None:
    """PKH already pays an elderly component: with the city's elderly cash it is
    forbidden by the combination table although their needs differ (income,
    elderly_income), and both come from the state."""
    hid = sorted(all_households(staging))[len(all_households(staging)) // 7]
    for program, funder in (("PKH", "APBN"), ("BANSOS-LANSIA-KOTA", "APBD_KOTA")):
        await hub.data(
            "admin",
            SERVICE,
            s={
                "householdId": hid,
                "program": program,
                "serviceDate": "2026-07-10",
                "amount": 300000,
                "funder": funder,
            },
        )
    got = await hub.walk(
        "admin", DUPLICATED, "duplicatedAid", first=20, **{"from": "2026-07-01", "to": "2026-07-31"}
    )
    mine = [n for n in got if n["household"]["id"] == hid]
    pairs = [(n["rule"], n["programs"]) for n in mine]
    assert ("not_allowed", ["BANSOS-LANSIA-KOTA", "PKH"]) in pairs
    pair = next(n for n in mine if n["programs"] == ["BANSOS-LANSIA-KOTA", "PKH"])
    assert pair["need"] == "elderly_income / income"
    assert "PKH already pays an elderly component" in pair["explanation"]
