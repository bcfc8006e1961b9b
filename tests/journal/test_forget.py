"""Erasure reaches the journal: every fact about an erased person or household goes."""

from __future__ import annotations

from journal import Journal, NewFact, kinds
from store import Store


def test_forget_deletes_the_facts_about_them_and_nothing_else(store_backend: Store) -> None:
    journal = Journal(store_backend.database("journal"))
    journal.append(
        [
            NewFact(kind=kinds.SERVICE_RECORDED, household_ids=("H-1",), person_ids=("P-1",)),
            NewFact(kind=kinds.SERVICE_RECORDED, household_ids=("H-1",), person_ids=("P-2",)),
            NewFact(kind=kinds.ENROLMENT_RECORDED, household_ids=("H-2",)),
            NewFact(kind=kinds.REFERRAL_CREATED, household_ids=("H-3",)),
        ]
    )
    head = journal.head()
    assert journal.forget(persons=["P-1"], households=["H-2"]) == 2
    kept = journal.read()
    assert [(f.household_ids, f.person_ids) for f in kept] == [(("H-1",), ("P-2",)), (("H-3",), ())]
    assert journal.read(household_ids=["H-2"]) == []
    assert journal.forget() == 0 and journal.head() == head
    # numbers are never reused: a new fact comes after every one handed out
    [seq] = journal.append([NewFact(kind=kinds.SERVICE_RECORDED, household_ids=("H-4",))])
    assert seq > head
