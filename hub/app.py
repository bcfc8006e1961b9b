"""The Starlette application: `/graphql` (HTTP and websocket), `/health`.

Every GraphQL call is authenticated (API key or staff JWT) before strawberry
sees it; anonymous calls get 401 in every mode. The schema's resolvers get
their services (graph repository, intake, review, pub/sub, and the audit log
as `services.audit`) through the context.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from connectors.reference import eligibility_rules, worker_areas
from graph import GraphRepository, GraphUnavailable, open_async_driver
from hub.analytics import StagingAnalytics
from hub.body_limit import MAX_BODY_BYTES, BodyLimit
from hub.console import console_routes, register_console_documents
from hub.cycles import SqliteCycles
from hub.dashboard import Sessions, dashboard_routes
from hub.dci.routes import dci_routes
from hub.dci.service import DciService
from hub.errors import ConfigError
from hub.intake import LinkageServices
from hub.media import GraphQLResponseMedia
from hub.notify import Outbox, notifier_for
from hub.security import (
    AuditLog,
    Authenticator,
    JwtVerifier,
    KeyStore,
    Principal,
    RateLimit,
    RateLimiter,
    SecurityDB,
    SecurityError,
    Unauthenticated,
    purpose_from_headers,
)
from hub.security.audit import AuditLogSink
from hub.security.authn import PURPOSE_HEADER, WWW_AUTHENTICATE
from hub.security.grants import SqliteGrants
from hub.security.purposes import PurposeRegistry
from hub.security.ratelimit import SharedBuckets
from hub.security.submissions import SubmissionWatch
from hub.settings import Settings, graph_target
from hub.status_check import FailedChecks, nik_key, nik_key_path
from journal import Journal
from linkage import NameTokens
from schema import build_schema
from schema.context import Context, Services
from schema.extensions import ProtectionLimits, TrustedDocuments, protection_extensions
from schema.pubsub import PubSub
from schema.tailer import JournalTailer
from store import open_store

_log = logging.getLogger("hub.audit")


@dataclass
class Runtime:
    """What the app holds for its lifetime."""

    settings: Settings
    security: SecurityDB
    authenticator: Authenticator
    limiter: RateLimiter
    services: Services | None = None
    #: the published staging generation the server reads (see hub.intake)
    linkage: LinkageServices | None = None

    def graphql_context(
        self,
        principal: Principal | None,
        purpose: str | None,
        request: Any = None,
        response: Any = None,
    ) -> Context:
        """The GraphQL context of one call as `principal`: the one home of how
        /graphql and the console (console.runner) build it."""
        if self.services is None:
            raise GraphUnavailable("the graph is not connected yet; retry in a moment.")
        return Context.for_request(
            self.services, principal, request=request, response=response, purpose=purpose
        )


class HubGraphQL(GraphQL[Context, None]):
    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        self.runtime = runtime
        super().__init__(**kwargs)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        # an empty starlette State is falsy: ask it for the attribute, do not `and` it
        principal = getattr(getattr(request, "state", None), "principal", None)
        # a websocket has no principal yet (None may do nothing): on_ws_connect binds one
        return self.runtime.graphql_context(
            principal, purpose_from_headers(getattr(request, "headers", {})), request, response
        )

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """A request error (nothing executed: every error lacks a path) has no
        `data` entry, as GraphQL over HTTP says; hub.media then answers 400."""
        response = process_result(result)
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            response.pop("data", None)
        return response

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params
        try:
            principal = self.runtime.authenticator.authenticate_connection_init(
                params if isinstance(params, Mapping) else None
            )
            self.runtime.limiter.check(principal.rate_limit_key)
        except SecurityError as exc:
            reason = "unauthenticated" if isinstance(exc, Unauthenticated) else str(exc)
            raise ConnectionRejectionError({"reason": reason}) from exc
        context.bind(principal, context.purpose or _purpose_param(params))
        return await super().on_ws_connect(context)


class Authenticate:
    """ASGI middleware for /graphql over HTTP: 401 without valid credentials,
    429 over the rate limit; the principal goes to `request.state.principal`."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            principal: Principal = self.runtime.authenticator.authenticate(request.headers)
            self.runtime.limiter.check(principal.rate_limit_key)
        except SecurityError as exc:
            await _refusal(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _purpose_param(params: object) -> str | None:
    """`X-Purpose` (any case) in the connection_init payload or its `headers`."""
    if not isinstance(params, Mapping):
        return None
    nested = params.get("headers")
    for source in (params, nested if isinstance(nested, Mapping) else {}):
        for name, value in source.items():
            if (
                isinstance(name, str)
                and name.lower() == PURPOSE_HEADER
                and isinstance(value, str)
                and value.strip()
            ):
                return value.strip()
    return None


def _refusal(exc: SecurityError) -> Response:
    headers = {}
    status = getattr(exc, "status_code", 403)
    if status == 401:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    retry = getattr(exc, "retry_after", None)
    if retry is not None:
        headers["Retry-After"] = str(max(1, int(retry + 0.999)))
    message = (
        "authentication required: send an API key (X-API-Key) or a bearer token"
        if status == 401
        else str(exc)
    )
    return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)


