from __future__ import annotations

import pytest
from city import EVIDENCE_H1
from gqlkit import ADMIN, ANALYST, AUDITOR, YAY_A, YAY_B, Api

pytestmark = pytest.mark.anyio

HOUSEHOLD_360 = """
query($id: ID!) {
  household(id: $id) {
    id noKk kelurahan kecamatan rt rw decile
    members { id fullName nik relationship problems { code specialCategory } }
    problems { code }
    currentPrograms { programCode funder active }
    serviceHistory { id serviceDate program funder organization amount }
    assessments { id ppks plan }
    referrals { id status toOrganization }
    sourceRecords { recordKey organization matchProbability
                    evidence { otherRecordKey matchWeight fields } }
  }
}"""


async def test_household_360_for_dinsos(api: Api) -> None:
    h = (await api.data(HOUSEHOLD_360, ADMIN, id="H1"))["household"]
    assert h["noKk"] == "3273010101010001" and h["kelurahan"] == "Gegerkalong"
    assert [m["fullName"] for m in h["members"]] == ["Hermawan", "Euis Suryani"]
    assert {p["code"] for p in h["problems"]} == {"PPKS16", "PPKS24"}
    assert [s["program"] for s in h["serviceHistory"]] == ["SEMBAKO-YAYASAN", "BPNT"]
    assert h["assessments"][0]["ppks"] == ["PPKS16"]
    evidence = [e for r in h["sourceRecords"] for e in r["evidence"]]
    assert evidence and evidence[0]["fields"] == EVIDENCE_H1
    assert {e["otherRecordKey"] for e in evidence} == {"dtks:1", "yaya:1"}


async def test_foundation_sees_its_household_masked_without_special_category(api: Api) -> None:
    h = (await api.data(HOUSEHOLD_360, YAY_A, id="H1"))["household"]
    assert h["noKk"] == "3273**********01"
    assert h["members"][0]["nik"] == "3273**********01"
    assert {p["code"] for p in h["problems"]} == {"PPKS24"}
    assert all(p["code"] != "PPKS16" for m in h["members"] for p in m["problems"])
    assert h["assessments"] == []
    # its own record only; the link's evidence masked, the other end (DINSOS's) unnamed
    [record] = h["sourceRecords"]
    assert (record["recordKey"], record["organization"]) == ("yaya:1", "YAY-A")
    [evidence] = record["evidence"]
    assert evidence["otherRecordKey"] is None
    nik, name, household = evidence["fields"]
    assert nik["values"] == {"nik_clean": ["3273**********01", "3273**********01"]}
    assert name == EVIDENCE_H1[1]
    assert household["values"] == {
        "kk_clean": ["3273**********01", "3273**********01"],
        "home_key": ["jl contoh|1", None],
        "phone_clean": ["0812*****890", "0812*****890"],
    }
    assert [s["organization"] for s in h["serviceHistory"]] == ["YAY-A", None]


async def test_foundation_cannot_see_other_households(api: Api) -> None:
    result = await api.run(HOUSEHOLD_360, YAY_A, id="H4")
    assert result.errors and result.errors[0].extensions["code"] == "NOT_FOUND"
    referred = await api.data(HOUSEHOLD_360, YAY_B, id="H4")
    assert referred["household"]["referrals"][0]["toOrganization"] == "YAY-B"


async def test_analyst_and_auditor_read_no_named_people(api: Api) -> None:
    for who in (ANALYST, AUDITOR):
        result = await api.run(HOUSEHOLD_360, who, id="H1")
        assert result.errors and result.errors[0].extensions["code"] == "FORBIDDEN"


async def test_person_with_lineage(api: Api) -> None:
    p = (
        await api.data("""query { person(id: "P1") { fullName household { id }
        sourceRecords { recordKey } } }""")
    )["person"]
    assert p["household"]["id"] == "H1"
    assert {r["recordKey"] for r in p["sourceRecords"]} == {"dtks:1", "yaya:1"}


