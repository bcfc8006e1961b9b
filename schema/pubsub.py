"""Publish/subscribe inside one server process, fed by the journal.

Nothing publishes here but each process's journal tailer (`schema.tailer`):
a mutation, a `hub load` or another worker process appends a fact to the
journal, and every process's tailer publishes it on the topics below, so a
subscriber on any worker sees every change once. Each subscriber gets its
own bounded queue.

    household:H1   a `HouseholdChange` for each household a fact names
    referrals      every referral fact (the subscription re-reads the referral)
    feed           every fact (the feed subscription filters per caller)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Final

#: every journal fact, as the tailer read it
FEED_TOPIC: Final = "feed"
#: every referral fact (created or moved)
REFERRALS_TOPIC: Final = "referrals"


class PubSub:
    def __init__(self, queue_size: int = 100) -> None:
        self._queues: dict[str, set[asyncio.Queue[Any]]] = defaultdict(set)
        self._size = queue_size

    def publish(self, topic: str, event: Any) -> int:
        """Deliver to every current subscriber; a full queue drops its oldest
        event. Returns how many subscribers got it."""
        queues = self._queues.get(topic, set())
        for q in queues:
            if q.full():
                q.get_nowait()
            q.put_nowait(event)
        return len(queues)

    async def subscribe(self, topic: str) -> AsyncIterator[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self._size)
        self._queues[topic].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues[topic].discard(queue)
            if not self._queues[topic]:
                del self._queues[topic]

    def subscribers(self, topic: str) -> int:
        return len(self._queues.get(topic, ()))


def household_topic(household_id: str) -> str:
    return f"household:{household_id}"


__all__ = ["FEED_TOPIC", "REFERRALS_TOPIC", "PubSub", "household_topic"]
