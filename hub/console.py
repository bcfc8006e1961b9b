"""`/app`: the console's wiring (the pages are `console`'s). The hub hands the
console its one GraphQL context factory (hub.app.Runtime.graphql_context),
the schema, the session cookie it shares with /dashboard, and the rate limit;
the console's operations join the trusted documents when the hub keeps them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from connectors import legal
from connectors.upload import UploadStore
from console import Console, ConsoleSettings, upload_routes
from console.app import Refused, UploadView
from console.casework import Casework
from console.change_pages import ChangePages
from console.deliveries import Deliveries
from console.public import PublicDoor, PublicPages, StatusCheck
from console.review_pages import ReviewPages
from console.runner import Executor, Outcome, Runner, load_operations
from console.service_desk import ServiceDesk
from domain.service_desk import office_day
from hub.dashboard import DASHBOARD_ROLES, Sessions, principal_of
from hub.intake import IntakeStore
from hub.security import Principal, RateLimit, RateLimiter, SecurityError
from hub.settings import Settings
from hub.status_check import FailedChecks, PublicStatus, check_status
from schema.context import Context, Services
from schema.extensions import TrustedDocuments

#: the purpose a web-form request is registered with (connectors.legal's registry)
WEB_FORM_PURPOSE = "social_assistance"


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
    services: Callable[[], Services | None] = lambda: None,
    failures: FailedChecks | None = None,
) -> list[BaseRoute]:
    """`services`: the app's services once the graph is connected (Cek status
    reads the request through them); `failures`: the shared count of wrong
    checks per number (hub.status_check.FailedChecks; None locks nothing)."""

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
            office_day=partial(office_day, zone=settings.report_timezone),
        ),
        check_login,
    )
    uploads = UploadStore(IntakeStore.config_dir_of(settings.home))
    public = public_limiter(settings, limiter)

    web_form = web_form_identity(settings)

    async def as_web_form(operation: str, variables: dict[str, Any]) -> Outcome:
        limiter.check(web_form.rate_limit_key)  # all residents' forms together, as a key
        return await console.runner.run(
            operation, web_form, purpose=WEB_FORM_PURPOSE, variables=variables
        )

    door = PublicDoor(
        check=status_check(services, failures),
        limit=public.check,
        run=as_web_form,
        secure=settings.mode == "production",
    )
    return [
        *console.routes(
            extra=[
                *upload_routes.routes(UploadView(console), uploads),
                *ReviewPages(console).routes(),
                *ChangePages(console).routes(),
                *Casework(console).routes(),
                *Deliveries(console).routes(),
                *ServiceDesk(console).routes(),
            ]
        ),
        *PublicPages(console, door).routes(),
    ]


def web_form_identity(settings: Settings) -> Principal:
    """Who the public request form acts as: the narrowest role the API lets
    register a request (`social_worker`: the front desk's casework, without the
    audit log an administrator reads), in Dinsos' organization
    (the `desk_organization` setting). The console only runs the form's two
    operations with it (the PPKS list and `registerServiceRequest`, which
    answers the number alone); the audit log names it `service:permohonan-baru`."""
    return Principal(
        subject="service:permohonan-baru",
        organization=settings.desk_organization,
        role="social_worker",
        auth_method="service",
    )


def status_check(
    services: Callable[[], Services | None], failures: FailedChecks | None = None
) -> StatusCheck:
    """Cek status as the public page calls it: `hub.status_check` (which audits
    each check and answers an unknown number and a wrong NIK alike)."""

    async def check(number: str, nik_suffix: str) -> PublicStatus | None:
        found = services()
        if found is None:
            raise Refused(503, "The hub is starting; try again in a moment.")
        return await check_status(found, number, nik_suffix, failures)

    return check


def public_limiter(settings: Settings, limiter: RateLimiter) -> RateLimiter:
    """The public pages' budget per client address (the `public_rate_per_minute`
    and `public_burst` settings), in the hub's shared buckets: a resident checks a
    few times, a script trying numbers or NIK digits soon waits."""
    return RateLimiter(
        RateLimit(rate=settings.public_rate_per_minute / 60, burst=settings.public_burst),
        shared=limiter.shared,
    )
