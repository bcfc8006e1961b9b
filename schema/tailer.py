"""The journal tailer: the one publisher of a server process's subscriptions.

Every server process (each `hub serve --workers N` worker) runs one tailer.
It polls the journal for facts after the last one it saw and publishes each
on the process's `PubSub` (see `schema.pubsub` for the topics). Whoever
appended the fact (this process, another worker, `hub load`) does not matter,
and no subscriber gets a change twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import strawberry

from journal import Fact, Journal
from journal.store import MAX_READ
from schema.pubsub import FEED_TOPIC, REFERRALS_TOPIC, PubSub, household_topic
from schema.types.subscription_events import HouseholdChange

#: seconds between two polls of the journal when nothing new came
POLL_INTERVAL_S: Final = 0.25

_log = logging.getLogger("hub.tailer")


def change_kind(fact_kind: str) -> str:
    """A fact kind as `HouseholdChange.kind` names it: `service.recorded` ->
    `SERVICE_RECORDED`."""
    return fact_kind.replace(".", "_").upper()


class JournalTailer:
    def __init__(
        self, journal: Journal, pubsub: PubSub, interval_s: float = POLL_INTERVAL_S
    ) -> None:
        self.journal = journal
        self.pubsub = pubsub
        self.interval_s = interval_s
        self.last: int | None = None
        """The newest seq published; None until started (it starts at the head:
        a process publishes what is appended after it came up)."""

    def publish(self, facts: list[Fact]) -> None:
        for fact in facts:
            for hid in dict.fromkeys(fact.household_ids):
                self.pubsub.publish(
                    household_topic(hid),
                    HouseholdChange(
                        household_id=strawberry.ID(hid),
                        kind=change_kind(fact.kind),
                        at=fact.at,
                        cursor=str(fact.seq),
                        fact=fact,
                    ),
                )
            if fact.kind.startswith("referral."):
                self.pubsub.publish(REFERRALS_TOPIC, fact)
            self.pubsub.publish(FEED_TOPIC, fact)
            self.last = fact.seq

    async def poll(self) -> int:
        """Publish what was appended since the last poll; how many facts."""
        if self.last is None:
            self.last = await asyncio.to_thread(self.journal.head)
        facts = await asyncio.to_thread(self.journal.read, self.last, MAX_READ)
        self.publish(facts)
        return len(facts)

    async def run(self) -> None:
        """Poll for ever (cancel the task to stop); a failing read is logged
        and tried again."""
        while True:
            try:
                if await self.poll() == MAX_READ:
                    continue  # more waiting: no pause
            except Exception as exc:  # keep serving; the next poll retries
                _log.error("journal not read: %s", exc)
            await asyncio.sleep(self.interval_s)


__all__ = ["POLL_INTERVAL_S", "JournalTailer", "change_kind"]
