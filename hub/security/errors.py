"""Errors raised by the protection layer.

What a GraphQL caller may not do (a role that does not allow it, a read without a
purpose) is refused in schema/ (`schema.errors.Forbidden`, `PurposeRequired`).

hub.errors.HubError
└── SecurityError               anything refused for protection reasons
    ├── UnknownRoleError        a role name that is not one of the six roles
    ├── InvalidOrganizationError an organization name that cannot be used
    ├── KeyNotFoundError        `hub keys revoke/rotate` named a key that does not exist
    ├── KeyRevokedError         the key exists but is already revoked
    ├── Unauthenticated         no credentials, or credentials that do not check out (HTTP 401)
    ├── RateLimited             too many requests for this key (HTTP 429)
    └── AuditChainBroken        `hub audit verify` found a row that does not chain
"""

from __future__ import annotations

from hub.errors import HubError


class SecurityError(HubError):
    status_code = 403


class UnknownRoleError(SecurityError):
    status_code = 400


class InvalidOrganizationError(SecurityError):
    status_code = 400


class KeyNotFoundError(SecurityError):
    status_code = 404


class KeyRevokedError(SecurityError):
    status_code = 409


class Unauthenticated(SecurityError):
    """`reason` is for the server log; the message is what the caller sees; `code`
    names the refusal for a sign-in page to word (`missing`, `invalid`, `expired`,
    `wrong_issuer`, `no_issuer`)."""

    status_code = 401

    def __init__(self, message: str, reason: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason or message
        self.code = code


class RateLimited(SecurityError):
    status_code = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuditChainBroken(SecurityError):
    status_code = 500

    def __init__(self, message: str, first_bad_seq: int) -> None:
        super().__init__(message)
        self.first_bad_seq = first_bad_seq


__all__ = [
    "AuditChainBroken",
    "InvalidOrganizationError",
    "KeyNotFoundError",
    "KeyRevokedError",
    "RateLimited",
    "SecurityError",
    "Unauthenticated",
    "UnknownRoleError",
]
