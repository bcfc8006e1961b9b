from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.security.db import SecurityDB
from hub.security.keys import KeyStore
from store import Store


@pytest.fixture
def db(store_backend: Store, tmp_path: Path) -> Iterator[SecurityDB]:
    """The security database on each store back-end (SQLite: tmp_path/security.sqlite)."""
    with SecurityDB.on(store_backend, tmp_path) as opened:
        yield opened


@pytest.fixture
def keys(db: SecurityDB) -> KeyStore:
    return KeyStore(db)
