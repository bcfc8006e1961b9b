"""DCI subscribe and notify (README "DCI Social Registry API", "Subscribe and
notify"): a partner subscribes to registry events; the hub tells it of each
one on a household it may see, as a signed `/registry/notify`.

Events come from the journal (issue 8's change feed), from the facts `hub load`
appends (graph.pipeline_facts):

- `REGISTER` <- `household.registered`;
- `NewHouseHoldMember` <- `household.members_changed` with someone joined;
- `ns:satupintu:RegistryEventType:HouseHoldMemberLeft` <- `household.members_changed`
  with someone left;
- `ns:satupintu:RegistryEventType:DecileChanged` <- `household.decile_changed`.

The last two are our extension codes: the social API's enum has only the first
two (inconsistency 9), the core API's `RegistryEventType` is any string of the
`ns:org:…` form its examples use.

A subscription (table `dci_subscriptions` in the security database, through
`SecurityDB.read()/write()`, so it moves with the store: SQLite files or the
PostgreSQL every server shares) is one
`subscribe_request` item: the sender, one event type, an area filter, the
purpose it stated and a journal cursor, the journal's head when it subscribed
(only what happens from then on is told). The pump (`NotifyPump`, one per server
process) claims each due subscription with a lease (so two processes never post
one batch twice) and a fencing token (hub.dci.lease: a pump whose lease ran out
and was claimed since does not post, and writes no cursor or failure; a round
that outlives its lease leaves its remaining subscriptions to the next claim;
before posting, the pump renews the lease for the audit and the POST), reads
the facts after its cursor, keeps those the sender may
see (`schema.feed.visible` as the sender's principal: the graph's VISIBLE rule,
special categories, complaints) and those in its filter's area, audits them as
reads by the sender (`read:dci.notify`, with its purpose) and POSTs them, signed
with the hub's key, to the sender's callback base + `/registry/notify`, through
hub.dci.callbacks `post_signed` (the async answers' own POST). Delivered moves
the cursor past the batch; anything else is retried after `pause_after` (1 s,
2 s, 4 s ... at most 5 min), the cursor kept, so nothing is skipped (never given
up: the subscription waits); the subscription's `attempts` and `last_error` say how it
goes. Payloads are masked as the feed masks them (`schema.types.feed.shown_payload`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

from graph import GraphUnavailable
from hub.dci.callbacks import Sent, pause_after, post_signed
from hub.dci.criteria import (
    ATTRIBUTES,
    FILTER_INVALID,
    PREDICATE_TYPES,
    Criteria,
    CriteriaError,
    criteria_of,
    criteria_sets,
    row_matches,
)
from hub.dci.lease import TOKEN, TOKEN_DDL, Fence, add_columns
from hub.dci.senders import Sender
from hub.dci.service import DciService
from hub.security.db import SecurityDB
from hub.security.principal import Principal
from journal import Fact, kinds
from schema.context import Context
from schema.feed import journal_of, visible
from schema.permissions import provenance_for
from schema.services import AuditEntry
from schema.types.feed import shown_payload
from store import Schema

log = logging.getLogger(__name__)

REGISTER: Final = "REGISTER"
NEW_MEMBER: Final = "NewHouseHoldMember"
MEMBER_LEFT: Final = "ns:satupintu:RegistryEventType:HouseHoldMemberLeft"
DECILE_CHANGED: Final = "ns:satupintu:RegistryEventType:DecileChanged"
#: every event type a partner may subscribe to
EVENT_TYPES: Final = (REGISTER, NEW_MEMBER, MEMBER_LEFT, DECILE_CHANGED)
#: the journal kinds they come from
KINDS: Final = (kinds.HOUSEHOLD_REGISTERED, kinds.HOUSEHOLD_MEMBERS_CHANGED, kinds.DECILE_CHANGED)
#: what a notify's `reg_records` holds, and its `reg_type`
RECORD_TYPE: Final = "ns:satupintu:RegistryRecordType:HouseholdEvent"
REGISTRY_TYPE: Final = "ns:org:RegistryType:Social"
#: the operation the audit log records for a delivery
AUDIT_OPERATION: Final = "read:dci.notify"
#: the audit operation of a subscription made or ended
AUDIT_SUBSCRIBE: Final = "write:dci.subscribe"
#: the most active subscriptions one sender may hold (the pump serves them all in turn,
#: every partner's: a sender with thousands would hold the others' notifications back)
MAX_SUBSCRIPTIONS: Final = 100

TABLES: Final[Schema] = (
    """CREATE TABLE IF NOT EXISTS dci_subscriptions (
        code           TEXT PRIMARY KEY,
        sender_id      TEXT NOT NULL,
        subject        TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        reference_id   TEXT NOT NULL,
        event_type     TEXT NOT NULL,
        filter         TEXT NOT NULL,
        record_type    TEXT,
        purpose        TEXT NOT NULL,
        cursor         {bigint} NOT NULL,
        created_at     TEXT NOT NULL,
        ended_at       TEXT,
        attempts       INTEGER NOT NULL DEFAULT 0,
        next_at        TEXT,
        lease_until    TEXT,
        last_error     TEXT,
        delivered      INTEGER NOT NULL DEFAULT 0,
        delivered_at   TEXT,
        lease_token    INTEGER NOT NULL DEFAULT 0,
        organization   TEXT,
        role           TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS dci_subscriptions_sender ON dci_subscriptions (sender_id)",
)
_COLUMNS: Final = (
    "code, sender_id, subject, transaction_id, reference_id, event_type, filter, record_type,"
    " purpose, cursor, created_at, ended_at, attempts, next_at, lease_until, last_error, delivered,"
    " delivered_at, lease_token, organization, role"
)
#: columns added after the table was first made: name -> DDL
_LATER: Final = {TOKEN: TOKEN_DDL, "organization": "TEXT", "role": "TEXT"}
#: the claims' fencing token (hub.dci.lease)
_FENCE: Final = Fence("dci_subscriptions", "code", "DCI subscription")


