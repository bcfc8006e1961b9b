from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from jwtissuer import ISSUER, Issuer

from hub.security.jwt import JwtVerifier
from hub.settings import Settings


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path / "jwks.json")


@pytest.fixture
def verifier(issuer: Issuer) -> JwtVerifier:
    return JwtVerifier(ISSUER, issuer.jwks_file)


def test_valid_token_maps_claims_to_principal(issuer: Issuer, verifier: JwtVerifier) -> None:
    outcome = verifier.verify(issuer.token())
    assert outcome.reason is None
    who = outcome.principal
    assert who is not None
    assert (who.subject, who.organization, who.role, who.auth_method, who.key_id) == (
        "staff:siti",
        "dinsos-bandung",
        "social_worker",
        "jwt",
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, "token expired"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"role": "superuser"}, "Unknown role"),
        ({"org": None}, "no 'org' claim"),
        ({"sub": None}, "invalid token"),
    ],
)
def test_refused_tokens_say_why(
    issuer: Issuer, verifier: JwtVerifier, overrides: dict[str, object], reason: str
) -> None:
    outcome = verifier.verify(issuer.token(**overrides))
    assert outcome.principal is None
    assert outcome.reason is not None and reason in outcome.reason


def test_bad_signature(tmp_path: Path, verifier: JwtVerifier) -> None:
    impostor = Issuer(tmp_path / "other.json")  # same kid, different key
    outcome = verifier.verify(impostor.token())
    assert outcome.principal is None and outcome.reason == "bad signature"


def test_symmetric_token_is_refused(verifier: JwtVerifier) -> None:
    forged = jwt.encode(
        {"iss": ISSUER, "sub": "x", "org": "o", "role": "dinsos_admin", "exp": 2**31},
        "a-guessed-shared-secret-of-32-bytes!",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    assert verifier.verify(forged).principal is None


def test_unknown_kid_and_garbage(issuer: Issuer, verifier: JwtVerifier) -> None:
    token = jwt.encode(
        {"iss": ISSUER, "sub": "x", "org": "o", "role": "analyst", "exp": 2**31},
        issuer.key,
        algorithm="RS256",
        headers={"kid": "other"},
    )
    outcome = verifier.verify(token)
    assert outcome.principal is None and "no key 'other'" in str(outcome.reason)
    assert verifier.verify("a.b.c").principal is None


def test_jwks_file_is_reread_after_rotation(issuer: Issuer, verifier: JwtVerifier) -> None:
    assert verifier.verify(issuer.token()).principal is not None
    rotated = Issuer(issuer.jwks_file, kid="k2")
    assert verifier.verify(rotated.token()).principal is not None
    assert verifier.verify(issuer.token()).principal is None


def test_from_settings(issuer: Issuer) -> None:
    assert JwtVerifier.from_settings(Settings()) is None
    settings = Settings(jwt_issuer=ISSUER, jwt_jwks_file=issuer.jwks_file)
    verifier = JwtVerifier.from_settings(settings)
    assert verifier is not None
    assert verifier.verify(issuer.token()).principal is not None
