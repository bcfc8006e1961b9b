# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""What opens a household to an organization beyond its services and
referrals: consent receipts and Dinsos link confirmations (mutations and
lists), and the alerts the submission watch raises.

Dinsos roles (social workers and administrators) record consent and confirm
links: an organization cannot open a household for itself. An organization
may withdraw a consent given to it (giving up access), and lists its own
receipts; the person's withdrawal is recorded by Dinsos. Every change is in
the audit log (`write:<mutation>` with the person's id).
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from schema import inputs
from schema.audit import Purpose, read, require_purpose, wrote
from schema.context import Context
from schema.errors import Forbidden, InputError, NotFound, ServiceError
from schema.pagination import Connection, connection, window
from schema.permissions import (
    ConsentCategory,
    policy_for,
    require_alert_reader,
    require_casework,
    require_write,
)
from schema.services import AccessGrants, SubmissionGuard
from schema.types.consent import ConsentReceipt, LinkConfirmation, SubmissionAlert

Info = strawberry.Info[Context, None]


@strawberry.input(description="A consent the person gave to an organization.")
class ConsentInput:
    person_id: strawberry.ID
    organization: str
    categories: list[ConsentCategory]
    purpose: str
    valid_until: datetime
    valid_from: datetime | None = None
    legal_basis: str = "consent (UU PDP No. 27/2022, art. 20(2)a)"
    method: str = "signed form"
    note: str | None = None


@strawberry.input(description="Dinsos checked that an organization serves this person.")
class LinkInput:
    person_id: strawberry.ID
    organization: str
    basis: str
    note: str | None = None


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _who(info: Info) -> str:
    principal = info.context.principal
    return str(getattr(principal, "subject", None) or principal.organization)


def _grants(info: Info) -> AccessGrants:
    grants = info.context.services.grants
    if grants is None:
        raise ServiceError("consent receipts are not configured on this hub.")
    return grants


def _watch(info: Info) -> SubmissionGuard:
    watch = info.context.services.submissions
    if watch is None:
        raise ServiceError("the submission watch is not configured on this hub.")
    return watch


async def _known_person(info: Info, field: str, person_id: str) -> tuple[str, str | None]:
    """The person must exist (Dinsos sees everyone); returns their current id (a
    merged id's survivor: what is recorded under the old id would open nothing)
    and their household."""
    row = await info.context.loaders.person.load(person_id)
    if row is None:
        raise InputError(field, f"no person {person_id!r}.")
    hid = row.get("household_id")
    return str(row["person_id"]), str(hid) if hid else None


def _own_organization(info: Info, organization: str | None) -> str | None:
    """A scoped role lists only what concerns itself; others what they ask for."""
    if policy_for(info.context.principal).relationship_scoped:
        own = str(info.context.principal.organization)
        if organization not in (None, own):
            raise Forbidden("you may list only the consents given to your own organization.")
        return own
    return organization


@strawberry.type
class GrantMutations:
    @strawberry.mutation(
        description="Record a person's consent that an organization may see "
        "categories of their data (Dinsos roles). With "
        "HOUSEHOLD, PROBLEMS, PROGRAMS and SERVICES it opens "
        "the person's household to the organization until "
        "validUntil or withdrawal."
    )
    async def record_consent(self, info: Info, consent: ConsentInput) -> ConsentReceipt:
        require_casework(info.context.principal)
        grants = _grants(info)
        now = inputs.now()
        if not consent.categories:
            raise InputError("consent.categories", "name at least one category.")
        valid_from = _aware(consent.valid_from) if consent.valid_from else now
        valid_until = _aware(consent.valid_until)
        if valid_until <= max(valid_from, now):
            raise InputError("consent.validUntil", "must be in the future and after validFrom.")
        pid, hid = await _known_person(info, "consent.personId", consent.person_id)
        row = await grants.record_consent(
            {
                "receipt_id": None,
                "person_id": pid,
                "organization": inputs.required_text("consent.organization", consent.organization),
                "categories": sorted({c.value for c in consent.categories}),
                "purpose": inputs.required_text("consent.purpose", consent.purpose),
                "legal_basis": inputs.required_text("consent.legalBasis", consent.legal_basis),
                "method": inputs.required_text("consent.method", consent.method),
                "recorded_by": _who(info),
                "recorded_at": now,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "note": consent.note,
            }
        )
        wrote(info, persons=[pid], households=[hid])
        return ConsentReceipt.from_row(row, now).shown_to(info.context.policy)

    @strawberry.mutation(
        description="Withdraw a consent: Dinsos roles when the person "
        "withdraws it, or the organization it was given to. "
        "What it opened closes at once."
    )
    async def withdraw_consent(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> ConsentReceipt:
        policy = require_write(info.context.principal)
        only = None if policy.casework else str(info.context.principal.organization)
        now = inputs.now()
        row = await _grants(info).withdraw_consent(
            str(id), _who(info), reason, now, organization=only
        )
        if row is None:
            raise NotFound("consent in force", id)
        wrote(info, persons=[row["person_id"]])
        return ConsentReceipt.from_row(row, now).shown_to(info.context.policy)

    @strawberry.mutation(
        description="Confirm that an organization serves a person (Dinsos "
        "roles): the person's household opens to it."
    )
    async def confirm_link(self, info: Info, link: LinkInput) -> LinkConfirmation:
        require_casework(info.context.principal)
        pid, hid = await _known_person(info, "link.personId", link.person_id)
        row = await _grants(info).confirm_link(
            {
                "link_id": None,
                "person_id": pid,
                "organization": inputs.required_text("link.organization", link.organization),
                "confirmed_by": _who(info),
                "confirmed_at": inputs.now(),
                "basis": inputs.required_text("link.basis", link.basis),
                "note": link.note,
            }
        )
        wrote(info, persons=[pid], households=[hid])
        return LinkConfirmation.from_row(row).shown_to(info.context.policy)

    @strawberry.mutation(description="Revoke a link confirmation (Dinsos roles).")
    async def revoke_link(self, info: Info, id: strawberry.ID) -> LinkConfirmation:
        require_casework(info.context.principal)
        row = await _grants(info).revoke_link(str(id), _who(info), inputs.now())
        if row is None:
            raise NotFound("link confirmation in force", id)
        wrote(info, persons=[row["person_id"]])
        return LinkConfirmation.from_row(row).shown_to(info.context.policy)


@strawberry.type
class GrantQueries:
    @strawberry.field(
        description="Consent receipts, newest first: Dinsos roles and the "
        "auditor see all, an organization those given to it."
    )
    async def consents(
        self,
        info: Info,
        person_id: strawberry.ID | None = None,
        organization: str | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[ConsentReceipt]:
        principal = info.context.principal
        if not policy_for(principal).relationship_scoped:
            require_alert_reader(principal)
        else:
            require_write(principal)
        require_purpose(info, purpose)
        org = _own_organization(info, organization)
        offset, limit = window(first, after)
        page = await _grants(info).consents(
            person_id=person_id, organization=org, offset=offset, limit=limit
        )
        read(info, persons=[r["person_id"] for r in page["rows"]])
        now = inputs.now()
        return connection(
            page["rows"],
            page["total"],
            offset,
            lambda r: ConsentReceipt.from_row(r, now).shown_to(info.context.policy),
        )

    @strawberry.field(
        description="Link confirmations, newest first (Dinsos roles and the auditor)."
    )
    async def link_confirmations(
        self,
        info: Info,
        person_id: strawberry.ID | None = None,
        organization: str | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[LinkConfirmation]:
        require_alert_reader(info.context.principal)
        require_purpose(info, purpose)
        offset, limit = window(first, after)
        page = await _grants(info).links(
            person_id=person_id, organization=organization, offset=offset, limit=limit
        )
        read(info, persons=[r["person_id"] for r in page["rows"]])
        return connection(
            page["rows"],
            page["total"],
            offset,
            lambda r: LinkConfirmation.from_row(r).shown_to(info.context.policy),
        )

    @strawberry.field(
        description="Alerts on unusual submission patterns, newest first "
        "(Dinsos roles and the auditor)."
    )
    async def submission_alerts(
        self, info: Info, organization: str | None = None, first: int = 20, after: str | None = None
    ) -> Connection[SubmissionAlert]:
        require_alert_reader(info.context.principal)
        offset, limit = window(first, after)
        page = await _watch(info).alerts(organization=organization, offset=offset, limit=limit)
        return connection(page["rows"], page["total"], offset, SubmissionAlert.from_row)


__all__ = ["ConsentInput", "GrantMutations", "GrantQueries", "LinkInput"]