class SubscribeRefusal(Exception):
    """A `subscribe_request` item refused, with its `SubscribeStatusReasonCode`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def events_of(fact: Fact) -> tuple[str, ...]:
    """The DCI event types one journal fact is."""
    if fact.kind == kinds.HOUSEHOLD_REGISTERED:
        return (REGISTER,)
    if fact.kind == kinds.DECILE_CHANGED:
        return (DECILE_CHANGED,)
    if fact.kind == kinds.HOUSEHOLD_MEMBERS_CHANGED:
        out = []
        if fact.payload.get("joined"):
            out.append(NEW_MEMBER)
        if fact.payload.get("left"):
            out.append(MEMBER_LEFT)
        return tuple(out)
    return ()


# --- the filter -----------------------------------------------------------------


def area_filter(filter_type: object, query: object) -> Criteria:
    """A subscription's filter as {attribute: allowed values}, all to hold
    (empty: every household the sender may see), read as a search's predicates
    are (hub.dci.criteria); anything else is refused
    (`rjct.notify_details.invalid`, the search's reason code first in the
    message), never taken as "everything"."""
    if filter_type not in PREDICATE_TYPES:
        raise SubscribeRefusal(
            "rjct.notify_details.invalid",
            f"{FILTER_INVALID}: the filter must be filter_type 'predicate', a list of "
            f"expressions on {', '.join(ATTRIBUTES)} (an empty list: every household you may see)",
        )
    try:
        return criteria_of(query)
    except CriteriaError as refused:
        raise SubscribeRefusal(
            "rjct.notify_details.invalid", f"{refused.code}: {refused.message}"
        ) from None


# --- the store ------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    code: str
    sender_id: str
    subject: str
    """who subscribed (the bearer token's subject): deliveries are audited as theirs"""
    transaction_id: str
    reference_id: str
    event_type: str
    area: Criteria
    """the filter (hub.dci.criteria): attribute -> the values allowed"""
    record_type: str | None
    purpose: str
    cursor: int
    created_at: str
    ended_at: str | None = None
    attempts: int = 0
    next_at: str | None = None
    lease_until: str | None = None
    last_error: str | None = None
    delivered: int = 0
    delivered_at: str | None = None
    lease_token: int = 0
    """the last claim's fencing token: a claimer writes only while it is current"""
    organization: str | None = None
    role: str | None = None
    """what the sender acted as when it subscribed (None: made before it was kept)"""

    @property
    def active(self) -> bool:
        return self.ended_at is None


def _row(row: Sequence[Any]) -> Subscription:
    (code, sender_id, subject, transaction, reference, event, area, record, purpose) = row[:9]
    return Subscription(
        code=str(code),
        sender_id=str(sender_id),
        subject=str(subject),
        transaction_id=str(transaction),
        reference_id=str(reference),
        event_type=str(event),
        area=json.loads(area),
        record_type=record,
        purpose=str(purpose),
        cursor=int(row[9]),
        created_at=str(row[10]),
        ended_at=row[11],
        attempts=int(row[12]),
        next_at=row[13],
        lease_until=row[14],
        last_error=row[15],
        delivered=int(row[16]),
        delivered_at=row[17],
        lease_token=int(row[18]),
        organization=row[19],
        role=row[20],
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _lapsed(subscription: Subscription) -> bool:
    """Whether the lease a claim gave `subscription` has run out."""
    until = subscription.lease_until
    return until is None or datetime.fromisoformat(until) <= _now()


#: what the pumps' claims serialise on: one pump at a time picks the due ones
_CLAIMS: Final = "dci-subscriptions:claim"


def _subscription_lock(code: str) -> str:
    """What a delivery's outcome, read then written, serialises on."""
    return f"dci-subscription:{code}"


def _sender_lock(sender_id: str) -> str:
    """What a sender's subscribing and unsubscribing (checked, then written) serialise on."""
    return f"dci-subscriptions:{sender_id}"


class Subscriptions:
    """The subscriptions of every sender, shared by the hub's processes (and by
    every server on a shared PostgreSQL: what is read and then written holds a
    lock, `store.base`)."""

    def __init__(self, db: SecurityDB) -> None:
        self.db = db
        db.database.apply(TABLES)
        add_columns(db, "dci_subscriptions", _LATER)

    def add(
        self,
        sender_id: str,
        subject: str,
        transaction_id: str,
        reference_id: str,
        event_type: str,
        area: Mapping[str, list[str]],
        record_type: str | None,
        purpose: str,
        cursor: int,
        *,
        organization: str | None = None,
        role: str | None = None,
    ) -> Subscription:
        """A new subscription from `cursor` on, by the sender acting as
        `organization` and `role`; refused when the sender already has an
        active one for the same event type and filter, or MAX_SUBSCRIPTIONS."""
        canonical = json.dumps(dict(sorted(area.items())), sort_keys=True)
        code = "sub-" + secrets.token_hex(8)
        stamp = _now().isoformat()
        with self.db.write(lock=_sender_lock(sender_id)) as con:  # checked, then inserted
            same = con.execute(
                "SELECT code FROM dci_subscriptions WHERE sender_id = ? AND event_type = ?"
                " AND filter = ? AND ended_at IS NULL",
                (sender_id, event_type, canonical),
            ).fetchone()
            if same is not None:
                raise SubscribeRefusal(
                    "rjct.event.already_subscribed",
                    f"already subscribed to {event_type} with this filter ({same[0]})",
                )
            (held,) = con.execute(
                "SELECT count(*) FROM dci_subscriptions WHERE sender_id = ? AND ended_at IS NULL",
                (sender_id,),
            ).fetchone()
            if int(held) >= MAX_SUBSCRIPTIONS:
                raise SubscribeRefusal(
                    "rjct.notify_details.invalid",
                    f"a sender holds at most {MAX_SUBSCRIPTIONS} active subscriptions: "
                    "unsubscribe some, or join filters with `in`",
                )
            con.execute(
                "INSERT INTO dci_subscriptions (code, sender_id, subject, transaction_id,"
                " reference_id, event_type, filter, record_type, purpose, cursor, created_at,"
                " organization, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    sender_id,
                    subject,
                    transaction_id,
                    reference_id,
                    event_type,
                    canonical,
                    record_type,
                    purpose,
                    cursor,
                    stamp,
                    organization,
                    role,
                ),
            )
        found = self.get(code)
        assert found is not None
        return found

    def get(self, code: str) -> Subscription | None:
        with self.db.read() as con:
            row = con.execute(
                f"SELECT {_COLUMNS} FROM dci_subscriptions WHERE code = ?", (code,)
            ).fetchone()
        return None if row is None else _row(row)

    def of_sender(self, sender_id: str, transaction_id: str | None = None) -> list[Subscription]:
        with self.db.read() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM dci_subscriptions WHERE sender_id = ?"
                " AND (CAST(? AS TEXT) IS NULL OR transaction_id = ?) ORDER BY created_at, code",
                (sender_id, transaction_id, transaction_id),
            ).fetchall()
        return [_row(r) for r in rows]

    def end(self, sender_id: str, code: str) -> bool | None:
        """End a sender's subscription: True when ended now, False when it had
        ended before, None when the sender has no such subscription. Ending
        takes the lease as a claim does (a new `lease_token`, under the row's
        lock): a pump holding it now posts nothing more (its renewal before the
        post is refused) and writes no cursor over the ended row."""
        with self.db.write(lock=_sender_lock(sender_id)) as con:
            row = con.execute(
                "SELECT ended_at FROM dci_subscriptions WHERE code = ? AND sender_id = ?",
                (code, sender_id),
            ).fetchone()
            if row is None:
                return None
            if row[0] is not None:
                return False
            with self.db.write(lock=_subscription_lock(code)):  # the same transaction
                con.execute(
                    "UPDATE dci_subscriptions SET ended_at = ?, lease_until = NULL,"
                    f" {TOKEN} = {TOKEN} + 1 WHERE code = ?",
                    (_now().isoformat(), code),
                )
        return True

    def claim(self, lease: timedelta, limit: int = 20) -> list[Subscription]:
        """Take the active subscriptions due now (not retrying later, not leased
        by a live claim) for one round of the pump, each with a new `lease_token`
        (hub.dci.lease). Picked under one lock, and leased by an UPDATE that
        re-checks the lease: two servers' pumps never take the same subscription."""
        moment = _now()
        now = moment.isoformat()
        due = (
            "ended_at IS NULL AND (next_at IS NULL OR next_at <= ?)"
            " AND (lease_until IS NULL OR lease_until < ?)"
        )
        with self.db.write(lock=_CLAIMS) as con:
            rows = con.execute(  # all fetched: the statement is done before COMMIT
                "UPDATE dci_subscriptions SET lease_until = ?, lease_token = lease_token + 1"
                f" WHERE {due} AND code IN (SELECT code FROM dci_subscriptions WHERE {due}"
                f" ORDER BY code LIMIT ?) RETURNING {_COLUMNS}",
                ((moment + lease).isoformat(), now, now, now, now, limit),
            ).fetchall()
        return sorted((_row(r) for r in rows), key=lambda s: s.code)

    def renew(self, code: str, lease: timedelta, *, token: int) -> bool:
        """Hold the subscription for `lease` from now, before posting to the
        partner; False (nothing written, logged) when a later claim took it."""
        with self.db.write(lock=_subscription_lock(code)) as con:
            if _FENCE.taken_over(con, code, token, "the lease's renewal (and so the post)"):
                return False
            con.execute(
                "UPDATE dci_subscriptions SET lease_until = ? WHERE code = ? AND lease_token = ?",
                ((_now() + lease).isoformat(), code, token),
            )
        return True

    def advanced(self, code: str, cursor: int, delivered: int, *, token: int) -> bool:
        """A batch done (sent, or nothing in it to send): the cursor moves past
        it. False (nothing written, logged) when `token` is not the lease's any more."""
        stamp = _now().isoformat()
        with self.db.write(lock=_subscription_lock(code)) as con:
            if _FENCE.taken_over(con, code, token, "the cursor"):
                return False
            con.execute(
                "UPDATE dci_subscriptions SET cursor = CASE WHEN cursor > ? THEN cursor ELSE ? END,"
                " lease_until = NULL,"
                " attempts = CASE WHEN ? > 0 THEN 0 ELSE attempts END,"
                " next_at = NULL, last_error = CASE WHEN ? > 0 THEN NULL ELSE last_error END,"
                " delivered = delivered + ?,"
                " delivered_at = CASE WHEN ? > 0 THEN ? ELSE delivered_at END"
                " WHERE code = ? AND lease_token = ?",
                (cursor, cursor, delivered, delivered, delivered, delivered, stamp, code, token),
            )
        return True

    def failed(
        self, code: str, error: str, retry_at: datetime | None = None, *, token: int
    ) -> bool:
        """One more failed attempt: due again at `retry_at`, by default after
        the callbacks' pause for this many failures in a row (hub.dci.callbacks).
        False (nothing written, logged) when `token` is not the lease's any more."""
        with self.db.write(lock=_subscription_lock(code)) as con:
            if _FENCE.taken_over(con, code, token, "a failed attempt"):
                return False
            found = con.execute(
                "SELECT attempts FROM dci_subscriptions WHERE code = ?", (code,)
            ).fetchone()
            attempts = (int(found[0]) if found else 0) + 1
            at = retry_at or _now() + timedelta(seconds=pause_after(attempts))
            con.execute(
                "UPDATE dci_subscriptions SET attempts = ?, last_error = ?,"
                " next_at = ?, lease_until = NULL WHERE code = ? AND lease_token = ?",
                (attempts, error[:500], at.isoformat(), code, token),
            )
        return True

    def release(self, code: str, *, token: int) -> bool:
        """Nothing to send now: free for the next claim. False (nothing written,
        logged) when `token` is not the lease's any more."""
        with self.db.write(lock=_subscription_lock(code)) as con:
            if _FENCE.taken_over(con, code, token, "the release"):
                return False
            con.execute(
                "UPDATE dci_subscriptions SET lease_until = NULL"
                " WHERE code = ? AND lease_token = ?",
                (code, token),
            )
        return True


