"""The shape of a journal fact, written once for every writer and reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class NewFact:
    """A fact to append. `household_ids` decides who may see it in the feed
    (an organization sees a fact when it may see one of them; a fact with none
    is for Dinsos roles only). `key`, when given, makes the append idempotent:
    a second fact with the same key is not stored again (a re-run pipeline
    step, a retried request)."""

    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    household_ids: tuple[str, ...] = ()
    person_ids: tuple[str, ...] = ()
    subject: str | None = None
    actor: str | None = None
    organization: str | None = None
    key: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Fact:
    """A stored fact; `seq` orders every fact of the hub."""

    seq: int
    at: datetime
    kind: str
    origin: str
    payload: Mapping[str, Any]
    household_ids: tuple[str, ...]
    person_ids: tuple[str, ...]
    subject: str | None
    actor: str | None
    organization: str | None
