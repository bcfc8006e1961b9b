"""Who is calling: from HTTP headers, or from a websocket `connection_init`
payload. There is no anonymous access in any mode: no credentials is a 401.

Credentials are accepted as `Authorization: Bearer <api key or JWT>` or as
`X-API-Key: <api key>`. A purpose for reading personal data travels in the
`X-Purpose` header (or a `purpose` argument on the query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.security.errors import Unauthenticated
from hub.security.jwt import JwtVerifier
from hub.security.keys import KeyStore, looks_like_api_key
from hub.security.principal import Principal

PURPOSE_HEADER = "x-purpose"
WWW_AUTHENTICATE = 'Bearer realm="satupintu"'

_MISSING = (
    "Authentication required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`;"
    " ask Dinsos for a key (`hub keys create`)."
)
_INVALID = "The credentials were not accepted: the key or token is unknown, revoked or expired."


@dataclass(frozen=True)
class Authenticator:
    keys: KeyStore
    jwt: JwtVerifier | None = None

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        return self.authenticate_token(_credentials(headers))

    def authenticate_connection_init(self, payload: Mapping[str, object] | None) -> Principal:
        """From the `connection_init` payload of graphql-transport-ws:
        `{"Authorization": "Bearer ..."}`, `{"X-API-Key": "..."}`, `{"apiKey": "..."}`
        or any of those under `"headers"`."""
        if not payload:
            return self.authenticate_token(None)
        nested = payload.get("headers")
        merged: dict[str, str] = {}
        for source in (nested if isinstance(nested, Mapping) else {}, payload):
            for name, value in source.items():
                if isinstance(name, str) and isinstance(value, str):
                    merged[name.lower()] = value
        if "apikey" in merged:
            merged.setdefault("x-api-key", merged["apikey"])
        return self.authenticate_token(_credentials(merged))

    def authenticate_token(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated(_MISSING, reason="no credentials", code="missing")
        if looks_like_api_key(token):
            principal = self.keys.authenticate(token)
            if principal is None:
                raise Unauthenticated(_INVALID, reason="unknown or revoked API key")
            return principal
        if token.count(".") == 2:
            if self.jwt is None:
                raise Unauthenticated(
                    _INVALID, reason="JWT sent but no issuer is configured", code="no_issuer"
                )
            outcome = self.jwt.verify(token)
            if outcome.principal is None:
                raise Unauthenticated(_INVALID, reason=outcome.reason, code=outcome.code)
            return outcome.principal
        raise Unauthenticated(_INVALID, reason="credential is neither an API key nor a JWT")


def authenticate(
    headers: Mapping[str, str], keys: KeyStore, jwt: JwtVerifier | None = None
) -> Principal:
    return Authenticator(keys, jwt).authenticate(headers)


def purpose_from_headers(headers: Mapping[str, str]) -> str | None:
    value = _header(headers, PURPOSE_HEADER)
    return value.strip() or None if value is not None else None


def _credentials(headers: Mapping[str, str]) -> str | None:
    authorization = _header(headers, "authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "The Authorization header must read `Bearer <key or token>`.",
                reason=f"unsupported authorization scheme {scheme!r}",
            )
        return token.strip()
    api_key = _header(headers, "x-api-key")
    return api_key.strip() if api_key is not None else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """`name` in lower case; Starlette's Headers match any case, a plain dict may not."""
    value = headers.get(name)
    if value is not None:
        return value
    for key, candidate in headers.items():
        if key.lower() == name:
            return candidate
    return None


__all__ = [
    "PURPOSE_HEADER",
    "WWW_AUTHENTICATE",
    "Authenticator",
    "authenticate",
    "purpose_from_headers",
]