# --- envelopes ------------------------------------------------------------------


def timestamp(moment: datetime) -> str:
    """A fact's time as the specification writes a `date-time` (RFC 3339, UTC)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def principal_of(sender: Sender, subject: str) -> Principal:
    """Who a subscription's deliveries are read by: the sender's organization and
    role (hub.dci.senders), as the bearer token's `subject` who subscribed."""
    return Principal(subject, sender.organization, sender.role, "jwt")


def notify_message(
    subscription: Subscription, facts: Sequence[Fact], context: Context
) -> dict[str, Any]:
    """`NotifyEventRequest` of a batch: one `notify_event` per fact, its record the
    household and what changed, masked as the feed masks it for the sender."""
    policy, provenance = context.policy, provenance_for(context.principal)
    events = []
    for fact in facts:
        hid = fact.household_ids[0] if fact.household_ids else fact.subject
        events.append(
            {
                "reference_id": f"{subscription.code}:{fact.seq}",
                "timestamp": timestamp(fact.at),
                "data": {
                    "version": "1.0.0",
                    "reg_type": REGISTRY_TYPE,
                    "reg_record_type": subscription.record_type or RECORD_TYPE,
                    "reg_records": {
                        "reg_event_type": subscription.event_type,
                        "subscription_code": subscription.code,
                        "group_identifier": [
                            {"identifier_type": "household_id", "identifier_value": hid}
                        ],
                        "event": fact.kind,
                        "change": shown_payload(
                            fact.payload, policy, provenance, fact.organization
                        ),
                    },
                },
            }
        )
    return {"transaction_id": subscription.transaction_id, "notify_event": events}


