"""Eligibility, targeting findings and the what-if through GraphQL, on the tiny
city of tests/graph/city.py in a real Neo4j, with the catalogue's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from city import city as tiny_city
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, Api

from connectors.reference import eligibility_rules, program_combinations
from domain.eligibility import household_facts

pytestmark = pytest.mark.anyio

FROM, TO = "2026-10-01", "2026-10-31"

FINDINGS = """query($from: Date!, $to: Date!, $kind: [TargetingKind!], $area: String,
  $program: String, $first: Int!, $after: String) {
  targetingFindings(from: $from, to: $to, kind: $kind, area: $area, program: $program,
    first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { household { id } kind programs rule explanation enrolled
      conditions { name held explanation } services { id program funder } } } } }"""


@pytest.fixture
def ruled(api: Api) -> Api:
    """The tiny city's API with the catalogue's eligibility rules loaded."""
    return replace(api, services=replace(api.services, rules=eligibility_rules()))


async def all_findings(api: Api, principal: Any = ADMIN, **args: Any) -> list[dict[str, Any]]:
    found, after = [], None
    while True:
        page = (
            await api.data(
                FINDINGS, principal, first=7, after=after, **{"from": FROM, "to": TO, **args}
            )
        )["targetingFindings"]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def expected(city: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(household, kind, program) of every exclusion and inclusion error in the
    tiny city's own tables: facts from its people, served from its services in
    the period and its active enrolments; not excluded from a program when served
    one the catalogue's combination table forbids with it."""
    people = city["persons"].to_pylist()
    served: dict[str, set[str]] = {}
    for s in city["services"].to_pylist():
        if date.fromisoformat(FROM) <= s["service_date"] <= date.fromisoformat(TO):
            served.setdefault(s["household_id"], set()).add(s["program"])
    for e in city["enrolments"].to_pylist():
        if e["active"]:
            served.setdefault(e["household_id"], set()).add(e["program"])
    forbidden = {
        frozenset((c.program_a, c.program_b)) for c in program_combinations() if not c.allowed
    }
    out = set()
    for h in city["households"].to_pylist():
        hid = h["household_id"]
        members = [p for p in people if p["household_id"] == hid]
        on = date.fromisoformat(TO)
        for e in eligibility_rules().evaluate(
            household_facts(h["welfare_decile"], members, on), on
        ):
            got = e.program in served.get(hid, set())
            instead = any(frozenset((e.program, p)) in forbidden for p in served.get(hid, ()))
            if e.eligible and not got and not instead:
                out.add((hid, "EXCLUSION", e.program))
            elif got and not e.eligible:
                out.add((hid, "INCLUSION", e.program))
    return out


async def test_findings_are_the_city_tables_errors_and_its_duplicated_aid(ruled: Api) -> None:
    found = await all_findings(ruled)
    pairs = {
        (f["household"]["id"], f["kind"], f["programs"][0])
        for f in found
        if f["kind"] != "DUPLICATION"
    }
    assert pairs == expected(tiny_city())
    assert len(found) == len({(f["household"]["id"], f["kind"], *f["programs"]) for f in found})
    duplicated = [f for f in found if f["kind"] == "DUPLICATION"]
    assert [(f["household"]["id"], f["programs"], f["rule"]) for f in duplicated] == [
        ("H1", ["BPNT", "SEMBAKO-YAYASAN"], "same_need")
    ]
    assert [s["id"] for s in duplicated[0]["services"]] == ["S1", "S2"]


async def test_an_inclusion_error_says_which_conditions_failed(ruled: Api) -> None:
    (pkh,) = await all_findings(ruled, kind=["INCLUSION"], program="PKH")
    assert (pkh["household"]["id"], pkh["rule"], pkh["enrolled"]) == ("H2", "PKH 2024.1", True)
    assert pkh["explanation"] == (
        "Keluarga menerima PKH dalam periode ini tetapi tidak memenuhi syaratnya. "
        "Tidak ada anak di bawah 18 tahun dalam keluarga. "
        "Tidak tercatat anggota keluarga yang sedang hamil. "
        "Tidak ada anggota keluarga berusia 60 tahun ke atas. "
        "Tidak tercatat anggota keluarga penyandang disabilitas."
    )
    assert [(c["name"], c["held"]) for c in pkh["conditions"]] == [
        ("desil", True),
        ("anak", False),
        ("ibu_hamil", False),
        ("lansia", False),
        ("disabilitas", False),
    ]
    assert [s["id"] for s in pkh["services"]] == ["S3"]


