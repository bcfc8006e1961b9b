from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.security.db import SecurityDB
from hub.security.keys import KeyStore


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SecurityDB]:
    with SecurityDB(tmp_path / "security.sqlite") as opened:
        yield opened


@pytest.fixture
def keys(db: SecurityDB) -> KeyStore:
    return KeyStore(db)
