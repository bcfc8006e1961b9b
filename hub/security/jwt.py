"""Staff JWT bearer tokens, verified against one issuer and a JWKS file.

The identity provider signs tokens with an asymmetric key (RS*, PS*, ES*,
EdDSA) whose public half sits in the JWKS file named by `HUB_JWT_JWKS`. The file
is read again when it changes, so keys can be rotated without a restart. The
organization and role come from the `org` and `role` claims.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt as pyjwt

from hub.security.errors import UnknownRoleError
from hub.security.principal import Principal, parse_role
from hub.settings import Settings

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True)
class JwtOutcome:
    principal: Principal | None
    reason: str | None = None
    """Why the token was refused (for the server log), when it was."""
    code: str = "invalid"
    """The refusal as a code a sign-in page can word for people: `expired`,
    `wrong_issuer` or `invalid`."""


class JwtVerifier:
    def __init__(
        self,
        issuer: str,
        jwks_file: Path,
        audience: str | None = None,
        org_claim: str = "org",
        role_claim: str = "role",
        leeway_seconds: float = 30.0,
    ) -> None:
        self.issuer = issuer
        self.jwks_file = jwks_file
        self.audience = audience
        self.org_claim = org_claim
        self.role_claim = role_claim
        self.leeway_seconds = leeway_seconds
        self._lock = threading.Lock()
        self._keys: list[pyjwt.PyJWK] = []
        self._loaded_stamp: tuple[int, int] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtVerifier | None:
        """None when staff JWTs are not configured (no issuer or no JWKS file).
        `jwt_audience`, `jwt_org_claim` and `jwt_role_claim` may be set in hub.toml."""
        if settings.jwt_issuer is None or settings.jwt_jwks_file is None:
            return None
        extra = settings.extra
        return cls(
            settings.jwt_issuer,
            settings.jwt_jwks_file,
            audience=extra.get("jwt_audience"),
            org_claim=str(extra.get("jwt_org_claim", "org")),
            role_claim=str(extra.get("jwt_role_claim", "role")),
        )

    def verify(self, token: str) -> JwtOutcome:
        try:
            key = self._key_for(token)
        except (pyjwt.PyJWTError, OSError, ValueError) as exc:
            return JwtOutcome(None, f"no usable signing key: {exc}")
        try:
            claims = pyjwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={
                    "require": ["exp", "iss", "sub"],
                    "verify_aud": self.audience is not None,
                },
            )
        except pyjwt.ExpiredSignatureError:
            return JwtOutcome(None, "token expired", "expired")
        except pyjwt.InvalidIssuerError:
            return JwtOutcome(None, f"wrong issuer (expected {self.issuer})", "wrong_issuer")
        except pyjwt.InvalidSignatureError:
            return JwtOutcome(None, "bad signature")
        except pyjwt.PyJWTError as exc:
            return JwtOutcome(None, f"invalid token: {exc}")
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> JwtOutcome:
        org = claims.get(self.org_claim)
        role = claims.get(self.role_claim)
        if not isinstance(org, str) or not org:
            return JwtOutcome(None, f"token has no {self.org_claim!r} claim")
        if not isinstance(role, str):
            return JwtOutcome(None, f"token has no {self.role_claim!r} claim")
        try:
            checked = parse_role(role)
        except UnknownRoleError as exc:
            return JwtOutcome(None, str(exc))
        return JwtOutcome(
            Principal(str(claims["sub"]), org, checked, "jwt", expires_at=float(claims["exp"]))
        )

    def _key_for(self, token: str) -> pyjwt.PyJWK:
        keys = self._current_keys()
        kid = pyjwt.get_unverified_header(token).get("kid")
        if kid is None:
            if len(keys) == 1:
                return keys[0]
            raise ValueError("the token names no key (kid) and the JWKS holds several")
        for key in keys:
            if key.key_id == kid:
                return key
        raise ValueError(f"the JWKS file has no key {kid!r}")

    def _current_keys(self) -> list[pyjwt.PyJWK]:
        stat = self.jwks_file.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._loaded_stamp:
                self._keys = load_jwks(self.jwks_file)
                self._loaded_stamp = stamp
            return self._keys


def load_jwks(path: Path) -> list[pyjwt.PyJWK]:
    """The asymmetric keys in a JWKS file; symmetric (`oct`) keys are refused,
    since anyone holding one could mint tokens."""
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = [key for key in pyjwt.PyJWKSet.from_dict(data).keys if key.key_type != "oct"]
    keys = [key for key in keys if key.algorithm_name in ASYMMETRIC_ALGORITHMS]
    if not keys:
        raise ValueError(f"{path} holds no asymmetric signing keys")
    return keys


__all__ = ["ASYMMETRIC_ALGORITHMS", "JwtOutcome", "JwtVerifier", "load_jwks"]
