"""The front desk's figures for the head of Dinsos (`serviceDeskSummary`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import strawberry

from domain import service_desk as desk


@strawberry.type(description="A count under a key (a need, a kecamatan code, a status, a kind).")
class KeyCount:
    key: str
    count: int | None = strawberry.field(description="Null when suppressed as a small cell.")


@strawberry.type(description="A step's or a complaint kind's service-level time.")
class SlaDays:
    key: str
    days: int


@strawberry.type(description="The front desk's figures over a period.")
class ServiceDeskSummary:
    from_: date = strawberry.field(name="from")
    to: date
    requests: int | None
    by_need: list[KeyCount]
    by_kecamatan: list[KeyCount]
    by_status: list[KeyCount]
    median_days_to_first_answer: float | None = strawberry.field(
        description="From registration to the first step a person did something "
        "(assessed, in service or ended)."
    )
    median_days_to_end: float | None
    ended: int | None
    ended_within_sla: int | None
    share_ended_within_sla: float | None = strawberry.field(
        description="Of the requests ended, the share ended within the whole SLA "
        "(the steps' days added up)."
    )
    grievances: int | None
    grievances_by_kind: list[KeyCount]
    grievances_escalated: int | None
    step_sla_days: list[SlaDays]
    grievance_sla_days: list[SlaDays]

    @classmethod
    def of(
        cls,
        found: desk.DeskFigures,
        start: date,
        end: date,
        shown: Callable[[int], int | None],
    ) -> ServiceDeskSummary:
        def counts(by: Mapping[str, int]) -> list[KeyCount]:
            return [KeyCount(key=k, count=shown(v)) for k, v in by.items()]

        def derived(value: float | None, *made_of: int) -> float | None:
            """A figure computed from counts, shown only when each count is (2 of 3
            is read back from 0.6667 as well as from the 2)."""
            return value if all(shown(n) is not None for n in made_of) else None

        late = found.ended - found.ended_within_sla

        return cls(
            from_=start,
            to=end,
            requests=shown(found.requests),
            by_need=counts(found.by_need),
            by_kecamatan=counts(found.by_kecamatan),
            by_status=counts(found.by_status),
            median_days_to_first_answer=derived(
                found.median_days_to_first_answer, found.first_answered
            ),
            median_days_to_end=derived(found.median_days_to_end, found.ended),
            ended=shown(found.ended),
            ended_within_sla=shown(found.ended_within_sla),
            share_ended_within_sla=derived(
                found.share_ended_within_sla, found.ended, found.ended_within_sla, late
            ),
            grievances=shown(found.grievances),
            grievances_by_kind=counts(found.grievances_by_kind),
            grievances_escalated=shown(found.grievances_escalated),
            step_sla_days=[SlaDays(key=k, days=v) for k, v in desk.STEP_SLA_DAYS.items()],
            grievance_sla_days=[
                SlaDays(key=k.code, days=k.sla_days) for k in desk.GRIEVANCE_KINDS.values()
            ],
        )


__all__ = ["KeyCount", "ServiceDeskSummary", "SlaDays"]
