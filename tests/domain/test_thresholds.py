"""The thresholds that define the hub's terms."""

from __future__ import annotations

from domain.thresholds import (
    ACTIVE_DAYS,
    POOR_DECILE_MAX,
    POVERTY_BASELINE,
    POVERTY_TARGET,
    is_decile,
    is_poor_decile,
)


def test_poor_is_decile_four_or_lower() -> None:
    assert [d for d in range(1, 11) if is_poor_decile(d)] == list(range(1, POOR_DECILE_MAX + 1))
    assert not is_poor_decile(None)
    assert (is_decile(1), is_decile(10), is_decile(0), is_decile(11)) == (True, True, False, False)


def test_active_is_half_a_year_and_the_target_is_below_the_baseline() -> None:
    assert ACTIVE_DAYS == 183
    assert POVERTY_TARGET < POVERTY_BASELINE
