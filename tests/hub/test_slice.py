"""The thin slice, real at every step: CSV sources -> DuckDB staging -> Splink
linkage -> Neo4j -> GraphQL, through the `hub` CLI and the app.

Two sources spell one man differently ("Muhammad Rizki Ramadhan" with NIK,
"Moch. Rizky Ramadhan" without); the API must show one person in one household
with both source records.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hubcli import hub, hub_env

from graph.driver import open_async_driver
from graph.repository import GraphRepository
from hub.app import create_app
from hub.security import KeyStore, SecurityDB
from hub.settings import Settings, graph_target, load_settings
from schema.context import Services
from simulator import generate_city

FIXTURES = Path(__file__).parents[1] / "fixtures" / "slice"

QUERY = """
query ($name: String!) {
  searchPersons(name: $name, first: 5) {
    edges { node { id fullName household { id kelurahan rt rw
      members { id fullName sourceRecords { source fullName } } } } }
  }
}"""


@pytest.fixture(scope="module")
def linked_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    home = tmp_path_factory.mktemp("slice-home")
    city = tmp_path_factory.mktemp("slice-city")
    generate_city(households=200, seed=11, out=city, foundations=4)
    for f in FIXTURES.iterdir():
        shutil.copy(f, city / "config" / f.name)
    env = hub_env(home)
    hub(env, "ingest", "--config", str(city / "config"))
    hub(env, "link", "--train")
    hub(env, "load")
    yield load_settings(env)


@pytest.mark.slow
@pytest.mark.anyio
async def test_two_spellings_from_two_sources_are_one_person_in_one_household(
    linked_city: Settings,
) -> None:
    settings = linked_city
    key = KeyStore(SecurityDB.from_settings(settings)).create("ORG-DINSOS", "social_worker")[1]
    conn = graph_target(settings)
    driver = await open_async_driver(conn)
    try:
        app = create_app(settings, Services(repository=GraphRepository(driver, conn.database)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            response = await client.post(
                "/graphql",
                json={"query": QUERY, "variables": {"name": "Rizki Ramadhan"}},
                headers={"X-API-Key": key, "X-Purpose": "test"},
            )
    finally:
        await driver.close()
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    people = [e["node"] for e in body["data"]["searchPersons"]["edges"]]
    rizki = [p for p in people if "RAMADHAN" in (p["fullName"] or "").upper()]
    assert len(rizki) == 1, people
    household = rizki[0]["household"]
    assert household["kelurahan"] == "Sukaluyu"
    member = next(m for m in household["members"] if m["id"] == rizki[0]["id"])
    spellings = {(r["source"], r["fullName"]) for r in member["sourceRecords"]}
    assert ("posyandu-melati", "Muhammad Rizki Ramadhan") in spellings
    assert ("yayasan-harapan", "Moch. Rizky Ramadhan") in spellings
    # his wife, from the same family card, is in the same household
    assert any("NURHALIMAH" in (m["fullName"] or "").upper() for m in household["members"])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
