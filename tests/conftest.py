"""Shared test set-up: tests/ is on sys.path so fixtures modules import by name."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).parent
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))
