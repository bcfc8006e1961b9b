"""The journal keeps facts in one order, once each, across processes."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from storespec import StoreSpec, open_spec, store_spec

from journal import Journal, NewFact, kinds
from store import Store


def _service(household: str, **extra: object) -> NewFact:
    return NewFact(
        kind=kinds.SERVICE_RECORDED,
        household_ids=(household,),
        payload={"program": "PKH", **extra},
        organization="YAY-A",
    )


def test_facts_come_back_in_append_order_with_their_fields(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    seqs = journal.append([_service("H-1", amount=5), _service("H-2")])
    assert seqs == sorted(seqs) and len(set(seqs)) == 2
    facts = journal.read()
    assert [f.seq for f in facts] == seqs
    assert facts[0].household_ids == ("H-1",)
    assert facts[0].payload == {"program": "PKH", "amount": 5}
    assert facts[0].origin == "api" and facts[0].organization == "YAY-A"
    assert journal.head() == seqs[-1]
    assert journal.read(after=seqs[0]) == facts[1:]


def test_a_fact_with_a_stored_key_is_not_stored_again(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    first = journal.append([NewFact(kinds.PERSON_MERGED, key="merge:P-1", person_ids=("P-1",))])
    again = journal.append([NewFact(kinds.PERSON_MERGED, key="merge:P-1", person_ids=("P-1",))])
    assert again == first
    assert len(journal.read()) == 1


def test_reads_select_by_household_and_kind(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    journal.append(
        [
            _service("H-1"),
            _service("H-2"),
            NewFact(kinds.HOUSEHOLD_MERGED, household_ids=("H-1", "H-3")),
        ]
    )
    assert [f.household_ids for f in journal.read(household_ids=["H-1"])] == [
        ("H-1",),
        ("H-1", "H-3"),
    ]
    assert journal.read(household_ids=[]) == []
    merged = journal.read(kinds=[kinds.HOUSEHOLD_MERGED])
    assert [f.origin for f in merged] == ["pipeline"]


def test_an_unknown_kind_is_refused_and_nothing_is_stored(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    with pytest.raises(ValueError, match="unknown journal fact kind"):
        journal.append([_service("H-1"), NewFact(kind="household.teleported")])
    assert journal.read() == []


def test_between_selects_a_period_by_time(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    march = datetime(2026, 3, 20, tzinfo=UTC)
    journal.append(
        [
            NewFact(kinds.SERVICE_RECORDED, at=march - timedelta(days=40)),
            NewFact(kinds.SERVICE_RECORDED, at=march),
            NewFact(kinds.ENROLMENT_RECORDED, at=march),
        ]
    )
    got = journal.between(datetime(2026, 3, 1), datetime(2026, 4, 1), [kinds.SERVICE_RECORDED])
    assert [f.at for f in got] == [march]


def _append_many(spec: StoreSpec, worker: int) -> None:
    store = open_spec(spec)
    journal = Journal(store.database("journal"))
    for n in range(50):
        journal.append([_service(f"H-{worker}-{n}")])
    store.close()


def test_processes_appending_at_once_get_distinct_growing_numbers(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    context = multiprocessing.get_context("spawn")
    spec = store_spec(store_backend)
    workers = [context.Process(target=_append_many, args=(spec, w)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    facts = journal.read(limit=1000)
    assert len(facts) == 150
    assert [f.seq for f in facts] == sorted({f.seq for f in facts})
    for worker_id in range(3):  # each process's own facts stay in its order
        mine = [h for f in facts for h in f.household_ids if h.startswith(f"H-{worker_id}-")]
        assert mine == [f"H-{worker_id}-{n}" for n in range(50)]


def test_what_a_claim_makes_is_stored_with_it_and_only_when_it_wins(
    store_backend: Store,
) -> None:
    journal = Journal(store_backend.database("journal"))
    step = NewFact(kinds.REFERRAL_MOVED, subject="ref-1", key="ref-1:from:OPEN")
    made = NewFact(kinds.REFERRAL_CREATED, subject="ref-2", key="ref-1:onward")
    assert journal.claim(step, also=[made])
    other = NewFact(kinds.REFERRAL_CREATED, subject="ref-3")
    assert not journal.claim(step, also=[other])  # lost: what it would make is not stored
    assert [(f.kind, f.subject) for f in journal.read()] == [
        (kinds.REFERRAL_MOVED, "ref-1"),
        (kinds.REFERRAL_CREATED, "ref-2"),
    ]
    found = journal.keyed("ref-1:onward")
    assert found is not None and found.subject == "ref-2"


def _claim(spec: StoreSpec, worker: int, results: Any) -> None:
    store = open_spec(spec)
    results.put(
        Journal(store.database("journal")).claim(
            NewFact(
                kinds.CHANGE_REQUEST_APPROVED, subject=f"by-{worker}", key="chg-1:from:VERIFIED"
            )
        )
    )
    store.close()


def test_of_processes_claiming_one_key_exactly_one_wins(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    spec = store_spec(store_backend)
    workers = [context.Process(target=_claim, args=(spec, w, results)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert sorted(results.get(timeout=5) for _ in workers) == [False, False, False, True]
    assert len(journal.read()) == 1
