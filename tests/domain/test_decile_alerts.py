"""Decile threshold alerts on hand-made households against the catalogue's rules:
the threshold comes from the program's rule, and the alert says which of its
conditions failed, word for word."""

from __future__ import annotations

from datetime import date

from connectors.reference import eligibility_rules
from domain.decile_alerts import crossings
from domain.eligibility import household_facts

ON = date(2026, 12, 1)
#: a mother and her child: PKH's family condition holds, only the decile decides
FAMILY = household_facts(
    None,
    [
        {"birth_date": date(1985, 2, 1), "ppks": [], "status": "active"},
        {"birth_date": date(2015, 6, 30), "ppks": [], "status": "active"},
    ],
    ON,
)


def test_a_pkh_family_moving_from_decile_4_to_5_is_paused_with_the_rules_words() -> None:
    (alert,) = crossings(eligibility_rules(), FAMILY, 4, 5, ON, ["PKH"])
    assert (alert.program, alert.rule_version, alert.decile_from, alert.decile_to) == (
        "PKH",
        "2024.1",
        4,
        5,
    )
    assert [c.name for c in alert.failed] == ["desil"]
    assert alert.explanation == "Keluarga berada di desil 5, di luar batas desil 1 sampai 4."
    assert alert.explanation_en == "The family is in decile 5, outside deciles 1 to 4."


def test_a_pkh_family_moving_from_decile_3_to_4_is_not_paused() -> None:
    assert crossings(eligibility_rules(), FAMILY, 3, 4, ON, ["PKH"]) == []


def test_each_program_keeps_its_own_threshold() -> None:
    """Decile 5 is outside PKH (1-4) but inside BPNT (1-5) and PBI-DAERAH (1-6)."""
    found = crossings(eligibility_rules(), FAMILY, 4, 5, ON, ["PKH", "BPNT", "PBI-DAERAH"])
    assert [c.program for c in found] == ["PKH"]
    found = crossings(eligibility_rules(), FAMILY, 5, 7, ON, ["PKH", "BPNT", "PBI-DAERAH"])
    assert [c.program for c in found] == ["BPNT", "PBI-DAERAH"]


def test_a_family_the_rule_did_not_hold_for_before_raises_nothing() -> None:
    """A childless couple was never PKH-eligible on its other conditions: its
    decile moving is no crossing of PKH's threshold."""
    couple = household_facts(
        None, [{"birth_date": date(1985, 2, 1), "ppks": [], "status": "active"}], ON
    )
    assert crossings(eligibility_rules(), couple, 4, 5, ON, ["PKH"]) == []


def test_a_program_without_a_rule_or_a_decile_that_falls_raises_nothing() -> None:
    assert crossings(eligibility_rules(), FAMILY, 4, 5, ON, ["RUTILAHU"]) == []
    assert crossings(eligibility_rules(), FAMILY, 5, 4, ON, ["PKH"]) == []
