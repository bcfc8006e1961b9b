"""One generated city per test session, linked, loaded into the test Neo4j and
served by `hub serve`; the console's tests sign in to it with real API keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from hubcli import hub, linked_city, served

from hub.security import KeyStore, SecurityDB
from hub.settings import Settings, load_settings


@dataclass(frozen=True)
class City:
    base: str
    settings: Settings
    env: dict[str, str]

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


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    env, _ = linked_city(tmp_path_factory, "console", households=150, seed=15, foundations=3)
    hub(env, "load")
    with served(env) as base:
        yield City(base, load_settings(env), env)
