"""The numbers that define the hub's terms: active, poor, and the city's targets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

#: A household's program is *active* when it received a service of it within this many
#: days before the last delivery seen (half a year).
ACTIVE_DAYS: Final[int] = 183
#: A household is *poor* when its lowest DTSEN welfare decile (desil) is at most this,
#: or a P3KE source lists it (extreme poverty).
POOR_DECILE_MAX: Final[int] = 4
#: The welfare deciles DTSEN uses.
DECILE_MIN: Final[int] = 1
DECILE_MAX: Final[int] = 10
#: Kota Bandung's poverty rate in 2022 (BPS), the baseline the target is measured from.
POVERTY_BASELINE: Final[float] = 0.0425
#: The city's poverty-rate target.
POVERTY_TARGET: Final[float] = 0.0314
#: A referral is *overdue* when the receiving organization has left it waiting
#: (sent or received, not yet accepted or declined) this many days since its last move.
REFERRAL_OVERDUE_DAYS: Final[int] = 7
#: The referral statuses that wait for the receiving organization's answer.
REFERRAL_WAITING: Final[frozenset[str]] = frozenset({"OPEN", "RECEIVED"})


#: a social worker's caseload lists the follow-ups due within this many days
FOLLOW_UP_AHEAD_DAYS: Final = 7


def follow_ups_due_by(today: date) -> date:
    """The last follow-up date a caseload lists as due (overdue ones included)."""
    return today + timedelta(days=FOLLOW_UP_AHEAD_DAYS)


def referral_waiting_since_before(today: date) -> date:
    """A waiting referral last moved before this day is overdue."""
    return today - timedelta(days=REFERRAL_OVERDUE_DAYS)


def is_referral_overdue(status: str, moved_on: date | None, today: date) -> bool:
    return (
        status in REFERRAL_WAITING
        and moved_on is not None
        and moved_on < referral_waiting_since_before(today)
    )


# --- eligibility facts (domain.eligibility.household_facts) ---------------------
#: A child is a member under this age (UU 35/2014 on child protection).
CHILD_AGE_BELOW: Final[int] = 18
#: An elder (lanjut usia) is a member of this age or older (UU 13/1998).
ELDER_AGE: Final[int] = 60
#: School age, inclusive, as KIP (Program Indonesia Pintar) counts it.
SCHOOL_AGES: Final[tuple[int, int]] = (6, 21)
#: The PPKS codes that mark a member as disabled: a disabled child (PPKS05) and
#: a person with a disability (PPKS09).
DISABILITY_PPKS: Final[frozenset[str]] = frozenset({"PPKS05", "PPKS09"})


def is_decile(value: int) -> bool:
    return DECILE_MIN <= value <= DECILE_MAX


def is_poor_decile(decile: int | None) -> bool:
    """The decile half of the *poor* rule (a P3KE listing is the other)."""
    return decile is not None and decile <= POOR_DECILE_MAX


def poor_sql(
    decile_max: int | str = POOR_DECILE_MAX, decile: str = "welfare_decile", p3ke: str = "p3ke"
) -> str:
    """The *poor* rule as DuckDB SQL over a household row: its lowest decile column
    `decile` is at most `decile_max` (a number, or a `$parameter`), or its boolean
    column `p3ke` says a P3KE source lists it. Every figure that counts the poor
    (the API, the report, the dashboard, the need budgets are weighed against)
    reads this."""
    return f"(coalesce({decile} <= {decile_max}, false) OR coalesce({p3ke}, false))"


__all__ = [
    "ACTIVE_DAYS",
    "CHILD_AGE_BELOW",
    "DECILE_MAX",
    "DECILE_MIN",
    "DISABILITY_PPKS",
    "ELDER_AGE",
    "FOLLOW_UP_AHEAD_DAYS",
    "POOR_DECILE_MAX",
    "POVERTY_BASELINE",
    "POVERTY_TARGET",
    "REFERRAL_OVERDUE_DAYS",
    "REFERRAL_WAITING",
    "SCHOOL_AGES",
    "follow_ups_due_by",
    "is_decile",
    "is_poor_decile",
    "is_referral_overdue",
    "poor_sql",
    "referral_waiting_since_before",
]

#: The monthly cut-off day (as in the DTSEN update cycle): month M's report
#: covers the day after M-1's cut-off up to and including M's cut-off day.
#: A setting (`report_cutoff_day`); this is its default.
REPORT_CUTOFF_DAY: Final[int] = 17
#: the latest cut-off day every month has
REPORT_CUTOFF_MAX: Final[int] = 28
#: The office's time zone: a report month's days start at 00:00 here, and a fact
#: recorded at 03:00 WIB on the 18th is the 18th's, not the 17th's as in UTC.
#: A setting (`report_timezone`, an IANA name); this is its default (Bandung: WIB).
OFFICE_TIMEZONE: Final[str] = "Asia/Jakarta"
