"""Journaled writes: the one seam through which every API write reaches the graph.

A mutation hands `journaled_write` the kind of fact and the typed row
(`domain.rows`); the fact is appended to the journal (`services.journal`)
first, then the row is written to the graph. So the journal holds every
write the graph got (and a write whose graph step failed is still recorded:
`hub load` replays the journal, see hub.journal_replay), and the monthly
report, the dashboard and the feed read the same facts.

A fact's payload has the partner-facing summary at its top level (the ids,
program, dates, amount, status: `SUMMARY_KEYS`) and, under `row`, what the
graph needs to be rebuilt (`table` names its entity, see
`domain.rows.JOURNALED`). No NIK, KK, phone number or name is written: rows
carry ids, and free text (a note, a plan, a reason) is kept with any NIK, KK
or phone number typed into it masked.
Special-category findings (an assessment's PPKS) are only in `row`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

import strawberry

from domain.rows import GraphRow, WrittenRow
from journal import Fact, NewFact
from journal.facts import jsonable
from schema.permissions import POLICIES, mask_text

#: the keys of a row shown at the top of a fact's payload, for partners
SUMMARY_KEYS: Final = (
    "service_id",
    "assessment_id",
    "referral_id",
    "request_id",
    "household_id",
    "person_id",
    "program",
    "service_date",
    "since",
    "until",
    "assessed_on",
    "amount",
    "status",
    "kind",
    "from_org",
    "to_org",
    "organization",
    "funder",
    "link_pending",
    "active",
)
#: free-text fields: kept, with identifiers typed into them masked
FREE_TEXT: Final = (
    "note",
    "notes",
    "plan",
    "reason",
    "rejection_reason",
    "override_reason",
    "step_note",
    "outcome_reason",
    "text",
    "answer",
)
#: rows never carry these (a submission's personal data stays in intake and staging)
IDENTIFYING: Final = frozenset(
    {"nik", "no_kk", "phone", "full_name", "name_tokens", "nik_check", "nik_salt", "applicant"}
)

_MASKING: Final = POLICIES["agency"]


def clean_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as the journal keeps it: no identifying fields, free text masked."""
    out = {k: v for k, v in row.items() if k not in IDENTIFYING}
    for name in FREE_TEXT:
        if isinstance(out.get(name), str):
            out[name] = mask_text(out[name], _MASKING)
    if isinstance(out.get("goals"), list):  # an assessment's goals: free text, one a line
        out["goals"] = [mask_text(g, _MASKING) if isinstance(g, str) else g for g in out["goals"]]
    return out


def fact(
    info: strawberry.Info[Any, Any],
    kind: str,
    row: GraphRow,
    *,
    households: Iterable[object] = (),
    persons: Iterable[object] = (),
    key: str | None = None,
) -> NewFact:
    """The fact an API write appends: who did it, about whom, the row (the
    subject is the row's id; an enrolment's is household:program)."""
    kept = clean_row(row.as_dict())
    payload: dict[str, Any] = {k: kept[k] for k in SUMMARY_KEYS if k in kept}
    payload["table"] = row.ENTITY
    payload["row"] = kept
    return plain_fact(
        info,
        kind,
        payload,
        subject=row.key,
        households=households,
        persons=persons,
        key=key,
    )


def plain_fact(
    info: strawberry.Info[Any, Any],
    kind: str,
    payload: Mapping[str, Any],
    *,
    subject: str | None,
    households: Iterable[object] = (),
    persons: Iterable[object] = (),
    key: str | None = None,
) -> NewFact:
    """The fact of an API write, its payload as given (a write that is no graph
    row, such as a program cycle's step or a budget, gives ids and figures only;
    naming no household, it is for Dinsos roles in the feed)."""
    principal = info.context.principal
    return NewFact(
        kind=kind,
        payload=payload,
        household_ids=tuple(dict.fromkeys(str(h) for h in households if h)),
        person_ids=tuple(dict.fromkeys(str(p) for p in persons if p)),
        subject=subject,
        actor=str(getattr(principal, "subject", None) or principal.role),
        organization=str(getattr(principal, "organization", None) or "") or None,
        key=key,
    )


async def append(info: strawberry.Info[Any, Any], facts: list[NewFact]) -> None:
    """Append to the journal (off the event loop: SQLite may wait for another
    process's append)."""
    journal = info.context.services.journal
    if journal is not None:
        await asyncio.to_thread(journal.append, facts)


async def claim(
    info: strawberry.Info[Any, Any],
    one: NewFact,
    *,
    retry: bool = False,
    also: Sequence[NewFact] = (),
) -> bool:
    """Append a keyed fact unless another write claimed its key first (two
    steps racing out of one status: the journal decides); True without a
    journal. `also`: facts appended with it in one transaction when it wins
    (a step that makes something). With `retry`, True too when the same actor
    claimed it with the same payload: their write failed after the claim and
    is done again (its writes must be idempotent)."""
    journal = info.context.services.journal
    if journal is None:
        return True
    if await asyncio.to_thread(journal.claim, one, also):
        return True
    if not retry or one.key is None:
        return False
    stored = await asyncio.to_thread(journal.keyed, one.key)
    same = json.loads(json.dumps(dict(one.payload), default=jsonable, sort_keys=True))
    return stored is not None and stored.actor == one.actor and stored.payload == same


async def keyed(info: strawberry.Info[Any, Any], key: str) -> Fact | None:
    """The fact stored under `key` (a claim's winner); None without a journal."""
    journal = info.context.services.journal
    return None if journal is None else await asyncio.to_thread(journal.keyed, key)


#: how long a reader told of a fact waits for the graph to hold its write: the
#: journal is written first, the graph a few ms later, or seconds later on a
#: loaded server; the pause between two looks doubles up to its cap
SETTLE_WAIT_S, SETTLE_FIRST_PAUSE_S, SETTLE_MAX_PAUSE_S = 10.0, 0.02, 0.5

T = TypeVar("T")


async def settled(read: Callable[[], Awaitable[T]], holds: Callable[[T], bool]) -> T:
    """What `read()` answers once `holds` of it (the graph has the write of a
    fact the reader was told of), or when `SETTLE_WAIT_S` has passed: the last
    answer either way (a write whose graph step failed waits for `hub load`'s
    replay; the reader goes on without it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_WAIT_S
    pause = SETTLE_FIRST_PAUSE_S
    while True:
        found = await read()
        if holds(found) or loop.time() >= deadline:
            return found
        await asyncio.sleep(pause)
        pause = min(pause * 2, SETTLE_MAX_PAUSE_S)


async def journaled_write(
    info: strawberry.Info[Any, Any],
    kind: str,
    row: WrittenRow,
    *,
    households: Iterable[object] = (),
    persons: Iterable[object] = (),
) -> None:
    """Journal the row's fact, then upsert the row into the graph."""
    await append(info, [fact(info, kind, row, households=households, persons=persons)])
    await info.context.repository.write([row])


__all__ = [
    "FREE_TEXT",
    "SETTLE_WAIT_S",
    "SUMMARY_KEYS",
    "append",
    "claim",
    "clean_row",
    "fact",
    "journaled_write",
    "keyed",
    "plain_fact",
    "settled",
]
