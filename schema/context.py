"""What the request context must hold.

hub/ builds one `Services` at start-up and, per request, a `Context`:

    services = Services(repository=GraphRepository(...), pubsub=PubSub(),
                        intake=..., review=..., name_normaliser=...)

    class App(GraphQL):
        async def get_context(self, request, response):
            principal = ...  # from the API key / JWT, or 401 before we get here
            return Context.for_request(services, principal, request=request,
                                       response=response, purpose=...)

Resolvers read `info.context.principal` (organization, role), `info.context.
policy` and `info.context.scope` (derived from the role), `info.context.loaders`
(fresh DataLoaders per request) and `info.context.audit` (what the request
touched, written to `services.audit` when it ends; see `schema.audit`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.eligibility import RuleBook
from domain.service_desk import WorkerArea
from domain.shapes import Scope
from journal import Journal
from schema.audit import AuditTrail
from schema.eligibility import FindingsCache
from schema.loaders import Loaders
from schema.permissions import Policy, policy_for, scope_for, sees_eligibility
from schema.pubsub import PubSub
from schema.services import (
    AccessGrants,
    Analytics,
    AuditSink,
    Intake,
    NameNormaliser,
    Notifier,
    ProgramCycles,
    PurposeResolver,
    Repository,
    ReviewDecider,
    StatusCheckLocks,
    SubmissionGuard,
)


@dataclass(frozen=True)
class Services:
    """Long-lived implementations, shared by every request."""

    repository: Repository
    pubsub: PubSub = field(default_factory=PubSub)
    intake: Intake | None = None
    review: ReviewDecider | None = None
    name_normaliser: NameNormaliser | None = None
    purposes: PurposeResolver | None = None
    """The purpose registry; None takes any stated purpose as free text."""
    audit: AuditSink | None = None
    """Where reads and writes of personal data are recorded; None records nothing
    (only for tests and benchmarks: the hub always sets it)."""
    grants: AccessGrants | None = None
    """Consent receipts and link confirmations; None opens nothing beyond the graph."""
    submissions: SubmissionGuard | None = None
    """The submission budget and alerts; None leaves `submitRecord` unwatched."""
    analytics: Analytics | None = None
    """The city figures the monthly report computes (`povertyIndicators`); None
    answers them with SERVICE_UNAVAILABLE."""
    rules: RuleBook | None = None
    """The programs' eligibility rules (`connectors.reference.eligibility_rules`);
    None answers eligibility and targeting with SERVICE_UNAVAILABLE and lets
    `enrolHousehold` enrol without a check (tests only: the hub always sets it)."""
    cycles: ProgramCycles | None = None
    """Program cycles and their frozen rosters; None answers them with
    SERVICE_UNAVAILABLE."""
    findings: FindingsCache = field(default_factory=FindingsCache)
    """The city's targeting findings, kept until anything is written (needs `journal`)."""
    journal: Journal | None = None
    """The journal of every change: every API write is appended to it before it
    reaches the graph (schema.journaling), each process's tailer (schema.tailer)
    publishes it, the feed reads it. None keeps no journal and no feed (only
    tests and benchmarks: the hub always sets it)."""
    worker_areas: tuple[WorkerArea, ...] = ()
    """Which social worker serves which area (`connectors.reference.worker_areas`):
    the front desk assigns a request by it; empty assigns none (by hand only)."""
    notifier: Notifier | None = None
    """Where residents' status messages go (hub.notify); None sends none."""
    status_checks: StatusCheckLocks | None = None
    """Cek status' wrong checks per number (hub.status_check); None: no lock to
    lift (`unlockStatusCheck` answers SERVICE_UNAVAILABLE)."""
    nik_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """The key of the front desk's NIK-suffix digests (`domain.service_desk.nik_digest`);
    the hub reads it from `$HUB_HOME/keys/desk-nik-key`. The default, a key of this
    process only, is for tests and benchmarks: a restart would orphan its digests."""


@dataclass
class Context:
    services: Services
    principal: Any
    loaders: Loaders
    scope: Scope
    policy: Policy
    audit: AuditTrail
    request: Any = None
    response: Any = None
    connection_params: Any = None
    """A websocket's `connection_init` payload (strawberry sets it)."""

    @classmethod
    def for_request(
        cls,
        services: Services,
        principal: Any,
        *,
        request: Any = None,
        response: Any = None,
        purpose: str | None = None,
    ) -> Context:
        policy = policy_for(principal)
        opened: list[str] = []
        organization = getattr(principal, "organization", None)  # None before a websocket binds
        if policy.relationship_scoped and organization and services.grants is not None:
            opened = services.grants.opened_persons(str(organization), datetime.now(UTC))
        scope = scope_for(principal, opened)
        return cls(
            services=services,
            principal=principal,
            loaders=Loaders(
                services.repository,
                scope,
                personal=policy.can_see_personal,
                eligibility=sees_eligibility(policy),
            ),
            scope=scope,
            policy=policy,
            audit=AuditTrail(purpose.strip() or None if purpose else None, services.purposes),
            request=request,
            response=response,
        )

    def bind(self, principal: Any, purpose: str | None = None) -> None:
        """Who is calling, once known: a websocket's context is made before its
        `connection_init` authenticates it (until then the role is unknown and
        may do nothing)."""
        fresh = Context.for_request(self.services, principal, purpose=purpose or self.purpose)
        self.principal, self.loaders, self.scope = principal, fresh.loaders, fresh.scope
        self.policy, self.audit = fresh.policy, fresh.audit

    @property
    def purpose(self) -> str | None:
        return self.audit.purpose

    @property
    def repository(self) -> Repository:
        return self.services.repository

    @property
    def pubsub(self) -> PubSub:
        return self.services.pubsub


__all__ = ["Context", "Services"]
