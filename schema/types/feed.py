"""A fact of the change feed, as a caller may read it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import strawberry
from strawberry.scalars import JSON

from journal import Fact, kinds
from schema.permissions import Policy, Provenance, mask, mask_contact, mask_text

#: payload keys that name an organization: shown only when the caller may name it
_ORGANIZATION_KEYS: Final = frozenset(
    {"organization", "from_org", "to_org", "from_organization", "to_organization", "funder"}
)
#: payload keys that say who holds a record: shown with its organization only
_HOLDER_KEYS: Final = frozenset(
    {
        "source",
        "record_key",
        "source_record_id",
        "record_key_l",
        "record_key_r",
        "matched_record_key",
    }
)
#: identifiers, masked for roles that mask them
_IDENTIFIER_KEYS: Final = frozenset({"nik", "no_kk", "kk"})
_CONTACT_KEYS: Final = frozenset({"phone"})
#: the journal's copy of the written row, kept to rebuild the graph
#: (schema.journaling): free text and special-category findings, never shown
_REBUILD_KEYS: Final = frozenset({"row", "table"})


@strawberry.type(
    description="One change in the hub: a pipeline run (household merged or "
    "split, person merged or retired, decile changed, service "
    "loaded from a source file) or a write through the API (service, "
    "enrolment, assessment, referral, change request, submission). "
    "Re-read the household for its new state."
)
class FeedEvent:
    cursor: str = strawberry.field(description="Its place in the feed: pass it as `after`.")
    kind: str = strawberry.field(description="`entity.verb`, e.g. household.merged.")
    origin: str = strawberry.field(description="`pipeline` or `api`.")
    at: datetime
    household_ids: list[strawberry.ID]
    person_ids: list[strawberry.ID]
    subject: strawberry.ID | None = strawberry.field(
        description="The id of what changed (a household, person, service, referral)."
    )
    organization: str | None = strawberry.field(
        description="The organization that made the change, when you may see it named."
    )
    payload: JSON = strawberry.field(
        description="What changed: ids, codes, dates, deciles; masked as your role reads."
    )

    @classmethod
    def shown(cls, fact: Fact, policy: Policy, provenance: Provenance) -> FeedEvent:
        owner = fact.organization or fact.payload.get("organization")
        return cls(
            cursor=str(fact.seq),
            kind=fact.kind,
            origin=fact.origin,
            at=fact.at,
            household_ids=[strawberry.ID(h) for h in fact.household_ids],
            person_ids=[strawberry.ID(p) for p in fact.person_ids],
            subject=strawberry.ID(fact.subject)
            if fact.subject
            and (fact.kind not in kinds.SUBJECT_IS_RECORD_KEY or provenance.shows(owner))
            else None,
            organization=provenance.name(fact.organization, fact.organization),
            payload=JSON(shown_payload(fact.payload, policy, provenance, owner)),
        )


def shown_payload(
    payload: Mapping[str, Any], policy: Policy, provenance: Provenance, owner: object
) -> dict[str, Any]:
    """The payload as the role may read it: the summary only (never the row kept
    for rebuilding), organizations it may not name and
    what would tell who holds a record withheld (null), NIK / KK / phone and
    any such number in free text masked."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _REBUILD_KEYS:
            continue
        if key in _ORGANIZATION_KEYS:
            out[key] = provenance.name(value, value)
        elif key in _HOLDER_KEYS:
            out[key] = value if provenance.shows(owner) else None
        elif key in _IDENTIFIER_KEYS:
            out[key] = mask(value, policy) if isinstance(value, str) else None
        elif key in _CONTACT_KEYS:
            out[key] = mask_contact(value, policy) if isinstance(value, str) else None
        else:
            out[key] = _masked(value, policy)
    return out


def _masked(value: Any, policy: Policy) -> Any:
    if isinstance(value, str):
        return mask_text(value, policy)
    if isinstance(value, list):
        return [_masked(v, policy) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _masked(v, policy) for k, v in value.items()}
    return value


@strawberry.type(description="A page of the change feed.")
class FeedPage:
    events: list[FeedEvent]
    end_cursor: str = strawberry.field(
        description="Pass as `after` for the next page (also when `events` is empty: "
        "facts you may not see are skipped)."
    )
    has_next_page: bool
