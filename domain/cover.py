"""Which eligible households a program's budgets pay for (the budget what-if).

Each budget pays for `amount // cost_per_household` households, at most its
`quota_households`; a program's budgets in a year together pay for the sum.
They go to the eligible households poorest first: the lowest DTSEN decile
first (a household without a decile last), then by household id, so the same
data always gives the same answer; the rest stay out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.cycles import RosterEntry


@dataclass(frozen=True)
class Funds:
    amount: float
    quota_households: int


def capacity(budgets: Iterable[Funds], cost_per_household: int) -> int:
    """How many households the budgets pay for at `cost_per_household` (IDR)."""
    if cost_per_household <= 0:
        raise ValueError("a program's cost per household must be positive")
    return sum(min(int(b.amount // cost_per_household), b.quota_households) for b in budgets)


@dataclass(frozen=True)
class Cover:
    covered: tuple[str, ...]
    left_out: tuple[str, ...]


def cover(eligible: Sequence[RosterEntry], paid_for: int) -> Cover:
    """The eligible households the budgets reach (`paid_for` of them, poorest
    first) and those that stay out."""
    ordered = sorted(
        eligible,
        key=lambda e: (e.facts.decile is None, e.facts.decile or 0, e.household_id),
    )
    ids = tuple(e.household_id for e in ordered)
    return Cover(ids[:paid_for], ids[paid_for:])


__all__ = ["Cover", "Funds", "capacity", "cover"]
