"""One reading of a DCI predicate list (hub.dci.criteria) for a search
(hub.dci.search.household_filter) and for a subscription's filter
(hub.dci.subscribe.area_filter): the same expressions are accepted by both with
the same meaning, and what neither can read is refused by both for the same
reason. No graph."""

from __future__ import annotations

from typing import Any

import pytest

from hub.dci.criteria import MAX_CODES, CriteriaError, household_filter_of, row_matches
from hub.dci.search import household_filter
from hub.dci.subscribe import SubscribeRefusal, area_filter


def _where(*triples: tuple[str, str, Any], condition: str | None = None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = [
        {"expression1": {"attribute_name": n, "operator": op, "attribute_value": v}}
        for n, op, v in triples
    ]
    if condition is not None:
        items[0]["condition"] = condition
        items[0]["expression2"] = items.pop()["expression1"]
    return items


READABLE = [
    _where(("kelurahan_code", "eq", "3273021004"), ("decile", "le", 3)),
    _where(("kecamatan_code", "eq", "3273020"), ("rt", "eq", "001"), ("rw", "eq", 2)),
    _where(("ppks", "eq", "P01"), ("decile", "lt", 4), condition="and"),
    _where(("decile", "eq", 2), ("decile", "le", 5)),
    _where(("kelurahan_code", "in", "3273021004"), ("decile", "eq", 7)),
]


@pytest.mark.parametrize("query", READABLE)
def test_what_a_search_reads_a_subscription_reads_the_same(query: list[dict[str, Any]]) -> None:
    searched = household_filter({"query_type": "predicate", "query": query})
    area = area_filter("predicate", query)
    # the subscription's filter is the search's, value for value
    assert household_filter_of(area) == searched
    # and a household row meets it as the search's HouseholdFilter selects it
    for decile in range(1, 11):
        row = {
            "kelurahan_code": searched.get("kelurahanCode", "3273021004"),
            "kecamatan_code": searched.get("kecamatanCode", "3273020"),
            "rt": searched.get("rt", "001"),
            "rw": searched.get("rw", "2"),
            "welfare_decile": decile,
        }
        wanted = ("decile" not in searched or decile == searched["decile"]) and (
            "maxDecile" not in searched or decile <= searched["maxDecile"]
        )
        assert row_matches(area, row, ("P01",)) == wanted
        if "ppks" in searched:
            assert not row_matches(area, row, ("P02",))


UNREADABLE = [
    _where(("income", "eq", 3)),
    _where(("decile", "gt", 3)),
    _where(("decile", "le", 2.5)),
    _where(("decile", "eq", 11)),
    _where(("decile", "le", 10**400)),  # JSON reads a long number as an int, past any float
    _where(("rt", "eq", "001"), ("rw", "eq", "002"), condition="or"),
    _where(("kelurahan_code", "eq", "1"), ("kelurahan_code", "eq", "2")),
    _where(("rt", "eq", True)),
    {"type": "NoSql", "value": {}},
    ["not a predicate"],
]


@pytest.mark.parametrize("query", UNREADABLE)
def test_what_neither_can_read_is_refused_by_both_for_the_same_reason(query: Any) -> None:
    with pytest.raises(CriteriaError) as searched:
        household_filter({"query_type": "predicate", "query": query})
    with pytest.raises(SubscribeRefusal) as subscribed:
        area_filter("predicate", query)
    # the subscription's enum has no filter code: the search's leads its message
    assert subscribed.value.code == "rjct.notify_details.invalid"
    assert subscribed.value.message == f"{searched.value.code}: {searched.value.message}"


def test_several_codes_are_a_subscription_s_and_refused_by_a_search() -> None:
    query = _where(("kecamatan_code", "in", "3273010, 3273020"))
    assert area_filter("predicate", query) == {"kecamatan_code": ["3273010", "3273020"]}
    with pytest.raises(CriteriaError) as refused:
        household_filter({"query_type": "predicate", "query": query})
    assert refused.value.code == "rjct.filter.invalid"


@pytest.mark.parametrize(("name", "given"), [("rt", "3"), ("rw", 2), ("rt", " 7 ")])
def test_an_rt_or_rw_without_its_zeros_meets_the_households_a_search_finds(
    name: str, given: Any
) -> None:
    """The graph stores RT and RW as three digits ('003'), and a search pads
    what it is given ('3' finds RT 003): a subscription's filter, read by the
    same criteria, meets the same households."""
    query = _where((name, "eq", given))
    stored = str(given).strip().zfill(3)
    row = {"kelurahan_code": "3273021004", "rt": "001", "rw": "002", name: stored}
    assert row_matches(area_filter("predicate", query), row)
    assert household_filter({"query_type": "predicate", "query": query}) == {name: stored}


def test_an_in_of_more_codes_than_an_area_has_is_refused_by_both() -> None:
    """A subscription's filter is kept and read against every fact the pump looks
    at; `in` with tens of thousands of codes (what 256 KiB holds) made each read
    that long. At most MAX_CODES codes, as many as a province has kelurahan."""
    codes = [f"3273{n:06d}" for n in range(MAX_CODES + 1)]
    query = _where(("kelurahan_code", "in", ",".join(codes)))
    with pytest.raises(SubscribeRefusal) as refused:
        area_filter("predicate", query)
    assert refused.value.message.startswith(f"rjct.filter.invalid: at most {MAX_CODES:,} codes")
    with pytest.raises(CriteriaError) as searched:
        household_filter({"query_type": "predicate", "query": query})
    assert refused.value.message == f"{searched.value.code}: {searched.value.message}"
    assert area_filter("predicate", _where(("kelurahan_code", "in", codes[:-1])))