async def export_anchors(log: AuditLog, interval_s: int) -> None:
    """Export the audit chain's head now and every `interval_s` seconds; a
    failure is logged and the next round tries again (verify names the cause)."""
    while True:
        try:
            await asyncio.to_thread(log.anchor)
        except Exception as exc:  # the server keeps serving; verify reports it
            _log.error("audit anchor not exported: %s", exc)
        await asyncio.sleep(max(1, interval_s))


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """The hub's ASGI app. Without `services`, the graph repository is opened
    at start-up from the settings (the graph may come up later: /health says so)."""
    # keys, audit, rate limits: SQLite files in the home, or PostgreSQL shared by servers
    store = open_store(settings)
    security = SecurityDB.on(store, settings.home)
    audit = AuditLogSink(AuditLog.from_settings(settings, security))
    purposes = PurposeRegistry(strict=settings.mode == "production")
    grants = SqliteGrants(security)
    watch = SubmissionWatch.from_settings(security, settings)
    journal = Journal(store.database("journal"))
    cycles = SqliteCycles(store.database("cycles"))
    analytics = StagingAnalytics(
        settings,
        journal,
        lambda: runtime.linkage.generations if runtime.linkage is not None else None,
    )
    try:
        areas = worker_areas(settings.worker_areas_file, settings.desk_organization)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"worker_areas_file: {exc}") from None
    notifier = notifier_for(settings, Outbox(store.database("notify")))
    desk_key = nik_key(settings)
    if security.shared:  # every server sharing the database digests NIKs alike
        security.claim_key("desk-nik", desk_key, nik_key_path(settings))
    failures = FailedChecks(security, settings.status_check_failures_per_day)
    if services is not None:
        services = replace(
            services,
            worker_areas=services.worker_areas or areas,
            notifier=services.notifier or notifier,
            audit=services.audit or audit,
            analytics=services.analytics or analytics,
            journal=services.journal or journal,
            purposes=services.purposes or purposes,
            grants=services.grants or grants,
            submissions=services.submissions or watch,
            cycles=services.cycles or cycles,
            status_checks=services.status_checks or failures,
        )
    runtime = Runtime(
        settings=settings,
        security=security,
        authenticator=Authenticator(KeyStore(security), JwtVerifier.from_settings(settings)),
        limiter=RateLimiter(
            RateLimit(
                rate=float(settings.extra.get("rate_limit", 200)),
                burst=int(settings.extra.get("rate_burst", 400)),
            ),
            shared=SharedBuckets(store.database("ratelimit")),
        ),
        services=services,
    )
    production = settings.mode == "production"
    trusted_path = settings.home / "trusted-documents.json"
    trusted = TrustedDocuments.load(trusted_path) if trusted_path.exists() else None
    if trusted is not None:
        register_console_documents(trusted)
    schema = build_schema(
        protection_extensions(
            settings.mode,
            ProtectionLimits(),
            trusted=trusted,
            trusted_required=lambda ctx: (
                production
                and trusted is not None
                and ctx.principal.role in ("agency", "foundation")
            ),
            safe_errors=(SecurityError,),
        )
    )
    sessions = Sessions(settings, runtime.authenticator)
    # the DCI Social Registry API (hub.dci), beside GraphQL
    dci = DciService.create(
        settings,
        security,
        runtime.authenticator.jwt,
        runtime.limiter,
        runtime.graphql_context,
        schema,
    )
    dci_endpoints = dci_routes(dci)
    if trusted is not None:
        dci.trust_documents(trusted)
    graphql = HubGraphQL(
        runtime,
        schema=schema,
        graphql_ide=None if production else "graphiql",
        allow_queries_via_get=False,
    )

    async def health(_: Request) -> JSONResponse:
        ok = runtime.services is not None
        generations = runtime.linkage.generations if runtime.linkage is not None else None
        return JSONResponse(
            {
                "status": "ok" if ok else "starting",
                "graph": ok,
                # the published staging generation served (hub.published)
                "staging": generations.name if generations is not None else None,
            },
            status_code=200 if ok else 503,
        )

    async def graphql_ws(websocket: WebSocket) -> None:
        await graphql(websocket.scope, websocket.receive, websocket.send)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        driver = None
        linkage = await asyncio.to_thread(LinkageServices.open, settings, journal, store)
        runtime.linkage = linkage
        if runtime.services is None:
            conn = graph_target(settings)
            driver = await open_async_driver(conn)
            runtime.services = Services(
                repository=GraphRepository(driver, conn.database, conn.uri),
                pubsub=PubSub(),
                audit=audit,
                purposes=purposes,
                intake=linkage.intake,
                review=linkage.review,
                name_normaliser=NameTokens(),
                grants=grants,
                submissions=watch,
                journal=journal,
                analytics=analytics,
                rules=eligibility_rules(),
                cycles=cycles,
                worker_areas=areas,
                notifier=notifier,
                nik_key=desk_key,
                status_checks=failures,
            )
        # everything alive now lives as long as the app: keep it out of the
        # collector's full passes, which otherwise stall every request (~200 ms)
        gc.freeze()
        anchoring = asyncio.create_task(export_anchors(audit.log, settings.audit_anchor_interval_s))
        watching = (
            asyncio.create_task(linkage.generations.watch())
            if linkage.generations is not None
            else None
        )
        # this process's one publisher of subscriptions (see schema.tailer)
        tailer = JournalTailer(runtime.services.journal or journal, runtime.services.pubsub)
        await tailer.poll()  # from the head: what is appended from now on
        tailing = asyncio.create_task(tailer.run())
        # residents' messages left unsent by the last run go now (hub.notify)
        await notifier.start()
        await dci.start()  # DCI callbacks left undelivered by the last run go now
        try:
            yield
        finally:
            await dci.stop()
            await notifier.stop()  # bounded: what is not sent waits for the next start
            for task in (anchoring, watching, tailing):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            runtime.linkage = None
            linkage.close()
            journal.close()
            cycles.close()
            if driver is not None:
                await driver.close()
            store.close()  # the state's files or pool, last: the stores above are on it

    return Starlette(
        routes=[
            Route(
                "/graphql",
                GraphQLResponseMedia(Authenticate(graphql, runtime)),
                methods=["GET", "POST"],
            ),
            WebSocketRoute("/graphql", graphql_ws),
            Route("/health", health),
            *dashboard_routes(
                settings,
                sessions,
                runtime.limiter,
                journal,
                staging=lambda: (
                    runtime.linkage.generations if runtime.linkage is not None else None
                ),
            ),
            *console_routes(
                settings,
                sessions,
                runtime.limiter,
                runtime.graphql_context,
                schema,
                lambda: runtime.services,
                failures,
            ),
            *dci_endpoints,
        ],
        lifespan=lifespan,
        middleware=[Middleware(BodyLimit, max_bytes=max_body_bytes(settings))],
    )


def max_body_bytes(settings: Settings) -> int:
    """The largest request body (and websocket message) the server takes:
    `max_body_bytes` in hub.toml, 256 KiB by default."""
    return int(settings.extra.get("max_body_bytes", MAX_BODY_BYTES))