async def test_an_exclusion_error_in_an_area(ruled: Api) -> None:
    found = await all_findings(ruled, kind=["EXCLUSION"], area="327302")
    assert {f["household"]["id"] for f in found} == {"H4"}
    (lansia,) = [f for f in found if f["programs"] == ["BANSOS-LANSIA-KOTA"]]
    assert lansia["explanation"] == (
        "Keluarga memenuhi syarat BANSOS-LANSIA-KOTA tetapi tidak menerimanya dalam periode ini."
    )
    assert [c["explanation"] for c in lansia["conditions"]] == [
        "Keluarga berada di desil 5, dalam batas desil 1 sampai 5.",
        "Ada anggota keluarga yang tercatat sebagai lanjut usia terlantar.",
    ]


ELIGIBILITY = """query($id: ID!, $on: Date) { household(id: $id) {
  eligibility(on: $on) { program eligible ruleVersion conditions { name held explanation } } } }"""


async def test_household_eligibility_for_casework_only(ruled: Api) -> None:
    got = (await ruled.data(ELIGIBILITY, WORKER, id="H3", on=TO))["household"]["eligibility"]
    by_program = {e["program"]: e for e in got}
    assert by_program["BPNT"]["eligible"] and not by_program["PKH"]["eligible"]
    assert by_program["BPNT"]["conditions"] == [
        {
            "name": "desil",
            "held": True,
            "explanation": "Keluarga berada di desil 1, dalam batas desil 1 sampai 5.",
        }
    ]
    hidden = await ruled.data(ELIGIBILITY, YAY_A, id="H1", on=TO)
    assert hidden["household"]["eligibility"] == []
    refused = await ruled.run(FINDINGS, YAY_A, first=5, **{"from": FROM, "to": TO})
    assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"


PAGE_CONDITIONS = """query($on: Date) { households(first: 20) { edges { node {
  id eligibility(on: $on) { program eligible ruleVersion conditions { name held explanation } }
} } } }"""


async def test_a_household_by_id_brings_its_eligibility_in_its_one_statement(
    ruled: Api,
) -> None:
    ruled.counter.queries.clear()
    by_id = (await ruled.data(ELIGIBILITY, WORKER, id="H3", on=TO))["household"]["eligibility"]
    assert len(ruled.counter.queries) == 1, ruled.counter.queries
    # the same as a page of households reads it, with its own facts statement
    page = (await ruled.data(PAGE_CONDITIONS, WORKER, on=TO))["households"]["edges"]
    [listed] = [e["node"]["eligibility"] for e in page if e["node"]["id"] == "H3"]
    assert by_id == listed and by_id


SUMMARY = """query($from: Date!, $to: Date!) { targetingSummary(from: $from, to: $to) {
  kelurahanCode kind program households } }"""


async def test_summary_counts_the_findings_by_area(ruled: Api) -> None:
    found = await all_findings(ruled)
    rows = (await ruled.data(SUMMARY, ADMIN, **{"from": FROM, "to": TO}))["targetingSummary"]
    total = sum(r["households"] for r in rows)
    assert total == sum(len(f["programs"]) for f in found)
    withheld = (await ruled.data(SUMMARY, ANALYST, **{"from": FROM, "to": TO}))["targetingSummary"]
    assert all(r["households"] is None for r in withheld)  # every cell here is under 5


WHAT_IF = """query($program: String, $from: Date!, $to: Date!, $max: Int, $when: String) {
  eligibilityWhatIf(program: $program, from: $from, to: $to, decileMax: $max, expression: $when) {
    ruleVersion expression households eligibleNow eligibleThen newlyExcluded newlyIncluded
    program unitCost costChange newlyExcludedHouseholds } }"""


async def test_what_if_bpnt_cut_off_1_excludes_decile_2_to_5_and_changes_nothing(
    ruled: Api,
) -> None:
    args = {"from": FROM, "to": TO}
    before = await all_findings(ruled)
    (got,) = (await ruled.data(WHAT_IF, ADMIN, program="BPNT", max=1, **args))["eligibilityWhatIf"]
    assert got["ruleVersion"] == "2024.1+what-if"
    assert (got["households"], got["eligibleNow"], got["eligibleThen"]) == (4, 4, 2)
    assert sorted(got["newlyExcludedHouseholds"]) == ["H2", "H4"]
    assert got["newlyIncluded"] == 0
    assert got["unitCost"] == 200000.0  # BPNT's services in October: 200,000 each
    assert got["costChange"] == -400000.0
    assert await all_findings(ruled) == before  # nothing applied
    bad = await ruled.run(WHAT_IF, ADMIN, program="PKH", when="desil && kaya", **args)
    assert bad.errors and "unknown condition kaya" in bad.errors[0].message
    every = (await ruled.data(WHAT_IF, ADMIN, **args))["eligibilityWhatIf"]
    assert [w["program"] for w in every] == sorted(eligibility_rules().programs)
    assert all(w["newlyExcluded"] == w["newlyIncluded"] == 0 for w in every)


