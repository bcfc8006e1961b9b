"""What the request context must hold.

hub/ builds one `Services` at start-up and, per request, a `Context`:

    services = Services(repository=GraphRepository(...), pubsub=PubSub(),
                        intake=..., review=..., name_normaliser=...)

    class App(GraphQL):
        async def get_context(self, request, response):
            principal = ...  # from the API key / JWT, or 401 before we get here
            return Context.for_request(services, principal, request=request,
                                       response=response, purpose=...)

Resolvers read `info.context.principal` (organization, role, optionally a
`policy` with the flags of `schema.permissions.Policy`), `info.context.scope`
(derived from it) and `info.context.loaders` (fresh DataLoaders per request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.loaders import Loaders
from schema.permissions import Policy, policy_for, scope_for
from schema.pubsub import PubSub
from schema.services import Intake, NameNormaliser, Repository, ReviewDecider, Scope


@dataclass(frozen=True)
class Services:
    """Long-lived implementations, shared by every request."""

    repository: Repository
    pubsub: PubSub = field(default_factory=PubSub)
    intake: Intake | None = None
    review: ReviewDecider | None = None
    name_normaliser: NameNormaliser | None = None


@dataclass
class Context:
    services: Services
    principal: Any
    loaders: Loaders
    scope: Scope
    policy: Policy
    request: Any = None
    response: Any = None
    purpose: str | None = None

    @classmethod
    def for_request(cls, services: Services, principal: Any, *, request: Any = None,
                    response: Any = None, purpose: str | None = None) -> Context:
        scope = scope_for(principal)
        return cls(
            services=services,
            principal=principal,
            loaders=Loaders(services.repository, scope),
            scope=scope,
            policy=policy_for(principal),
            request=request,
            response=response,
            purpose=purpose,
        )

    @property
    def repository(self) -> Repository:
        return self.services.repository

    @property
    def pubsub(self) -> PubSub:
        return self.services.pubsub


__all__ = ["Context", "Services"]
