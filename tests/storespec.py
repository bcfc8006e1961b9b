"""Opening one test store again in a spawned process (the state stores' tests).

Light on purpose: a spawned child imports this module and its test module only,
not `storetest`'s security stores."""

from __future__ import annotations

from pathlib import Path

from store.base import Store
from store.postgres import PgStore
from store.sqlite import SqliteStore

StoreSpec = tuple[str, str, str]


def store_spec(store: Store) -> StoreSpec:
    """What a spawned process needs to open the same store (picklable)."""
    if isinstance(store, PgStore):
        return ("postgres", store.url, store.schema)
    assert isinstance(store, SqliteStore)
    return ("sqlite", str(store.home), "")


def open_spec(spec: StoreSpec) -> Store:
    """The store `store_spec` described, opened in this process (the caller closes it)."""
    kind, where, schema = spec
    if kind == "postgres":
        return PgStore(where, schema, max_size=2)
    return SqliteStore(Path(where))