SEARCH = """query($name: String!, $kel: String, $first: Int, $after: String) {
  searchPersons(name: $name, kelurahan: $kel, first: $first, after: $after) {
    totalCount edges { cursor node { id fullName searchScore } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_search_persons_is_fuzzy_and_paged(api: Api) -> None:
    found = (await api.data(SEARCH, name="Djadjang Sudrajat"))["searchPersons"]
    assert found["edges"][0]["node"]["id"] == "P4"
    page1 = (await api.data(SEARCH, name="a", first=1))["searchPersons"]
    assert page1["pageInfo"]["hasNextPage"] or page1["totalCount"] == 1
    if page1["pageInfo"]["hasNextPage"]:
        page2 = (await api.data(SEARCH, name="a", first=1, after=page1["pageInfo"]["endCursor"]))[
            "searchPersons"
        ]
        assert page2["edges"][0]["node"]["id"] != page1["edges"][0]["node"]["id"]


async def test_search_uses_the_name_normaliser(api: Api) -> None:
    from dataclasses import replace

    api.services = replace(api.services, name_normaliser=lambda n: ["hermawan"])
    found = (await api.data(SEARCH, name="Wawan"))["searchPersons"]
    assert [e["node"]["id"] for e in found["edges"]] == ["P1"]


async def test_input_errors_name_the_field(api: Api) -> None:
    result = await api.run(SEARCH, name="!!")
    assert result.errors and result.errors[0].extensions == {
        "code": "BAD_USER_INPUT",
        "field": "name",
        "reason": "give at least one letter of the name.",
    }
    bad = await api.run(SEARCH, name="asep", first=1000)
    assert bad.errors and bad.errors[0].extensions["field"] == "first"
    cursor = await api.run(SEARCH, name="asep", after="nonsense")
    assert cursor.errors and cursor.errors[0].extensions["field"] == "after"


HOUSEHOLDS = """query($filter: HouseholdFilter, $sort: HouseholdSort, $first: Int) {
  households(filter: $filter, sort: $sort, first: $first) {
    totalCount edges { node { id decile } } pageInfo { hasNextPage }
  }
}"""


async def test_households_filters_and_sorting(api: Api) -> None:
    by_ppks = (await api.data(HOUSEHOLDS, filter={"ppks": "PPKS24"}))["households"]
    assert [e["node"]["id"] for e in by_ppks["edges"]] == ["H1", "H2", "H3"]
    by_kk = (await api.data(HOUSEHOLDS, filter={"noKk": "3273020101010004"}))["households"]
    assert [e["node"]["id"] for e in by_kk["edges"]] == ["H4"]
    sorted_desc = (
        await api.data(HOUSEHOLDS, sort={"field": "DECILE", "direction": "DESC"}, first=2)
    )["households"]
    assert sorted_desc["edges"][0]["node"]["id"] == "H4" and sorted_desc["pageInfo"]["hasNextPage"]
    bad = await api.run(HOUSEHOLDS, filter={"nik": "123"})
    assert bad.errors and bad.errors[0].extensions["field"] == "filter.nik"
    special = (await api.data(HOUSEHOLDS, YAY_A, filter={"ppks": "PPKS16"}))["households"]
    assert special["totalCount"] == 0


async def test_households_by_kelurahan_name_and_address_words(api: Api) -> None:
    def ids(page: dict) -> list[str]:
        return [e["node"]["id"] for e in page["households"]["edges"]]

    by_code = await api.data(HOUSEHOLDS, filter={"kelurahanCode": "3273021001"})
    by_name = await api.data(HOUSEHOLDS, filter={"kelurahan": "dAGO"})
    assert ids(by_name) == ids(by_code) == ["H4"]
    assert ids(await api.data(HOUSEHOLDS, filter={"kelurahan": "3273021001"})) == ["H4"]
    # the address holds "Jl. Contoh H<n>": words in any letter case, runs of spaces made one
    assert ids(await api.data(HOUSEHOLDS, filter={"address": "contoh   h2"})) == ["H2"]
    both = await api.data(HOUSEHOLDS, filter={"address": "jl. contoh", "kelurahan": "Dago"})
    assert ids(both) == ["H4"]
    short = await api.run(HOUSEHOLDS, filter={"address": "jl"})
    assert short.errors and short.errors[0].extensions["field"] == "filter.address"


async def test_the_ppks_catalogue_leaves_out_special_categories_a_role_may_not_see(
    api: Api,
) -> None:
    query = "{ ppksCategories { code number name specialCategory } }"
    everything = (await api.data(query, ADMIN))["ppksCategories"]
    assert [c["code"] for c in everything] == ["PPKS08", "PPKS16", "PPKS24"]
    assert [c["number"] for c in everything] == sorted(c["number"] for c in everything)
    for who in (ANALYST, AUDITOR, YAY_A):
        found = (await api.data(query, who))["ppksCategories"]
        assert found == [c for c in everything if not c["specialCategory"]], who
