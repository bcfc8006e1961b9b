# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Decile threshold alerts for social workers and Dinsos (issue 16): the
alerts a load raised (`decile_alert.raised`, see hub.decile_alerts and
domain.decile_alerts) and their resolutions (`decile_alert.resolved`), both
read from the journal, which is the alerts' only home. An alert's id is
`DA-<the raised fact's sequence number>`.

An enrolment recorded through the API for a household already over the
program's decile threshold raises its alert then (`raise_at_enrolment`). The
graph's enrolment carries each alert's mark (`enrolment_marks`: PAUSED with
the alert's id, lifted or STOPPED by the resolution), written when the alert
is raised or resolved and again after every load (`hub.journal_replay`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Final

import strawberry

from domain.decile_alerts import (
    ENROLMENT_MARKS,
    OUTCOMES,
    PAUSED_FOR_FIELD_CHECK,
    alert_payload,
    at_enrolment,
)
from domain.eligibility import household_facts
from journal import Fact, Journal, NewFact, kinds
from journal.store import MAX_READ
from schema.audit import Purpose, read, require_purpose, wrote
from schema.context import Context
from schema.eligibility import full_facts
from schema.errors import InputError, NotFound, ServiceError
from schema.journaling import claim, clean_row
from schema.permissions import require_eligibility, require_write

Info = strawberry.Info[Context, None]

_PREFIX: Final = "DA-"


@strawberry.enum(description="Where a decile alert stands.")
class DecileAlertStatus(Enum):
    PAUSED_FOR_FIELD_CHECK = PAUSED_FOR_FIELD_CHECK
    CONTINUED = OUTCOMES["CONFIRMED_CONTINUE"]
    STOPPED = OUTCOMES["STOP"]


@strawberry.enum(description="What the field check found.")
class DecileAlertOutcome(Enum):
    CONFIRMED_CONTINUE = "CONFIRMED_CONTINUE"
    STOP = "STOP"


@strawberry.type(
    description="A household's DTSEN decile moved so that the eligibility rule of a "
    "program it is enrolled in fails: the enrolment is paused for a field check "
    "until a social worker or Dinsos resolves the alert."
)
class DecileAlert:
    id: strawberry.ID
    household_id: strawberry.ID
    program: str
    rule_version: str = strawberry.field(description="The version of the rule that judged it.")
    decile_from: int | None
    decile_to: int | None
    status: DecileAlertStatus
    failed_conditions: list[str] = strawberry.field(
        description="The rule's conditions that held before the move and fail after it."
    )
    explanation: str = strawberry.field(description="The failed conditions in the rule's words.")
    explanation_en: str
    kecamatan_code: str | None
    kelurahan_code: str | None
    raised_at: datetime
    outcome: DecileAlertOutcome | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = strawberry.field(
        default=None, description="The field check's note (numbers typed into it masked)."
    )


def _alert(raised: Fact, resolved: Fact | None) -> DecileAlert:
    p = raised.payload
    done: Mapping[str, Any] = resolved.payload if resolved else {}
    outcome = done.get("outcome")
    return DecileAlert(
        id=strawberry.ID(f"{_PREFIX}{raised.seq}"),
        household_id=strawberry.ID(str(p["household_id"])),
        program=str(p["program"]),
        rule_version=str(p.get("rule_version") or ""),
        decile_from=p.get("from"),
        decile_to=p.get("to"),
        status=DecileAlertStatus(OUTCOMES[outcome] if outcome else PAUSED_FOR_FIELD_CHECK),
        failed_conditions=list(p.get("failed") or []),
        explanation=str(p.get("explanation") or ""),
        explanation_en=str(p.get("explanation_en") or ""),
        kecamatan_code=p.get("kecamatan_code"),
        kelurahan_code=p.get("kelurahan_code"),
        raised_at=raised.at,
        outcome=DecileAlertOutcome(outcome) if outcome else None,
        resolved_at=resolved.at if resolved else None,
        resolved_by=resolved.actor if resolved else None,
        note=done.get("note"),
    )


def every_alert(journal: Journal) -> list[DecileAlert]:
    """Every alert, oldest first, with its resolution when it has one."""
    raised: list[Fact] = []
    resolved: dict[str, Fact] = {}
    after = 0
    while batch := journal.read(
        after, MAX_READ, kinds=[kinds.DECILE_ALERT_RAISED, kinds.DECILE_ALERT_RESOLVED]
    ):
        for fact in batch:
            if fact.kind == kinds.DECILE_ALERT_RAISED:
                raised.append(fact)
            else:
                resolved.setdefault(str(fact.payload["alert_id"]), fact)
        after = batch[-1].seq
    return [_alert(f, resolved.get(f"{_PREFIX}{f.seq}")) for f in raised]


async def _alerts(info: Info) -> list[DecileAlert]:
    journal = info.context.services.journal
    if journal is None:
        raise ServiceError("the journal is not configured on this hub: no decile alerts.")
    return await asyncio.to_thread(every_alert, journal)


def enrolment_marks(alerts: list[DecileAlert]) -> list[dict[str, Any]]:
    """The mark each enrolment ends with after its `alerts` (oldest first), one
    per enrolment, for `Repository.mark_enrolments`: PAUSED by the newest alert
    still waiting (an older one too: lifting a newer leaves it), STOPPED (on the
    day it was resolved), or lifted (`mark` None) when none waits. `alerts`
    lists every alert id that may be lifted; pass all of an enrolment's alerts
    (the graph applies the marks of one statement at once, not in turn)."""
    marks: dict[tuple[str, str], dict[str, Any]] = {}
    for a in alerts:
        key = (str(a.household_id), a.program)
        mark = marks.setdefault(
            key,
            {"household_id": key[0], "program": key[1], "alert_id": None, "mark": None},
        )
        mark.setdefault("alerts", []).append(str(a.id))
        kind = ENROLMENT_MARKS[a.status.value]
        if kind is not None:
            mark.update(alert_id=str(a.id), mark=kind, on=(a.resolved_at or a.raised_at).date())
        elif mark["alert_id"] == str(a.id):  # this alert's pause lifted
            mark.update(alert_id=None, mark=None)
        mark.setdefault("on", (a.resolved_at or a.raised_at).date())
    return list(marks.values())


async def raise_at_enrolment(
    info: Info, household_id: str, program: str, on: date
) -> DecileAlert | None:
    """The alert of an enrolment recorded through the API for a household
    already over `program`'s decile threshold on `on` (`domain.decile_alerts.
    at_enrolment`): journaled, and its enrolment paused. None when it is not
    over it, or the hub has no rules or no journal."""
    book = info.context.services.rules
    journal = info.context.services.journal
    if book is None or journal is None:
        return None
    # every fact the rule reads, whoever enrols (the household is visible to them)
    found = await info.context.repository.targeting_facts(
        full_facts(info.context.scope), start=on, end=on, ids=[household_id]
    )
    if not found:
        return None
    row = found[0]
    crossing = at_enrolment(
        book, household_facts(row.get("decile"), row["members"], on), program, on
    )
    if crossing is None:
        return None
    fact = NewFact(
        kind=kinds.DECILE_ALERT_RAISED,
        subject=household_id,
        household_ids=(household_id,),
        payload=alert_payload(
            household_id, crossing, row.get("kecamatan_code"), row.get("kelurahan_code")
        ),
    )
    (seq,) = await asyncio.to_thread(journal.append, [fact])
    alert = next(a for a in await _alerts(info) if a.id == f"{_PREFIX}{seq}")
    await info.context.repository.mark_enrolments(enrolment_marks([alert]))
    return alert


@strawberry.type
class DecileAlertQueries:
    @strawberry.field(
        description="Decile threshold alerts, oldest first: households whose DTSEN "
        "decile moved out of a program's eligibility rule while enrolled in it. Social "
        "workers and Dinsos."
    )
    async def decile_alerts(
        self,
        info: Info,
        program: str | None = None,
        kecamatan: Annotated[
            str | None, strawberry.argument(description="A kecamatan code.")
        ] = None,
        status: DecileAlertStatus | None = None,
        purpose: Purpose = None,
    ) -> list[DecileAlert]:
        require_eligibility(info.context.principal)
        require_purpose(info, purpose)
        found = [
            a
            for a in await _alerts(info)
            if (program is None or a.program == program)
            and (kecamatan is None or a.kecamatan_code == kecamatan)
            and (status is None or a.status == status)
        ]
        read(info, households=[a.household_id for a in found])
        return found


@strawberry.type
class DecileAlertMutations:
    @strawberry.mutation(
        description="Resolve a decile alert after the field check: CONFIRMED_CONTINUE "
        "(the enrolment goes on) or STOP. Once only. Social workers and Dinsos."
    )
    async def resolve_decile_alert(
        self, info: Info, id: strawberry.ID, outcome: DecileAlertOutcome, note: str
    ) -> DecileAlert:
        principal = info.context.principal
        require_eligibility(principal)
        require_write(principal)
        if not note.strip():
            raise InputError("note", "say what the field check found.")
        alert = next((a for a in await _alerts(info) if a.id == id), None)
        if alert is None:
            raise NotFound("decile alert", str(id))
        taken = NewFact(
            kind=kinds.DECILE_ALERT_RESOLVED,
            subject=str(id),
            household_ids=(str(alert.household_id),),
            actor=str(getattr(principal, "subject", None) or principal.role),
            organization=str(getattr(principal, "organization", None) or "") or None,
            payload={
                "alert_id": str(id),
                "household_id": str(alert.household_id),
                "program": alert.program,
                "outcome": outcome.value,
                "note": clean_row({"note": note.strip()})["note"],
            },
            key=f"{kinds.DECILE_ALERT_RESOLVED}:{id}",
        )
        if alert.status != DecileAlertStatus.PAUSED_FOR_FIELD_CHECK or not await claim(info, taken):
            raise InputError("id", f"alert {id} is already resolved.")
        wrote(info, households=[alert.household_id])
        every = await _alerts(info)
        done = next(a for a in every if a.id == id)
        # the enrolment's marks from all its alerts, oldest first, as the replay
        # writes them: lifting this one leaves it paused by an older one still waiting
        same = [
            a for a in every if (a.household_id, a.program) == (done.household_id, done.program)
        ]
        await info.context.repository.mark_enrolments(enrolment_marks(same))
        return done


__all__ = [
    "DecileAlert",
    "DecileAlertMutations",
    "DecileAlertQueries",
    "enrolment_marks",
    "every_alert",
    "raise_at_enrolment",
]