# --- the pump -------------------------------------------------------------------


class NotifyPump:
    """Sends each subscription's events: one per server process, run beside the
    server as a DCI worker (hub.dci.service.DciService.workers)."""

    NOTIFY_PATH: Final = "/registry/notify"

    def __init__(
        self,
        subscriptions: Subscriptions,
        dci: DciService,
        *,
        interval_s: float = 1.0,
        batch: int = 100,
        lease_s: float = 60.0,
    ) -> None:
        self.subscriptions, self.dci = subscriptions, dci
        self.interval_s, self.batch = interval_s, batch
        self.lease = timedelta(seconds=lease_s)
        self._wake = asyncio.Event()
        self._client: httpx.AsyncClient | None = None

    def wake(self) -> None:
        """Look now (a subscription was made), not at the next interval."""
        self._wake.set()

    async def run(self) -> None:
        """Rounds until cancelled: every `interval_s`, or when woken."""
        async with httpx.AsyncClient() as self._client:
            while True:
                try:
                    await self.round()
                except asyncio.CancelledError:
                    raise
                except Exception:  # the pump keeps going; the next round tries again
                    log.exception("DCI notify round failed")
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)

    async def round(self) -> int:
        """One pass over the due subscriptions; how many events were sent."""
        try:
            self.dci.context(None, None)
        except GraphUnavailable:  # the graph is not up yet: nothing can be judged
            return 0
        sent = 0
        claimed = await asyncio.to_thread(self.subscriptions.claim, self.lease)
        async with contextlib.AsyncExitStack() as stack:
            client = self._client
            if client is None:  # a round run on its own (not by `run`)
                client = await stack.enter_async_context(httpx.AsyncClient())
            for n, subscription in enumerate(claimed):
                # past the first, a slow round's lease may have run out: the rest may be
                # another server's now (the first is checked when it renews, before posting)
                if n and _lapsed(subscription):
                    log.info(
                        "DCI notify: the lease ran out before %d subscriptions' turn"
                        " (left for the next claim)",
                        len(claimed) - n,
                    )
                    break
                try:
                    sent += await self._one(client, subscription)
                except Exception as exc:
                    log.exception("DCI notify for %s failed", subscription.code)
                    await self._retry(subscription, f"{type(exc).__name__}: {exc}")
        return sent

    async def _one(self, client: httpx.AsyncClient, subscription: Subscription) -> int:
        sender = await asyncio.to_thread(self.dci.senders.active, subscription.sender_id)
        url = sender.callback(self.NOTIFY_PATH) if sender is not None else None
        if sender is None or url is None:
            await self._retry(subscription, "the sender has no active key or no callback base")
            return 0
        if not sender.is_party(subscription.organization, subscription.role):
            # nothing read for, nor sent to, another party
            log.warning(
                "DCI subscription %s ended: sender %s acts for %s (%s) now,"
                " it subscribed as %s (%s)",
                subscription.code,
                sender.sender_id,
                sender.organization,
                sender.role,
                subscription.organization,
                subscription.role,
            )
            await asyncio.to_thread(self.subscriptions.end, sender.sender_id, subscription.code)
            return 0
        refused = self.dci.senders.refused_callback(url)
        if refused is not None:  # until Dinsos registers an https base (nothing read)
            await self._retry(subscription, refused)
            return 0
        principal = principal_of(sender, subscription.subject)
        context: Context = self.dci.context(principal, subscription.purpose)
        journal = journal_of(context)
        facts = await asyncio.to_thread(journal.read, subscription.cursor, self.batch, kinds=KINDS)
        token = subscription.lease_token  # every write below holds only while it does
        if not facts:
            await asyncio.to_thread(self.subscriptions.release, subscription.code, token=token)
            return 0
        last = facts[-1].seq
        wanted = [f for f in facts if subscription.event_type in events_of(f)]
        shown = await visible(context, wanted) if wanted else []
        if shown and subscription.area:
            shown = await self._in_filter(context, subscription.area, shown)
        if not shown:
            await asyncio.to_thread(
                self.subscriptions.advanced, subscription.code, last, 0, token=token
            )
            return 0
        # held for the audit and the post (a POST's timeout is well within a lease):
        # not when another server claimed it since, which sends this batch itself
        if not await asyncio.to_thread(
            self.subscriptions.renew, subscription.code, self.lease, token=token
        ):
            return 0
        await self._audit(context, subscription, shown)  # never shown without a record of it
        header = self.dci.callback_header(
            "notify",
            "succ",
            {"sender_id": sender.sender_id},
            total_count=len(shown),
            completed_count=len(shown),
        )
        content = {"header": header, "message": notify_message(subscription, shown, context)}
        sent: Sent = await post_signed(
            client, url, content, self.dci.signer.sign, self.dci.senders.refused_callback
        )
        if not sent.ok:
            await self._retry(subscription, sent.error or sent.refused or "not sent")
            return 0
        await asyncio.to_thread(
            self.subscriptions.advanced, subscription.code, last, len(shown), token=token
        )
        return len(shown)

    @staticmethod
    async def _in_filter(context: Context, area: Criteria, facts: Sequence[Fact]) -> list[Fact]:
        """The facts whose household meets the filter now (hub.dci.criteria),
        a PPKS as the search reads it: an active member's, shown to the sender."""
        ids = sorted({f.household_ids[0] for f in facts})
        rows = await context.repository.households(ids, context.scope)
        ppks: dict[str, set[str]] = {}
        if "ppks" in area:
            found = await context.repository.eligibility_facts(ids, context.scope)
            for hid, facts_of in zip(ids, found, strict=True):
                members = (facts_of or {}).get("members") or []
                ppks[hid] = {
                    code
                    for m in members
                    if (m.get("status") or "active") == "active"
                    for code in m.get("ppks") or []
                }
        where = dict(zip(ids, rows, strict=True))
        wanted = criteria_sets(area)  # read against each fact: sets, not lists
        return [
            f
            for f in facts
            if row_matches(
                wanted, where.get(f.household_ids[0]), sorted(ppks.get(f.household_ids[0], ()))
            )
        ]

    @staticmethod
    async def _audit(context: Context, subscription: Subscription, shown: Sequence[Fact]) -> None:
        sink = context.services.audit
        if sink is None:
            return
        principal = context.principal
        await sink.record(
            [
                AuditEntry(
                    principal.subject,
                    principal.organization,
                    principal.role,
                    AUDIT_OPERATION,
                    tuple(dict.fromkeys(p for f in shown for p in f.person_ids)),
                    tuple(dict.fromkeys(h for f in shown for h in f.household_ids)),
                    subscription.purpose,
                )
            ]
        )

    async def _retry(self, subscription: Subscription, error: str) -> None:
        await asyncio.to_thread(
            self.subscriptions.failed, subscription.code, error, token=subscription.lease_token
        )


__all__ = [
    "AUDIT_OPERATION",
    "AUDIT_SUBSCRIBE",
    "DECILE_CHANGED",
    "EVENT_TYPES",
    "KINDS",
    "MAX_SUBSCRIPTIONS",
    "MEMBER_LEFT",
    "NEW_MEMBER",
    "RECORD_TYPE",
    "REGISTER",
    "TABLES",
    "NotifyPump",
    "SubscribeRefusal",
    "Subscription",
    "Subscriptions",
    "area_filter",
    "events_of",
    "notify_message",
    "principal_of",
]
