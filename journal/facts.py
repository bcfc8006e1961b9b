"""The shape of a journal fact, written once for every writer and reader."""

from __future__ import annotations

import json
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

    def to_json(self) -> str:
        """The fact as JSON text (to keep it somewhere until it is appended)."""
        return json.dumps(
            {
                "kind": self.kind,
                "payload": dict(self.payload),
                "household_ids": list(self.household_ids),
                "person_ids": list(self.person_ids),
                "subject": self.subject,
                "actor": self.actor,
                "organization": self.organization,
                "key": self.key,
                "at": self.at.isoformat() if self.at else None,
            },
            default=jsonable,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> NewFact:
        data = json.loads(text)
        at = data.pop("at")
        return cls(
            **{
                **data,
                "household_ids": tuple(data["household_ids"]),
                "person_ids": tuple(data["person_ids"]),
            },
            at=datetime.fromisoformat(at) if at else None,
        )


def jsonable(value: Any) -> Any:
    """Dates and times in a payload as ISO text (json.dumps' `default`)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


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
