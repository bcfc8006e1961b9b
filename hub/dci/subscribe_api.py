"""`/registry/subscribe` and `/registry/unsubscribe` (the core API's, registry
_core_api_v1.0.0.yaml), on hub.dci.service's checks (JWT, schema, signature,
sender, message id), and the notify pump as a DCI worker.

Subscribe answers the `Response` ack at once, then POSTs a signed
`/registry/on-subscribe` (`SubscribeResponse`) to the sender's registered callback
base (kept as a DCI transaction and delivered, with retries, by
hub.dci.transactions' worker, as on-search is):
one `subscribe_response` item per `subscribe_request` item, `succ` with its
subscription (its `code` is what `unsubscribe` names), or `rjct` with a
`SubscribeStatusReasonCode` (`rjct.notify_types.invalid`: an event type we do
not send; `rjct.notify_details.invalid`: a filter we do not understand, or no
registered purpose; `rjct.event.already_subscribed`). Unsubscribe answers the
ack, then `/registry/on-unsubscribe` (`UnSubscribeResponse`).

A subscription needs a purpose, as every read of personal data does:
`subscribe_criteria.authorize.purpose.code` (and `.text`, kept as its note),
resolved by the purpose registry; a role that does not read personal data
(`analyst`) may not subscribe (403).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from graph import GraphUnavailable
from hub.dci.criteria import CriteriaError
from hub.dci.envelope import DciRefusal
from hub.dci.search import SearchUnavailable, check_ppks
from hub.dci.service import DciCall, DciService, Refused, new_id, utc_now
from hub.dci.subscribe import (
    AUDIT_SUBSCRIBE,
    EVENT_TYPES,
    REGISTRY_TYPE,
    NotifyPump,
    SubscribeRefusal,
    Subscription,
    Subscriptions,
    area_filter,
)
from hub.dci.transactions import Transactions
from schema.context import Context
from schema.feed import journal_of
from schema.services import AuditEntry

SUBSCRIBE: Final = "/registry/subscribe"
UNSUBSCRIBE: Final = "/registry/unsubscribe"
ON_SUBSCRIBE: Final = "/registry/on-subscribe"
ON_UNSUBSCRIBE: Final = "/registry/on-unsubscribe"
CALLBACKS: Final = {"on-subscribe": ON_SUBSCRIBE, "on-unsubscribe": ON_UNSUBSCRIBE}


def stated_purpose(criteria: Mapping[str, Any]) -> str | None:
    """`authorize.purpose.code` (with `: text` as its note), or None."""
    authorize = criteria.get("authorize")
    purpose = authorize.get("purpose") if isinstance(authorize, Mapping) else None
    if not isinstance(purpose, Mapping):
        return None
    code, text = purpose.get("code"), purpose.get("text")
    if not isinstance(code, str) or not code.strip():
        return None
    note = f": {text.strip()}" if isinstance(text, str) and text.strip() else ""
    return code.strip() + note


def recorded_purpose(context: Context, criteria: Mapping[str, Any]) -> str:
    """The purpose as the audit log records it, or SubscribeRefusal."""
    stated = stated_purpose(criteria)
    if stated is None:
        raise SubscribeRefusal(
            "rjct.notify_details.invalid",
            "PURPOSE_REQUIRED: give subscribe_criteria.authorize.purpose.code",
        )
    registry = context.services.purposes
    if registry is None:
        return stated
    recorded = registry.resolve(stated)
    if recorded is None:
        raise SubscribeRefusal(
            "rjct.notify_details.invalid",
            f"PURPOSE_UNKNOWN: {stated!r} is not a registered purpose "
            f"({', '.join(registry.codes())})",
        )
    return recorded


def subscription_info(subscription: Subscription, status: str = "subscribe") -> dict[str, Any]:
    """`SubscriptionInfo`, with the fields its schema requires although it does not
    declare them (`subscription_code`, `subscribe_criteria`: README, inconsistency
    list) beside the declared `code`."""
    predicates = [
        {
            "seq_num": n,
            "expression1": {
                "attribute_name": name,
                "operator": "in",
                "attribute_value": ",".join(codes),
            },
            "condition": "and",
        }
        for n, (name, codes) in enumerate(sorted(subscription.area.items()), start=1)
    ]
    criteria = {
        "reg_type": REGISTRY_TYPE,
        "reg_event_type": subscription.event_type,
        "filter_type": "predicate",
        "filter": predicates,
    }
    if subscription.record_type:
        criteria["notify_record_type"] = subscription.record_type
    return {
        "version": "1.0.0",
        "code": subscription.code,
        "subscription_code": subscription.code,
        "status": status,
        "timestamp": subscription.created_at.replace("+00:00", "Z"),
        **criteria,
        "subscribe_criteria": criteria,
    }


class SubscribeApi:
    """The two endpoints and their callbacks, on one DciService."""

    def __init__(self, dci: DciService) -> None:
        self.dci = dci
        self.subscriptions = Subscriptions(dci.security)
        self.transactions = Transactions(dci.security)
        self.pump = NotifyPump(self.subscriptions, dci)

    def routes(self) -> list[BaseRoute]:
        self.dci.workers.append(self.pump.run)
        return [
            Route(SUBSCRIBE, self.subscribe, methods=["POST"]),
            Route(UNSUBSCRIBE, self.unsubscribe, methods=["POST"]),
        ]

    async def subscribe(self, request: Request) -> Response:
        try:
            call = await self.dci.receive(request, SUBSCRIBE)
            self.dci.check_items(request, call, "subscribe_request", None)
            context = self._context(call)
        except Refused as refused:
            return refused.response
        correlation = new_id()
        head = await asyncio.to_thread(journal_of(context).head)
        answers = [
            await self._subscribe_one(call, context, item, head)
            for item in call.message.get("subscribe_request", [])
        ]
        made = [s for _, s in answers if s is not None]
        await self._audit(call, context, [s.purpose for s in made], AUDIT_SUBSCRIBE)
        message = {
            "transaction_id": call.message["transaction_id"],
            "correlation_id": correlation,
            "subscribe_response": [a for a, _ in answers],
        }
        await self._callback(
            call,
            correlation,
            "on-subscribe",
            [str(a["reference_id"]) for a, _ in answers],
            message,
            len(answers),
        )
        if made:
            self.pump.wake()
        return JSONResponse(self.dci.ack(correlation))

    async def _subscribe_one(
        self, call: DciCall, context: Context, item: Mapping[str, Any], head: int
    ) -> tuple[dict[str, Any], Subscription | None]:
        answer: dict[str, Any] = {"reference_id": item["reference_id"], "timestamp": utc_now()}
        criteria = item["subscribe_criteria"]
        try:
            event = criteria["reg_event_type"]
            if event not in EVENT_TYPES:
                raise SubscribeRefusal(
                    "rjct.notify_types.invalid",
                    f"{event!r} is not an event this registry sends ({', '.join(EVENT_TYPES)})",
                )
            area = area_filter(criteria.get("filter_type"), criteria.get("filter"))
            for code in area.get("ppks", ()):  # one the sender may see, as a search checks
                await self._check_ppks(call, code)
            purpose = recorded_purpose(context, criteria)
            made = await asyncio.to_thread(
                self.subscriptions.add,
                call.sender_id,
                call.principal.subject,
                str(call.message["transaction_id"]),
                str(item["reference_id"]),
                str(event),
                area,
                criteria.get("notify_record_type"),
                purpose,
                head,
                organization=call.sender.organization,
                role=call.sender.role,
            )
        except SubscribeRefusal as refusal:
            return {
                **answer,
                "status": "rjct",
                "status_reason_code": refusal.code,
                "status_reason_message": refusal.message[:999],
            }, None
        return {**answer, "status": "succ", "subscriptions": [subscription_info(made)]}, made

    async def unsubscribe(self, request: Request) -> Response:
        try:
            call = await self.dci.receive(request, UNSUBSCRIBE)
            # the schema requires `sunscription_codes` and declares `subscription_codes`
            field = next(
                (f for f in ("subscription_codes", "sunscription_codes") if f in call.message),
                "subscription_codes",
            )
            self.dci.check_items(request, call, field, None)  # each code a write
            context = self._context(call)
        except Refused as refused:
            return refused.response
        correlation = new_id()
        message = call.message
        codes = message.get(field) or []
        ended: list[dict[str, str]] = []
        unknown: list[str] = []
        for code in codes:
            done = await asyncio.to_thread(self.subscriptions.end, call.sender_id, str(code))
            if done is None:
                unknown.append(str(code))
            else:
                ended.append({"code": str(code), "status": "unsubscribe"})
        if ended:
            await self._audit(call, context, [None], "write:dci.unsubscribe")
        answer: dict[str, Any] = {
            "transaction_id": message["transaction_id"],
            "correlation_id": correlation,
            "timestamp": utc_now(),
            "status": "rjct" if unknown or not codes else "succ",
            "subscription_status": ended,
        }
        if unknown or not codes:
            answer["status_reason_code"] = "rjct.subscription_code.invalid"
            answer["status_reason_message"] = (
                f"not subscriptions of {call.sender_id}: {', '.join(unknown)}"
                if unknown
                else "no subscription codes given"
            )[:999]
        await self._callback(call, correlation, "on-unsubscribe", [], answer, len(codes))
        return JSONResponse(self.dci.ack(correlation))

    async def _check_ppks(self, call: DciCall, code: str) -> None:
        """A PPKS filter the sender's role may see (hub.dci.search.check_ppks)."""
        try:
            await check_ppks(self.dci, call.principal, code)
        except CriteriaError as refused:
            raise SubscribeRefusal(
                "rjct.notify_details.invalid", f"{refused.code}: {refused.message}"
            ) from None
        except SearchUnavailable as exc:
            raise SubscribeRefusal(
                "rjct.notify_details.invalid", f"the PPKS codes could not be read now: {exc}"
            ) from None

    def _context(self, call: DciCall) -> Context:
        try:
            context: Context = self.dci.context(call.principal, None)
        except GraphUnavailable as exc:
            raise Refused(
                self.dci.http_error(DciRefusal("err.service.unavailable", str(exc), 503))
            ) from None
        if call.sender.callback_base is None:
            raise Refused(
                JSONResponse(
                    self.dci.ack(
                        new_id(),
                        "ERR",
                        DciRefusal(
                            "err.sender_uri.invalid",
                            f"sender {call.sender_id} has no registered callback base: "
                            "notifications need one (ask Dinsos to add it)",
                            400,
                        ),
                    ),
                    status_code=400,
                )
            )
        if not context.policy.can_see_personal:
            raise Refused(
                self.dci.http_error(
                    DciRefusal(
                        "err.request.forbidden",
                        f"a {call.sender.role} sender is told no household's events",
                        403,
                    )
                )
            )
        return context

    @staticmethod
    async def _audit(
        call: DciCall, context: Context, purposes: Sequence[str | None], operation: str
    ) -> None:
        sink = context.services.audit
        if sink is None or not purposes:
            return
        principal = call.principal
        await sink.record(
            [
                AuditEntry(
                    principal.subject,
                    principal.organization,
                    principal.role,
                    operation,
                    purpose=purpose,
                )
                for purpose in dict.fromkeys(purposes)
            ]
        )

    async def _callback(
        self,
        call: DciCall,
        correlation: str,
        action: str,
        references: list[str],
        message: Mapping[str, Any],
        count: int,
    ) -> None:
        """Keep the callback as a DCI transaction (hub.dci.transactions): the DCI
        delivery worker signs and POSTs it, retried and durable across restarts."""
        header = self.dci.callback_header(
            action, "succ", call.header, total_count=count, completed_count=count
        )
        await asyncio.to_thread(
            self.transactions.add,
            correlation,
            call.sender_id,
            call.principal.subject,
            str(call.message["transaction_id"]),
            action.removeprefix("on-"),
            references,
            {"header": call.header, "message": call.message},
            call.sender.callback(CALLBACKS[action]),
            status="succ",
            answer={"header": header, "message": dict(message)},
            organization=call.sender.organization,
            role=call.sender.role,
        )


def subscribe_routes(dci: DciService) -> list[BaseRoute]:
    """The subscribe and unsubscribe routes; the notify pump joins dci's workers."""
    return SubscribeApi(dci).routes()


__all__ = [
    "ON_SUBSCRIBE",
    "ON_UNSUBSCRIBE",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "SubscribeApi",
    "recorded_purpose",
    "stated_purpose",
    "subscribe_routes",
    "subscription_info",
]
