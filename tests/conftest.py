"""Shared test set-up: tests/ is on sys.path so fixtures modules import by name."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """The hub runs on asyncio (uvicorn, the Neo4j driver). anyio's plugin would
    also run every async test on trio when trio is installed (selenium brings it),
    doubling them and failing on asyncio-only code."""
    return "asyncio"