async def test_what_if_names_the_households_it_leaves_out_only_for_a_stated_purpose(
    ruled: Api,
) -> None:
    """The households a what-if leaves out are named to the roles shown them (as
    budgetWhatIf's): that read needs a purpose like every other named one (UU
    PDP); the counts alone, as an analyst sees them, do not."""
    args = {"from": FROM, "to": TO, "program": "BPNT", "max": 1}
    ruled.audit.events.clear()
    bare = await ruled.run(WHAT_IF, ADMIN, purpose=None, **args)
    assert bare.errors and bare.errors[0].extensions["code"] == "PURPOSE_REQUIRED", bare.data
    assert not [e for e in ruled.audit.events if e.household_ids]
    (counted,) = (await ruled.data(WHAT_IF, ANALYST, purpose=None, **args))["eligibilityWhatIf"]
    assert counted["newlyExcludedHouseholds"] is None
    (named,) = (await ruled.data(WHAT_IF, ADMIN, **args))["eligibilityWhatIf"]
    assert sorted(named["newlyExcludedHouseholds"]) == ["H2", "H4"]
    assert [e.purpose for e in ruled.audit.events if e.household_ids] == ["test"]


ENROL = """mutation($e: EnrolmentInput!) { enrolHousehold(enrolment: $e) { programCode } }"""


async def test_enrolling_an_ineligible_household_is_refused_unless_overridden(ruled: Api) -> None:
    e = {"householdId": "H3", "program": "PKH", "since": "2026-11-01"}
    refused = await ruled.run(ENROL, WORKER, e=e)
    assert refused.errors and refused.errors[0].extensions["field"] == "enrolment.program"
    assert refused.errors[0].message.startswith(
        "enrolment.program: the household is not eligible for PKH on 2026-11-01 by rule 2024.1. "
        "Tidak ada anak di bawah 18 tahun dalam keluarga."
    )
    # a foundation's enrolment is not judged: the rule reads disabilities and health
    # problems, so accepting or refusing would tell it by trying (the targeting
    # findings show Dinsos an enrolment that breaks the rule)
    own = await ruled.run(ENROL, YAY_A, e={**e, "householdId": "H1"})
    assert not own.errors, own.errors
    await ruled.data(ENROL, WORKER, e={**e, "overrideReason": "a child was born in October"})
    kept = await ruled.services.repository.targeting_facts(
        {"organization": None, "special_category": True, "opened": []},
        start=date.fromisoformat(FROM),
        end=date.fromisoformat(TO),
        ids=["H3"],
    )
    assert kept[0]["enrolled"] == ["PKH"]
    await ruled.data(ENROL, WORKER, e={**e, "program": "BPNT"})  # eligible: no reason needed


async def test_findings_are_kept_until_a_write_then_read_again(ruled: Api) -> None:
    cache = ruled.services.findings
    before = await all_findings(ruled)  # several pages, one computation
    assert cache.computed == {"rows": 1, "findings": 1}
    ruled.counter.queries.clear()
    assert await all_findings(ruled) == before
    # a what-if over the same period reads the rows the findings read
    await ruled.data(WHAT_IF, ADMIN, program="BPNT", max=1, **{"from": FROM, "to": TO})
    assert cache.computed == {"rows": 1, "findings": 1}
    assert not [q for q in ruled.counter.queries if "toString(p.birth_date)" in q]  # no rows read
    missed = ("H4", "EXCLUSION", "BANSOS-LANSIA-KOTA")
    assert missed in {(f["household"]["id"], f["kind"], *f["programs"]) for f in before}
    enrol = {"householdId": "H4", "program": "BANSOS-LANSIA-KOTA", "since": "2026-10-01"}
    await ruled.data(ENROL, WORKER, e=enrol)  # a real write: journaled, then the graph
    after = await all_findings(ruled)
    assert cache.computed == {"rows": 2, "findings": 2}
    assert missed not in {(f["household"]["id"], f["kind"], *f["programs"]) for f in after}


PAGE_ELIGIBILITY = """query($first: Int!, $on: Date) { households(first: $first) {
  edges { node { id eligibility(on: $on) { program eligible } } } } }"""


async def test_a_page_of_households_reads_its_eligibility_facts_in_one_statement(
    ruled: Api,
) -> None:
    def facts_reads() -> int:
        return len([q for q in ruled.counter.queries if "decile: h.welfare_decile" in q])

    ruled.counter.queries.clear()
    one = await ruled.data(PAGE_ELIGIBILITY, ADMIN, first=1, on=TO)
    assert facts_reads() == 1
    ruled.counter.queries.clear()
    four = await ruled.data(PAGE_ELIGIBILITY, ADMIN, first=4, on=TO)
    assert facts_reads() == 1, ruled.counter.queries
    edges = four["households"]["edges"]
    assert len(edges) == 4 and all(e["node"]["eligibility"] for e in edges)
    assert edges[0] == one["households"]["edges"][0]
