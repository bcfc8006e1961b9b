"""GraphQL over HTTP: application/graphql-response+json and its status codes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from hub.app import create_app
from hub.media import wants_graphql_response
from hub.security import KeyStore, SecurityDB
from hub.settings import load_settings
from schema.context import Services

pytestmark = pytest.mark.anyio
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE, True),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", True),
        (f"application/json, {GRAPHQL_RESPONSE}", False),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE}", True),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        (f"{GRAPHQL_RESPONSE};q=0", False),
    ],
)
def test_accept_negotiation(accept: str, expected: bool) -> None:
    assert wants_graphql_response(accept) is expected


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    settings = load_settings({"HUB_HOME": str(tmp_path)}, toml_path=tmp_path / "none.toml")
    key = KeyStore(SecurityDB.from_settings(settings)).create("ORG-DINSOS", "dinsos_admin")[1]
    conn = GraphTarget(
        uri=os.environ.get("NEO4J_TEST_URI", "bolt://127.0.0.1:7687"),
        user=os.environ.get("NEO4J_TEST_USER", "neo4j"),
        password=os.environ.get("NEO4J_TEST_PASSWORD", ""),
    )
    driver = await open_async_driver(conn)
    app = create_app(settings, Services(repository=GraphRepository(driver, conn.database)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub"
    ) as http:
        yield http, key
    await driver.close()


async def post(client: tuple[httpx.AsyncClient, str], query: str, accept: str) -> httpx.Response:
    http, key = client
    return await http.post(
        "/graphql", json={"query": query}, headers={"X-API-Key": key, "Accept": accept}
    )


async def test_a_valid_query_is_200_with_the_graphql_response_type(
    client: tuple[httpx.AsyncClient, str],
) -> None:
    r = await post(client, "{ programs { code } }", GRAPHQL_RESPONSE)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" in r.json()


@pytest.mark.parametrize("query", ["{ noSuchField }", "{ programs { code }"])
async def test_a_request_error_is_400_without_data(
    client: tuple[httpx.AsyncClient, str], query: str
) -> None:
    r = await post(client, query, GRAPHQL_RESPONSE)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = r.json()
    assert "data" not in body
    assert body["errors"][0]["message"]


async def test_plain_json_clients_keep_200_and_application_json(
    client: tuple[httpx.AsyncClient, str],
) -> None:
    r = await post(client, "{ noSuchField }", "application/json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["errors"]
