from __future__ import annotations

from pathlib import Path

import pytest
from jwtissuer import ISSUER, Issuer

from hub.security.authn import Authenticator, authenticate, purpose_from_headers
from hub.security.errors import Unauthenticated
from hub.security.jwt import JwtVerifier
from hub.security.keys import KeyStore


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path / "jwks.json")


@pytest.fixture
def authn(keys: KeyStore, issuer: Issuer) -> Authenticator:
    return Authenticator(keys, JwtVerifier(ISSUER, issuer.jwks_file))


def test_api_key_as_bearer_or_x_api_key(keys: KeyStore, authn: Authenticator) -> None:
    record, plaintext = keys.create("dinkes", "agency")
    for headers in (
        {"Authorization": f"Bearer {plaintext}"},
        {"authorization": f"bearer {plaintext}"},
        {"X-API-Key": plaintext},
        {"x-api-key": plaintext},
    ):
        assert authn.authenticate(headers).key_id == record.key_id
    assert authenticate({"X-API-Key": plaintext}, keys).organization == "dinkes"


def test_staff_jwt_as_bearer(authn: Authenticator, issuer: Issuer) -> None:
    who = authn.authenticate({"Authorization": f"Bearer {issuer.token(role='dinsos_admin')}"})
    assert (who.role, who.auth_method) == ("dinsos_admin", "jwt")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer sp_0123456789abcdef_nope"},
        {"Authorization": "Bearer not-a-credential"},
        {"X-API-Key": "sp_0123456789abcdef_nope"},
    ],
)
def test_anonymous_or_invalid_is_unauthenticated(
    authn: Authenticator, headers: dict[str, str]
) -> None:
    with pytest.raises(Unauthenticated) as caught:
        authn.authenticate(headers)
    assert caught.value.status_code == 401


def test_expired_jwt_gives_a_reason_for_the_log(authn: Authenticator, issuer: Issuer) -> None:
    with pytest.raises(Unauthenticated) as caught:
        authn.authenticate({"Authorization": f"Bearer {issuer.token(exp=1)}"})
    assert caught.value.reason == "token expired"
    assert "expired" in str(caught.value)


def test_jwt_without_configured_issuer_is_refused(keys: KeyStore, issuer: Issuer) -> None:
    with pytest.raises(Unauthenticated, match="not accepted"):
        Authenticator(keys).authenticate({"Authorization": f"Bearer {issuer.token()}"})


def test_revoked_key_is_refused(keys: KeyStore, authn: Authenticator) -> None:
    record, plaintext = keys.create("dinkes", "agency")
    keys.revoke(record.key_id)
    with pytest.raises(Unauthenticated):
        authn.authenticate({"X-API-Key": plaintext})


def test_websocket_connection_init(keys: KeyStore, authn: Authenticator, issuer: Issuer) -> None:
    record, plaintext = keys.create("yayasan-a", "foundation")
    for payload in (
        {"Authorization": f"Bearer {plaintext}"},
        {"authorization": f"Bearer {plaintext}"},
        {"apiKey": plaintext},
        {"X-API-Key": plaintext},
        {"headers": {"Authorization": f"Bearer {plaintext}"}},
    ):
        assert authn.authenticate_connection_init(payload).key_id == record.key_id
    staff = authn.authenticate_connection_init({"Authorization": f"Bearer {issuer.token()}"})
    assert staff.auth_method == "jwt"
    for anonymous in (None, {}, {"apiKey": 5}, {"headers": "x"}):
        with pytest.raises(Unauthenticated):
            authn.authenticate_connection_init(anonymous)


def test_purpose_header() -> None:
    assert purpose_from_headers({"X-Purpose": " case review "}) == "case review"
    assert purpose_from_headers({"x-purpose": ""}) is None
    assert purpose_from_headers({}) is None
