"""In-process publish/subscribe for subscriptions.

Mutations publish events on topics such as `household:H1` or `referrals:YAY-B`;
each subscriber gets its own bounded queue. One process only: a multi-worker
deployment would put a broker behind the same two methods.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any


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


def referral_topic(organization: str) -> str:
    return f"referrals:{organization}"


__all__ = ["PubSub", "household_topic", "referral_topic"]
