"""What every DCI endpoint does before and after its own work.

`DciService.receive` takes one POST through the checks in this order, each
refusal with the specification's codes (`common/schema/Error.yaml`):

1. a JSON body, without NaN or Infinity and at most MAX_DEPTH deep (else 400,
   `err.request.bad`);
2. a bearer JWT the hub's issuer signed (`hub.security.jwt`; else 401,
   `err.request.unauthorized`), within the rate limit (429,
   `err.request.too_many_requests`);
3. the request valid against the path's schema in the specification (else
   400, `err.request.bad`, or `rjct.action.invalid` for a wrong action);
   an encrypted message is refused (`err.encryption.invalid`: not supported);
4. the ed25519 signature of a registered, unrevoked sender over header and
   message, not expired (401: `err.signature.missing`, `err.signature.invalid`,
   `err.sender_id.invalid`; hub.dci.envelope);
5. a `receiver_id`, when given, names this hub (`dci_sender_id`; else 401,
   `err.receiver_id.invalid`: a message signed for another registry is not
   replayed here), and the JWT's organization is the sender's (else 403,
   `err.request.forbidden`);
6. a message_id the sender has not used before (else 409,
   `rjct.message_id.duplicate`).

Refusals with 401, 403 (steps 2, 4 and 5) and 500 are `HttpErrorResponse`
(`{errors: [{code, message}]}`), as every path lists for them. The others
(400, 409, 429, 503) are the path's
`default` answer: for an asynchronous path the `Response` ack with
`ack_status: ERR` and `error {code, message}`; for a synchronous path a signed
envelope whose callback header says `status: rjct` with the reason.

Every refusal is logged at WARNING on the `hub.dci` logger: the path, the
sender_id the header claims (unverified when the signature was refused), the
code and the client's address; never the body, the refusal's message or
anything personal (`log_refusal`).

The call then runs as the sender's principal: its registered organization and
role (hub.dci.senders), the JWT's subject, so visibility, masking, purpose and
audit are GraphQL's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from console.runner import Runner
from hub.dci.envelope import (
    SIGNING_KEY_FILE,
    SIGNING_KEY_RECIPE,
    DciRefusal,
    HubSigner,
    SignatureParts,
    load_or_create_signing_key,
    raw_private_bytes,
    signing_key_from_pem,
    verify_envelope,
)
from hub.dci.schemas import DEFAULT_SPEC_DIR, DciSchemas, schemas_at
from hub.dci.senders import Sender, SenderRegistry
from hub.errors import ConfigError
from hub.security import JwtVerifier, Principal, RateLimiter, SecurityDB, SecurityError
from hub.security.chain import read_shared_key_file
from hub.settings import Settings

_log = logging.getLogger("hub.dci")

#: the answer of a synchronous path that could not run (sync) or an ack (async)
ContextFactory = Callable[[Principal | None, str | None], Any]


def utc_now() -> str:
    """A `date-time` as the specification writes them (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


def signing_key_path(settings: Settings) -> Path:
    return settings.dci_signing_key_file or settings.keys_dir / SIGNING_KEY_FILE


def hub_signer(settings: Settings, security: SecurityDB | None = None) -> HubSigner:
    """The hub's DCI signing identity: `dci_sender_id` and the ed25519 key in
    `$HUB_HOME/keys/dci-signing-key` or `dci_signing_key_file` (made, mode 0600,
    on first use). With `HUB_DATABASE_URL` every server must sign with the same
    key, as partners know one: it is read from `dci_signing_key_file`, never
    made, and, given the shared security database, checked against the
    fingerprint the first server recorded (`SecurityDB.claim_key`)."""
    path = signing_key_path(settings)
    try:
        if settings.database_url:
            shared = read_shared_key_file(
                settings.dci_signing_key_file, "HUB_DCI_SIGNING_KEY_FILE", SIGNING_KEY_RECIPE
            )
            key = signing_key_from_pem(shared, path)
        else:
            key = load_or_create_signing_key(path)
    except ValueError as exc:
        raise ConfigError(f"{exc}; restore it from backup.") from None
    if security is not None and security.shared:
        security.claim_key("dci-signing", raw_private_bytes(key), path)
    return HubSigner(settings.dci_sender_id, key)


def spec_dir(settings: Settings) -> Path:
    return settings.dci_spec_dir or DEFAULT_SPEC_DIR


#: the deepest a request's JSON may nest (a search request is about ten deep)
MAX_DEPTH = 64
#: the most items (searches, subscriptions) one message may carry: the schema sets
#: no bound, and each item is work (a search, a subscription the pump serves)
MAX_ITEMS = 20


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON has no {name}")


def _finite(text: str) -> float:
    """A JSON number as a float; `1e400` is read by Python as infinity, which the
    signature's canonical JSON cannot write (a server error in the digest)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"JSON has no Infinity ({text[:20]} is beyond a float)")
    return value


def read_json(raw: bytes) -> Any:
    """A request body as JSON; ValueError for what JSON does not have (NaN,
    Infinity, a number beyond a float such as `1e400`, a lone surrogate
    `\\ud800`: Python reads them, the signature's
    canonical UTF-8 JSON cannot) and for nesting deeper than MAX_DEPTH (the
    parser's, the schema validator's and the digest's recursion would fail on
    it as a server error)."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise ValueError(f"the body nests deeper than {MAX_DEPTH}") from None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"the body nests deeper than {MAX_DEPTH}")
        if isinstance(item, dict):
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
    return value


@dataclass(frozen=True)
class DciCall:
    """A received request that passed every check."""

    path: str
    envelope: Mapping[str, Any]
    header: Mapping[str, Any]
    message: Mapping[str, Any]
    sender: Sender
    principal: Principal
    signature: SignatureParts

    @property
    def sender_id(self) -> str:
        return self.sender.sender_id


class Refused(Exception):
    """A request answered with `response` instead of being run, for `code`
    (the specification's error or reason code)."""

    def __init__(self, response: Response, code: str = "") -> None:
        super().__init__(code or "refused")
        self.response = response
        self.code = code


#: the longest claimed sender id a refusal's log line repeats
_LOGGED_ID = 64


def log_refusal(request: Request, path: str, header: Mapping[str, Any] | None, code: str) -> None:
    """One WARNING line for a refused DCI request: path, the claimed sender_id
    (as sent, cut and quoted: it is not verified), code, client address."""
    claimed = (header or {}).get("sender_id")
    sender = repr(claimed[:_LOGGED_ID]) if isinstance(claimed, str) else "-"
    client = request.client.host if request.client else "unknown"
    _log.warning(
        "DCI request refused: path=%s sender_id=%s code=%s client=%s", path, sender, code, client
    )


@dataclass
class DciService:
    settings: Settings
    security: SecurityDB
    senders: SenderRegistry
    signer: HubSigner
    jwt: JwtVerifier | None
    limiter: RateLimiter | None
    context: ContextFactory
    """(principal, purpose) -> a GraphQL context, as /graphql makes it"""
    executor: Any
    """the hub's GraphQL schema (console.runner.Executor)"""
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    #: what runs beside the server from start-up (a feature's delivery worker):
    #: each is started by `start()` and cancelled by `stop()`
    workers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    #: the GraphQL operations the features run as the sender (name -> text);
    #: trusted like the console's, so a partner held to trusted documents can search
    operations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        settings: Settings,
        security: SecurityDB,
        jwt: JwtVerifier | None,
        limiter: RateLimiter | None,
        context: ContextFactory,
        executor: Any,
    ) -> DciService:
        return cls(
            settings,
            security,
            SenderRegistry(security, production=settings.mode == "production"),
            hub_signer(settings, security),
            jwt,
            limiter,
            context,
            executor,
        )

    @property
    def schemas(self) -> DciSchemas | None:
        """The specification's schemas (loaded on first use, once per process);
        None when the copy is missing, and every call is refused (503)."""
        try:
            return schemas_at(spec_dir(self.settings))
        except FileNotFoundError as exc:
            _log.error("DCI API disabled: %s (set HUB_DCI_SPEC_DIR)", exc)
            return None

    # --- answers ------------------------------------------------------------
    def callback_header(
        self,
        action: str,
        status: str,
        request_header: Mapping[str, Any] | None = None,
        *,
        reason_code: str | None = None,
        reason: str | None = None,
        total_count: int | None = None,
        completed_count: int | None = None,
    ) -> dict[str, Any]:
        """A `MsgCallbackHeader` from the hub to the request's sender."""
        header: dict[str, Any] = {
            "version": "1.0.0",
            "message_id": new_id(),
            "message_ts": utc_now(),
            "action": action,
            "status": status,
            "sender_id": self.signer.sender_id,
        }
        receiver = (request_header or {}).get("sender_id")
        if isinstance(receiver, str):
            header["receiver_id"] = receiver
        if reason_code is not None:
            header["status_reason_code"] = reason_code
        if reason is not None:
            header["status_reason_message"] = reason[:999]
        if total_count is not None:
            header["total_count"] = total_count
        if completed_count is not None:
            header["completed_count"] = completed_count
        return header

    def signed(self, header: Mapping[str, Any], message: Any = None) -> dict[str, Any]:
        envelope: dict[str, Any] = {"header": dict(header)}
        if message is not None:
            envelope["message"] = message
        return self.signer.sign(envelope)

    @staticmethod
    def ack(
        correlation_id: str, status: str = "ACK", error: DciRefusal | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "ack_status": status,
            "timestamp": utc_now(),
            "correlation_id": correlation_id,
        }
        if error is not None:
            message["error"] = {"code": error.code, "message": error.message[:999]}
        return {"message": message}

    @staticmethod
    def http_error(refusal: DciRefusal) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else {}
        return JSONResponse(
            {"errors": [{"code": refusal.code, "message": refusal.message}]},
            status_code=refusal.status,
            headers=headers,
        )

    def reject(
        self,
        sync_action: str | None,
        header: Mapping[str, Any] | None,
        refusal: DciRefusal,
        reason_code: str | None = None,
    ) -> Response:
        """The path's `default` answer to a request that cannot run:
        `sync_action` names the callback action of a synchronous path (its
        answer is a signed header with `status: rjct`); None for an async path
        (an ack with `ERR`)."""
        if sync_action is None:
            return JSONResponse(self.ack(new_id(), "ERR", refusal), status_code=refusal.status)
        head = self.callback_header(
            sync_action, "rjct", header, reason_code=reason_code, reason=refusal.message
        )
        return JSONResponse(self.signed(head), status_code=refusal.status)

    def refused(
        self,
        refusal: DciRefusal,
        sync_action: str | None = None,
        header: Mapping[str, Any] | None = None,
        reason_code: str | None = None,
    ) -> Refused:
        """Refused with the answer the refusal takes: `HttpErrorResponse` for
        401, 403 and 500, else the path's `default` answer (`reject`)."""
        if refusal.status in (401, 403, 500):
            response: Response = self.http_error(refusal)
        else:
            response = self.reject(sync_action, header, refusal, reason_code)
        return Refused(response, reason_code or refusal.code)

    # --- receiving ----------------------------------------------------------
    async def receive(self, request: Request, path: str, sync_action: str | None = None) -> DciCall:
        """The checked request, or Refused with the answer (see the module doc);
        every refusal logged (`log_refusal`)."""
        seen: dict[str, Any] = {}
        try:
            return await self._receive(request, path, sync_action, seen)
        except Refused as refused:
            log_refusal(request, path, seen.get("header"), refused.code)
            raise

    async def _receive(
        self, request: Request, path: str, sync_action: str | None, seen: dict[str, Any]
    ) -> DciCall:
        try:
            body = read_json(await request.body())
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise self.refused(
                DciRefusal("err.request.bad", f"the body is not JSON the hub takes: {exc}", 400),
                sync_action,
            ) from None
        header = body.get("header") if isinstance(body, dict) else None
        header = seen["header"] = header if isinstance(header, dict) else None
        subject = self._authenticate(request, sync_action, header)
        schemas = self.schemas
        if schemas is None:
            raise self.refused(
                DciRefusal(
                    "err.service.unavailable",
                    f"the DCI specification is not at {spec_dir(self.settings)}: "
                    "set HUB_DCI_SPEC_DIR",
                    503,
                ),
                sync_action,
                header,
            )
        problems = await asyncio.to_thread(schemas.validate_request, path, body)
        if problems:
            wrong_action = any(p.startswith("header/action") for p in problems)
            raise self.refused(
                DciRefusal("err.request.bad", "; ".join(problems[:5]), 400),
                sync_action,
                header,
                "rjct.action.invalid" if wrong_action else None,
            )
        assert isinstance(body, dict) and header is not None  # the schema requires them
        message = body.get("message")
        if (
            header.get("is_msg_encrypted")
            or not isinstance(message, dict)
            or "ciphertext" in message
        ):
            raise self.refused(
                DciRefusal(
                    "err.encryption.invalid",
                    "encrypted messages are not supported: send the message in clear over TLS",
                    400,
                ),
                sync_action,
                header,
            )
        try:
            parts = await asyncio.to_thread(verify_envelope, body, self.senders.verifying_key)
        except DciRefusal as refusal:
            raise self.refused(refusal, sync_action, header) from None
        receiver = header.get("receiver_id")
        if receiver is not None and receiver != self.signer.sender_id:
            # signed for another registry: not ours to run, nor to replay here
            raise self.refused(
                DciRefusal(
                    "err.receiver_id.invalid",
                    f"the message is for {receiver!r}; this registry is {self.signer.sender_id!r}",
                )
            )
        sender = await asyncio.to_thread(self.senders.get, parts.sender_id, parts.key_id)
        assert sender is not None  # verifying_key found it
        if subject.organization != sender.organization:
            raise self.refused(
                DciRefusal(
                    "err.request.forbidden",
                    f"the bearer token is for {subject.organization}, the sender "
                    f"{sender.sender_id} acts for another organization",
                    403,
                )
            )
        message_id = str(header["message_id"])
        if not await asyncio.to_thread(self.senders.first_seen, sender.sender_id, message_id):
            raise self.refused(
                DciRefusal(
                    "err.request.bad",
                    f"rjct.message_id.duplicate: message_id {message_id!r} was received before",
                    409,
                ),
                sync_action,
                header,
                "rjct.message_id.duplicate",
            )
        principal = Principal(
            subject.subject,
            sender.organization,
            sender.role,
            "jwt",
            expires_at=subject.expires_at,
        )
        return DciCall(path, body, header, message, sender, principal, parts)

    def _authenticate(
        self, request: Request, sync_action: str | None, header: Mapping[str, Any] | None
    ) -> Principal:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if self.jwt is None:
            raise self.refused(
                DciRefusal(
                    "err.request.unauthorized",
                    "the DCI API needs staff JWTs configured (HUB_JWT_ISSUER, HUB_JWT_JWKS)",
                )
            )
        if scheme.lower() != "bearer" or not token.strip():
            raise self.refused(
                DciRefusal("err.request.unauthorized", "send Authorization: Bearer <jwt>")
            )
        outcome = self.jwt.verify(token.strip())
        if outcome.principal is None:
            raise self.refused(
                DciRefusal("err.request.unauthorized", f"bearer token refused: {outcome.reason}")
            )
        self.charge(outcome.principal, 1, sync_action, header)
        return outcome.principal

    def charge(
        self,
        principal: Principal,
        tokens: int,
        sync_action: str | None,
        header: Mapping[str, Any] | None,
    ) -> None:
        """Take `tokens` from the caller's rate-limit bucket (the one GraphQL
        uses); Refused with 429 when it holds too few. One token when the token
        is checked, then one more for each search item past the first
        (`charge_items`): a message of 20 searches costs 20 requests' worth. At
        most the bucket's size at once, so a full bucket takes any allowed message."""
        if self.limiter is None or tokens <= 0:
            return
        try:
            self.limiter.check(principal.rate_limit_key, min(tokens, self.limiter.limit.burst))
        except SecurityError as exc:
            raise self.refused(
                DciRefusal("err.request.too_many_requests", str(exc), 429), sync_action, header
            ) from None

    def charge_items(self, call: DciCall, items: int, sync_action: str | None) -> None:
        """The tokens of a message's items past the first (the first was taken
        with the bearer token)."""
        self.charge(call.principal, items - 1, sync_action, call.header)

    def check_items(
        self, request: Request, call: DciCall, field: str, sync_action: str | None
    ) -> None:
        """At most MAX_ITEMS items in the message's list `field` (`search_request`,
        `subscribe_request`), each charged to the rate limit (a message of 20
        searches costs 20 requests' worth); Refused, and logged as `receive`
        logs its refusals (`log_refusal`), which it cannot: this comes after."""
        items = call.message.get(field) or []
        try:
            if len(items) > MAX_ITEMS:
                raise self.refused(
                    DciRefusal(
                        "err.request.bad",
                        f"rjct.total_count.limit_exceeded: at most {MAX_ITEMS} items "
                        f"({field}) a message",
                        400,
                    ),
                    sync_action,
                    call.header,
                    "rjct.total_count.limit_exceeded",
                )
            self.charge_items(call, len(items), sync_action)  # one token an item
        except Refused as refused:
            log_refusal(request, call.path, call.header, refused.code)
            raise

    def trust_documents(self, store: Any) -> None:
        """Trust the features' operations (schema.extensions.TrustedDocuments)."""
        for text in self.operations.values():
            store.add(text)

    def runner(self) -> Runner:
        """Runs the features' operations through the hub's schema as a principal
        (console.runner: the context /graphql builds, by trusted-document id)."""
        return Runner(self.executor, self.context, self.operations)

    # --- background work ----------------------------------------------------
    async def start(self) -> None:
        """Start the features' workers (hub.app's lifespan)."""
        for worker in self.workers:
            self.spawn(worker())

    def spawn(self, work: Any) -> None:
        """Run a coroutine beside the request, kept until it ends."""
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def stop(self) -> None:
        for task in list(self.background):
            task.cancel()
        for task in list(self.background):
            with contextlib.suppress(asyncio.CancelledError, Exception):  # what is left waits
                await task


__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "DciCall",
    "DciService",
    "Refused",
    "hub_signer",
    "log_refusal",
    "new_id",
    "read_json",
    "signing_key_path",
    "spec_dir",
    "utc_now",
]
