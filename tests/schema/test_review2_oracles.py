"""Review findings (helper R, session 10): answers a role must not be able to
read off a mutation's result."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gqlkit import WORKER, YAY_B, Api

from connectors.reference import eligibility_rules
from domain.decile_alerts import Crossing, alert_payload
from hub.journal_replay import replay_into
from journal import NewFact, kinds

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
    # before: BLT PAUSED, PKH ACTIVE -- the difference was PKH's special-category conditions
    assert blt["status"] == pkh["status"] == "PAUSED", (blt, pkh)


PROGRAMS = """query($id: ID!) { household(id: $id) {
  currentPrograms { programCode status decileAlert } } }"""
RESOLVE = """mutation($id: ID!, $outcome: DecileAlertOutcome!, $note: String!) {
  resolveDecileAlert(id: $id, outcome: $outcome, note: $note) { id status } }"""


def _raised(hid: str, program: str, old: int, new: int, key: str) -> NewFact:
    crossing = Crossing(program, "2024.1", old, new, ())
    return NewFact(
        kind=kinds.DECILE_ALERT_RAISED,
        subject=hid,
        household_ids=(hid,),
        payload=alert_payload(hid, crossing, "327301", "3273011001"),
        key=key,
    )


async def test_an_enrolment_stays_paused_while_any_of_its_alerts_waits(api: Api) -> None:
    """Two alerts wait on one enrolment (desil 4 -> 5, back to 3, then 3 -> 6 before
    the first visit). Resolving the newer must leave it paused by the older, as
    the replay after the next load marks it."""
    journal = api.services.journal
    assert journal is not None
    older, newer = journal.append(
        [
            _raised("H2", "PKH", 4, 5, "review2:H2:PKH:1"),
            _raised("H2", "PKH", 3, 6, "review2:H2:PKH:2"),
        ]
    )
    await replay_into(api.services.repository, journal)  # type: ignore[arg-type]
    await api.data(RESOLVE, WORKER, id=f"DA-{newer}", outcome="CONFIRMED_CONTINUE", note="ok")
    live = (await api.data(PROGRAMS, WORKER, id="H2"))["household"]["currentPrograms"]
    await replay_into(api.services.repository, journal)  # type: ignore[arg-type]
    replayed = (await api.data(PROGRAMS, WORKER, id="H2"))["household"]["currentPrograms"]
    assert live == replayed, (live, replayed)
    assert {p["programCode"]: p["status"] for p in live}["PKH"] == "PAUSED", (older, live)
