"""What several server processes sharing one store rely on, on both back-ends:

- the journal's sequence numbers reach a tailer gap-free and in order, so a
  feed cursor never skips a fact (PostgreSQL hands out a sequence's numbers at
  insert, not at commit: the appends serialise on an advisory lock);
- the outbox never hands one message to two claimers;
- the identity ledger never hands out one number twice.

Two spawned processes write at once while this one reads, as two `hub serve`
on different hosts would.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta
from typing import Any

from storespec import StoreSpec, open_spec, store_spec

from hub.notify import Outbox
from journal import Journal, NewFact, kinds
from linkage.ledger import IdentityLedger
from schema.services import Notification
from store import Store

APPENDS = 200
MESSAGES = 120
ALLOCATIONS = 100


def _writer(spec: StoreSpec, worker: int, results: Any) -> None:
    store = open_spec(spec)
    journal = Journal(store.database("journal"))
    ledger = IdentityLedger(store.database("identities"))
    outbox = Outbox(store.database("notify"))
    claimed: list[int] = []
    minted: list[int] = []
    for n in range(APPENDS):
        journal.append([NewFact(kinds.SERVICE_RECORDED, household_ids=(f"H-{worker}-{n}",))])
        if n % 2 == 0:
            minted.append(ledger.allocate("person", 1 + n % 3))
        if n % 4 == 0:  # a few at a time, as a pump with free threads does
            rows = outbox.claim("http", timedelta(minutes=5), limit=3)
            claimed += [int(r["id"]) for r in rows]
            for row in rows:
                outbox.attempted(int(row["id"]), None)
    while rows := outbox.claim("http", timedelta(minutes=5), limit=3):
        claimed += [int(r["id"]) for r in rows]
    results.put((worker, claimed, minted))
    store.close()


def test_two_processes_share_the_journal_the_outbox_and_the_ledger(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    outbox = Outbox(store_backend.database("notify"))
    for n in range(MESSAGES):
        outbox.add(Notification("0812", "status", f"SR-{n}", "ASSIGNED"), "http")
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    spec = store_spec(store_backend)
    workers = [context.Process(target=_writer, args=(spec, w, results)) for w in range(2)]
    for worker in workers:
        worker.start()
    # the tailer: what the feed does, reading after the last seq it saw
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while len(seen) < 2 * APPENDS and time.monotonic() < deadline:
        seen += [f.seq for f in journal.read(after=seen[-1] if seen else 0, limit=50)]
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    final = [f.seq for f in journal.read(limit=1000)]
    assert len(final) == 2 * APPENDS
    # every fact the journal holds was seen by the tailer, in order, none skipped
    assert seen == final == list(range(final[0], final[0] + 2 * APPENDS))
    claimed = [i for _, ids, _ in outcomes for i in ids]
    assert len(claimed) == len(set(claimed)) == MESSAGES
    # each allocation is a block of 1-3 numbers; no number is in two blocks
    numbers = [
        first + k
        for _, _, minted in outcomes
        for n, first in zip(range(0, APPENDS, 2), minted, strict=True)
        for k in range(1 + n % 3)
    ]
    assert len(numbers) == len(set(numbers))
