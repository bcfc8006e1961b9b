"""Errors the API returns, each with an `extensions.code` clients can branch on.

    GraphQLError (graphql-core)
    ├── InputError        BAD_USER_INPUT: names the field and the reason
    ├── Forbidden         FORBIDDEN: the caller's role or relationship does not allow it
    ├── PurposeRequired   PURPOSE_REQUIRED: personal data read without a stated purpose
    ├── PurposeUnknown    PURPOSE_UNKNOWN: a purpose that is not in the purpose registry
    ├── AuditUnavailable  AUDIT_UNAVAILABLE: the audit log refused the events; nothing shown
    ├── NotFound          NOT_FOUND: no such id visible to the caller
    ├── RateLimited       RATE_LIMITED: over a budget (e.g. submissions); says when to retry
    └── ServiceError      SERVICE_UNAVAILABLE: the graph store (or another service) is down

`ServiceErrors` is a schema extension: it turns any `ConnectionError` raised
by a service (graph's GraphUnavailable is one) into a ServiceError, so callers
never see a driver stack trace.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension


class InputError(GraphQLError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            f"{field}: {reason}",
            extensions={"code": "BAD_USER_INPUT", "field": field, "reason": reason},
        )


class Forbidden(GraphQLError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, extensions={"code": "FORBIDDEN"})


class PurposeRequired(GraphQLError):
    def __init__(self, field: str) -> None:
        super().__init__(
            f"{field} reads personal data, which needs a stated purpose (UU PDP): send the "
            "header `X-Purpose: <why>` (e.g. `X-Purpose: case review`), or the argument "
            f'`purpose: "<why>"` on {field}.',
            extensions={
                "code": "PURPOSE_REQUIRED",
                "field": field,
                "header": "X-Purpose",
                "argument": "purpose",
            },
        )


class PurposeUnknown(GraphQLError):
    def __init__(self, field: str, stated: str, codes: Sequence[str]) -> None:
        super().__init__(
            f"{field}: the purpose {stated[:80]!r} is not registered (UU PDP): start"
            " X-Purpose with one of "
            + ", ".join(codes)
            + ", optionally followed by ': <note>', e.g. `X-Purpose: case_management: home visit`.",
            extensions={"code": "PURPOSE_UNKNOWN", "field": field, "purposes": list(codes)},
        )


class AuditUnavailable(GraphQLError):
    def __init__(self) -> None:
        super().__init__(
            "The audit log could not record this request, so its personal data "
            "is withheld; try again, or tell the hub operator.",
            extensions={"code": "AUDIT_UNAVAILABLE"},
        )


class NotFound(GraphQLError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(
            f"no {what} {ident!r} that you may see", extensions={"code": "NOT_FOUND", "id": ident}
        )


class RateLimited(GraphQLError):
    def __init__(self, what: str, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(
            f"too many {what} from your organization: retry in {seconds} s, or "
            "ask Dinsos for a higher limit.",
            extensions={"code": "RATE_LIMITED", "retryAfter": seconds},
        )


class ServiceError(GraphQLError):
    def __init__(self, message: str, **kw: Any) -> None:
        super().__init__(message, extensions={"code": "SERVICE_UNAVAILABLE"}, **kw)


UNAVAILABLE = (
    "The welfare graph is unavailable right now; nothing was read or changed. "
    "Try again in a minute, or tell the hub operator."
)


class ServiceErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [_service_error(e) for e in errors]


def _service_error(error: GraphQLError) -> GraphQLError:
    cause = error.original_error
    if isinstance(cause, ConnectionError) and not isinstance(error, ServiceError):
        return ServiceError(UNAVAILABLE, nodes=error.nodes, path=error.path)
    return error


__all__ = [
    "AuditUnavailable",
    "Forbidden",
    "InputError",
    "NotFound",
    "PurposeRequired",
    "RateLimited",
    "ServiceError",
    "ServiceErrors",
]
