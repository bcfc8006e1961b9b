"""When a referral subscription takes the graph's referral as holding a
journaled write (`schema.subscription._landed`)."""

from __future__ import annotations

from schema.subscription import _landed

OPENED = {"status": "OPEN", "history": ["OPEN"]}
ACCEPTED = {"status": "ACCEPTED", "history": ["OPEN", "ACCEPTED"]}
ONWARD = {"status": "REFERRED_ONWARD", "history": ["OPEN", "ACCEPTED", "REFERRED_ONWARD"]}


def test_a_graph_behind_the_fact_has_not_landed_it() -> None:
    assert not _landed(OPENED, ACCEPTED)
    assert not _landed(ACCEPTED, ONWARD)


def test_the_write_itself_has_landed() -> None:
    assert _landed(ACCEPTED, ACCEPTED)


def test_a_later_move_counts_as_landed() -> None:
    """A referral created and at once moved on: the creation's subscriber is
    told the referral as it now is, without waiting for a status it left."""
    assert _landed(ONWARD, OPENED)


def test_a_fact_without_history_compares_the_status() -> None:
    assert _landed({"status": "OPEN", "history": None}, {"status": "OPEN"})
    assert not _landed({"status": "OPEN", "history": None}, {"status": "ACCEPTED"})
    assert _landed({"status": "OPEN"}, {})
