"""Review findings (helper R, session 10): answers a role must not be able to
read off a mutation's result."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gqlkit import YAY_B, Api

from connectors.reference import eligibility_rules

pytestmark = pytest.mark.anyio

ENROL = """mutation($h: ID!, $program: String!) {
  enrolHousehold(enrolment: {householdId: $h, program: $program, since: "2026-12-01"})
  { programCode status decileAlert } }"""
DECILE = """query($id: ID!) { household(id: $id) { decile } }"""


async def test_an_unchecked_enrolment_does_not_tell_a_foundation_the_rules_hidden_conditions(
    api: Api,
) -> None:
    """check_enrolment keeps a rule's answer from a foundation (its conditions
    name disabilities, pregnancy); the decile pause must not give it back. H4 is
    in desil 5, which YAY-B sees; PKH (desil 1-4 and a child, a pregnant member,
    an elder or a disabled member) and BLT (desil 1-4) both fail on the decile
    alone, so a pause judged on what the foundation sees treats both alike."""
    ruled = replace(api, services=replace(api.services, rules=eligibility_rules()))
    assert (await ruled.data(DECILE, YAY_B, id="H4"))["household"]["decile"] == 5
    blt = (await ruled.data(ENROL, YAY_B, h="H4", program="BLT"))["enrolHousehold"]
    pkh = (await ruled.data(ENROL, YAY_B, h="H4", program="PKH"))["enrolHousehold"]
    # today: BLT PAUSED, PKH ACTIVE -- the difference is PKH's special-category conditions
    assert blt["status"] == pkh["status"], (blt, pkh)
