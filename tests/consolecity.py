"""The served city the console's tests sign in to (tests/console/conftest.py
builds one per session)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from jwtissuer import Issuer

from hub.security import KeyStore, SecurityDB
from hub.settings import Settings

#: a host name the shared browser (tests/console/conftest.py) resolves to 127.0.0.1:
#: not loopback to the browser, as an office's hub on its network is not
LAN_HOST = "hub.satupintu.test"


@dataclass(frozen=True)
class City:
    base: str
    settings: Settings
    env: dict[str, str]
    issuer: Issuer | None = None
    """The staff identity provider the hub trusts (HUB_JWT_ISSUER, HUB_JWT_JWKS)."""

    def staff_token(self, **claims: object) -> str:
        """A staff JWT the hub accepts, with `claims` overriding (None drops one)."""
        assert self.issuer is not None, "this city trusts no staff JWT issuer"
        return self.issuer.token(**claims)

    def key(self, role: str, organization: str = "ORG-DINSOS") -> str:
        return KeyStore(SecurityDB.from_settings(self.settings)).create(organization, role)[1]

    def graphql(
        self, key: str, query: str, purpose: str = "pelayanan", **variables: object
    ) -> dict:
        r = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"X-API-Key": key, "X-Purpose": purpose},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        body: dict = r.json()
        return body


@contextmanager
def signed_in(city: City, key: str, purpose: bool = False) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=city.base, timeout=30) as client:
        r = client.post("/app/login", data={"api_key": key})
        assert r.status_code == 303 and r.headers["location"] == "/app/cari", r.text
        yield with_purpose(client) if purpose else client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def with_purpose(client: httpx.Client, task: str = "cari") -> httpx.Client:
    """State the purpose of `task` (searching and reading households, unless told)."""
    form = client.get(f"/app/tujuan?task={task}")
    r = client.post(
        "/app/tujuan",
        data={
            "csrf": csrf(form.text),
            "task": task,
            "purpose": "case_management",
            "next": "/app/cari",
        },
    )
    assert r.status_code == 303
    return client
