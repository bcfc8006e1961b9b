"""Budgets through the API on the tiny city of tests/graph/city.py in a real
Neo4j: setBudget and its history (every value kept, in the journal), the
budgets and the funding pool reading the same home, who may set one, and the
budget what-if's exact figures on the city's four BPNT-eligible households."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from gqlkit import ADMIN, ANALYST, WORKER, Api

from connectors.reference import eligibility_rules
from journal import Journal, kinds

pytestmark = pytest.mark.anyio

#: BPNT's cost per household in the program catalogue (IDR a year)
BPNT = 2_400_000

SET = """mutation($f: String!, $p: String!, $a: Float!, $q: Int!, $r: String) {
  setBudget(funder: $f, program: $p, year: 2026, amount: $a, quotaHouseholds: $q, reason: $r) {
    funder program year amount quotaHouseholds spent } }"""
HISTORY = """{ budgetHistory(funder: "APBN", program: "BPNT", year: 2026) {
  amount quotaHouseholds source setBy reason } }"""
BUDGETS = """{ budgets(year: 2026) { budgets { funder program amount quotaHouseholds } }
  fundingPool(year: 2026) { pool } }"""
WHAT_IF = """query($f: String!, $a: Float!, $q: Int) {
  budgetWhatIf(funder: $f, program: "BPNT", year: 2026, amount: $a, quotaHouseholds: $q,
               on: "2026-10-31") {
    ruleVersion costPerHousehold budgetNow budgetThen poolNow poolThen eligible
    coveredNow coveredThen costNow costThen leftOutNow leftOutThen newlyLeftOut
    leftOutHouseholds newlyLeftOutHouseholds } }"""


@pytest.fixture
def ruled(api: Api) -> Api:
    return replace(api, services=replace(api.services, rules=eligibility_rules()))


async def set_budget(api: Api, amount: float, quota: int, **more: Any) -> dict[str, Any]:
    got: dict[str, Any] = (
        await api.data(SET, ADMIN, f="APBN", p="BPNT", a=amount, q=quota, **more)
    )["setBudget"]
    return got


async def test_a_budget_set_twice_keeps_both_values_and_is_what_everyone_reads(
    ruled: Api,
) -> None:
    first = await set_budget(ruled, 2 * BPNT, 10)
    assert first == {
        "funder": "APBN",
        "program": "BPNT",
        "year": 2026,
        "amount": 2 * BPNT,
        "quotaHouseholds": 10,
        "spent": 0.0,
    }
    await set_budget(ruled, BPNT, 1, r="APBN-P dipotong, aduan NIK 3273011204800001")
    read = await ruled.data(BUDGETS, ANALYST)
    assert read["budgets"]["budgets"] == [
        {"funder": "APBN", "program": "BPNT", "amount": BPNT, "quotaHouseholds": 1}
    ]
    assert read["fundingPool"]["pool"] == BPNT
    assert (await ruled.data(HISTORY, ANALYST))["budgetHistory"] == [
        {"amount": 2 * BPNT, "quotaHouseholds": 10, "source": "api", "setBy": "tester"}
        | {"reason": None},
        {"amount": BPNT, "quotaHouseholds": 1, "source": "api", "setBy": "tester"}
        | {"reason": "APBN-P dipotong, aduan NIK 3273**********01"},  # kept masked
    ]
    journal = ruled.services.journal
    assert isinstance(journal, Journal)
    facts = journal.read(kinds=[kinds.BUDGET_SET])
    assert [f.payload["previous"] for f in facts] == [
        None,
        {"amount": 2 * BPNT, "quota_households": 10},
    ]
    assert all(f.household_ids == () and f.subject == "APBN:BPNT:2026" for f in facts)


async def test_only_dinsos_administrators_set_a_budget_and_only_a_good_one(ruled: Api) -> None:
    for who in (WORKER, ANALYST):
        refused = await ruled.run(SET, who, f="APBN", p="BPNT", a=1.0, q=1)
        assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"
    unknown = await ruled.run(SET, ADMIN, f="APBN", p="XYZ", a=1.0, q=1)
    assert unknown.errors and unknown.errors[0].message == (
        "budget: program 'XYZ' is not in the program catalogue."
    )
    negative = await ruled.run(SET, ADMIN, f="APBN", p="BPNT", a=-1.0, q=1)
    assert negative.errors and negative.errors[0].message == (
        "budget: quota_households and amount may not be negative."
    )
    assert (await ruled.data(BUDGETS, ADMIN))["budgets"]["budgets"] == []


async def test_what_a_changed_budget_would_pay_for_and_who_stays_out(ruled: Api) -> None:
    """BPNT (deciles 1 to 5) finds H1 and H3 (decile 1), H2 (2) and H4 (5) eligible,
    paid for in that order; the APBN budget now pays for two of them."""
    await set_budget(ruled, 2 * BPNT, 10)
    cut = (await ruled.data(WHAT_IF, WORKER, f="APBN", a=BPNT))["budgetWhatIf"]
    assert cut == {
        "ruleVersion": "2024.1",
        "costPerHousehold": BPNT,
        "budgetNow": 2 * BPNT,
        "budgetThen": BPNT,
        "poolNow": 2 * BPNT,
        "poolThen": BPNT,
        "eligible": 4,
        "coveredNow": 2,
        "coveredThen": 1,
        "costNow": 2 * BPNT,
        "costThen": BPNT,
        "leftOutNow": 2,
        "leftOutThen": 3,
        "newlyLeftOut": 1,
        "leftOutHouseholds": ["H3", "H2", "H4"],
        "newlyLeftOutHouseholds": ["H3"],
    }
    # a bigger budget is held to its quota
    capped = (await ruled.data(WHAT_IF, WORKER, f="APBN", a=10 * BPNT, q=3))["budgetWhatIf"]
    assert (capped["coveredThen"], capped["leftOutHouseholds"]) == (3, ["H4"])
    # a new funder's budget adds to the program's pool
    city = (await ruled.data(WHAT_IF, WORKER, f="APBD_KOTA", a=BPNT))["budgetWhatIf"]
    assert (city["budgetNow"], city["poolThen"], city["coveredThen"]) == (None, 3 * BPNT, 3)
    assert city["newlyLeftOutHouseholds"] == []
    # nothing was applied, and an analyst gets no household and no small count
    assert (await ruled.data(BUDGETS, ADMIN))["fundingPool"]["pool"] == 2 * BPNT
    counted = (await ruled.data(WHAT_IF, ANALYST, f="APBN", a=BPNT))["budgetWhatIf"]
    assert counted["poolThen"] == BPNT
    assert {k: counted[k] for k in ("eligible", "coveredNow", "costThen", "leftOutHouseholds")} == {
        "eligible": None,
        "coveredNow": None,
        "costThen": None,
        "leftOutHouseholds": None,
    }
