"""The cycle store: a roster is written once, when its cycle is approved, and
erasure takes a household out of every roster."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hub.cycles import SqliteCycles
from store import Store

pytestmark = pytest.mark.anyio

CYCLE = {
    "cycle_id": "cyc-1",
    "program": "BPNT",
    "name": "Nov",
    "period_start": "2026-11-01",
    "period_end": "2026-11-30",
    "status": "DRAFT",
    "rule_version": "2024.1",
    "opened_by": "peksos-1",
    "opened_at": "2026-11-01T08:00:00+00:00",
}


def entry(household: str, members: int) -> str:
    return json.dumps({"household_id": household, "facts": {"members": members}})


async def test_approve_once_then_forget_a_household(store_backend: Store) -> None:
    store = SqliteCycles(store_backend.database("cycles"))
    await store.open(CYCLE)
    at = datetime(2026, 11, 2, tzinfo=UTC)
    done = await store.approve("cyc-1", "admin-1", at, "2024.1", [entry("H2", 3), entry("H1", 2)])
    assert done is not None and (done["status"], done["households"], done["members"]) == (
        "APPROVED",
        2,
        5,
    )
    assert await store.approve("cyc-1", "admin-2", at, "2024.1", [entry("H9", 1)]) is None  # frozen
    assert [
        json.loads(e)["household_id"] for e in await store.roster("cyc-1", offset=0, limit=None)
    ] == ["H1", "H2"]
    assert store.forget(["H1"]) == 1
    assert [
        json.loads(e)["household_id"] for e in await store.roster("cyc-1", offset=0, limit=None)
    ] == ["H2"]
    assert (await store.cycle("cyc-1") or {})["households"] == 2  # the approved count stays
    store.close()
