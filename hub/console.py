"""`/app`: the console's wiring (the pages are `console`'s). The hub hands the
console its one GraphQL context factory (hub.app.Runtime.graphql_context),
the schema, the session cookie it shares with /dashboard, and the rate limit;
the console's operations join the trusted documents when the hub keeps them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from connectors import legal
from connectors.upload import UploadStore
from console import Console, ConsoleSettings, upload_routes
from console.app import UploadView
from console.casework import Casework
from console.change_pages import ChangePages
from console.deliveries import Deliveries
from console.review_pages import ReviewPages
from console.runner import Executor, Runner, load_operations
from hub.dashboard import DASHBOARD_ROLES, Sessions, principal_of
from hub.intake import IntakeStore
from hub.security import Principal, RateLimiter, SecurityError
from hub.settings import Settings
from schema.context import Context
from schema.extensions import TrustedDocuments


def register_console_documents(store: TrustedDocuments) -> None:
    """Trust the console's operations, so a partner held to trusted documents
    can use the console (it names each operation by its document id)."""
    for text in load_operations().values():
        store.add(text)


def console_routes(
    settings: Settings,
    sessions: Sessions,
    limiter: RateLimiter,
    context: Callable[[Principal | None, str | None], Context],
    schema: Executor,
) -> list[BaseRoute]:
    def principal(payload: Mapping[str, Any]) -> Principal:
        p = principal_of(dict(payload))
        limiter.check(p.rate_limit_key)
        return p

    def check_login(request: Request) -> None:
        limiter.check(f"console-login:{request.client.host if request.client else 'unknown'}")

    console = Console(
        Runner(schema, context),
        sessions,
        principal,
        ConsoleSettings(
            purposes=[(p.code, p.name) for p in legal.purposes().values()],
            dashboard_roles=DASHBOARD_ROLES,
            refusals=(SecurityError,),
        ),
        check_login,
    )
    uploads = UploadStore(IntakeStore.config_dir_of(settings.home))
    return console.routes(
        extra=[
            *upload_routes.routes(UploadView(console), uploads),
            *ReviewPages(console).routes(),
            *ChangePages(console).routes(),
            *Casework(console).routes(),
            *Deliveries(console).routes(),
        ]
    )
