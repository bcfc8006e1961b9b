"""A generated city run through the real pipeline and served by the real app,
for tests/schema/test_generated_city.py.

`build_city` does what `hub demo` does (generate, ingest, link, load) in its
own HUB_HOME; `serve` starts the hub's app with its own lifespan (graph
driver, real-time intake, review, hash-chained audit) and one API key per
role, and talks to it in process over httpx.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
from neo4j import Driver

from connectors import ingest, load_configs
from graph.driver import GraphTarget
from hub import pipeline
from hub.app import create_app
from hub.security import KeyStore, SecurityDB
from hub.settings import Settings
from journal import journal_path
from simulator import generate_city


@dataclass(frozen=True)
class GeneratedCity:
    settings: Settings
    city: Path
    driver: Driver
    database: str

    def staging(self) -> duckdb.DuckDBPyConnection:
        """The city's staging DuckDB (in process it shares the server's instance)."""
        return duckdb.connect(str(self.settings.duckdb_path))

    def cypher(self, query: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return [dict(r) for r in records]


#: The city the generated-city modules share (conftest's session fixture builds it once):
#: 200 households, 8 foundations. Its staged records and match evidence carry real
#: NIK, KK and phone values, and ORG-DINKES's sources special-category (health) PPKS.
HOUSEHOLDS, SEED, FOUNDATIONS = 200, 2026, 8
#: The city's agency whose sources carry health PPKS, which are special-category.
AGENCY = "ORG-DINKES"


def build_city(
    root: Path, conn: GraphTarget, driver: Driver, *, households: int, seed: int, foundations: int
) -> GeneratedCity:
    """Generate a city, then ingest and link it (`load_city_graph` loads it)."""
    settings = Settings(
        home=root / "home",
        neo4j_uri=conn.uri,
        neo4j_user=conn.user,
        neo4j_password=conn.password,
        neo4j_database=conn.database,
    )
    city = root / "city"
    generate_city(households, seed, city, foundations=foundations)
    splink = logging.getLogger("splink")
    level = splink.level
    splink.setLevel(logging.ERROR)  # untrainable levels of a small city are expected
    con = pipeline.open_db(settings)
    try:
        ingest(con, load_configs(city / "config"))
        pipeline.link(settings, con, pipeline.model_dir(settings), train=True)
    finally:
        con.close()
        splink.setLevel(level)
    return GeneratedCity(settings, city, driver, conn.database)


def load_city_graph(city: GeneratedCity) -> GeneratedCity:
    """Empty the graph and load the city from its staging, as `hub load` does: each
    module that serves the shared city starts from it (other graph tests load their
    own data in between, and mutations write to the graph only)."""
    city.driver.execute_query("MATCH (n) DETACH DELETE n", database_=city.database)
    # and a fresh journal: `hub load` replays it, and each module starts from the sources
    for suffix in ("", "-wal", "-shm"):
        journal_path(city.settings.home).with_name(f"journal.sqlite{suffix}").unlink(
            missing_ok=True
        )
    con = pipeline.open_db(city.settings)
    try:
        pipeline.load_graph(city.settings, con)
    finally:
        con.close()
    return city


def busiest_foundation(staging: duckdb.DuckDBPyConnection) -> str:
    """The foundation with the most households among its records."""
    found = staging.execute("""
        SELECT c.organization FROM current_records c JOIN identity_map i USING (record_key)
        JOIN sources s ON s.id = c.source WHERE s.organization_type = 'foundation'
        GROUP BY 1 ORDER BY count(DISTINCT i.household_id) DESC, 1 LIMIT 1""").fetchall()
    assert found, "the city has no foundation records"
    return str(found[0][0])


class GraphQLFailed(AssertionError):
    pass


@dataclass
class Hub:
    """The running app, with a key for each named caller."""

    client: httpx.AsyncClient
    keys: Mapping[str, str]
    app: Any = None
    """The ASGI app itself (for websockets, which httpx does not speak)."""

    async def body(
        self,
        caller: str,
        query: str,
        *,
        purpose: str | None = "generated-city test",
        **variables: Any,
    ) -> dict[str, Any]:
        headers = {"X-API-Key": self.keys[caller]}
        if purpose is not None:
            headers["X-Purpose"] = purpose
        response = await self.client.post(
            "/graphql", headers=headers, json={"query": query, "variables": variables}
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self,
        caller: str,
        query: str,
        *,
        purpose: str | None = "generated-city test",
        **variables: Any,
    ) -> dict[str, Any]:
        body = await self.body(caller, query, purpose=purpose, **variables)
        if body.get("errors"):
            raise GraphQLFailed(f"{caller}: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    async def error_code(self, caller: str, query: str, **variables: Any) -> str:
        body = await self.body(caller, query, **variables)
        errors = body.get("errors")
        assert errors, f"{caller} expected an error, got {body.get('data')}"
        return str(errors[0].get("extensions", {}).get("code"))

    async def walk(
        self, caller: str, query: str, path: str, *, first: int, **variables: Any
    ) -> list[dict[str, Any]]:
        """Every node of the connection at `path` (dotted) page by page, with
        `$first` and `$after`; insists on Relay's promises on the way."""
        nodes: list[dict[str, Any]] = []
        cursors: set[str] = set()
        after: str | None = None
        total = None
        while True:
            data = await self.data(caller, query, first=first, after=after, **variables)
            conn: Any = data
            for part in path.split("."):
                conn = conn[part]
            total = conn["totalCount"] if total is None else total
            assert conn["totalCount"] == total, "totalCount changed while paging"
            edges = conn["edges"]
            assert len(edges) <= first
            for edge in edges:
                assert edge["cursor"] not in cursors, f"cursor {edge['cursor']} repeated"
                cursors.add(edge["cursor"])
                nodes.append(edge["node"])
            if not conn["pageInfo"]["hasNextPage"]:
                break
            assert edges, "hasNextPage with an empty page"
            assert conn["pageInfo"]["endCursor"] == edges[-1]["cursor"]
            after = conn["pageInfo"]["endCursor"]
        assert len(nodes) == total, f"walked {len(nodes)} nodes of {total}"
        return nodes


@contextlib.asynccontextmanager
async def serve(city: GeneratedCity, callers: Mapping[str, tuple[str, str]]) -> AsyncIterator[Hub]:
    """The hub's app as `hub serve` runs it; `callers` maps a name to (organization, role)."""
    store = KeyStore(SecurityDB.from_settings(city.settings))
    keys = {
        name: store.create(org, role, label="generated-city test")[1]
        for name, (org, role) in callers.items()
    }
    app = create_app(city.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield Hub(client, keys, app)


def mask(value: str | None) -> str | None:
    """How NIK and KK look to an agency or foundation: 4 digits, stars, 2 digits."""
    if value is None:
        return None
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def old_spelling(name: str) -> str:
    """The pre-1972 spelling of a name, word by word (Suryana -> Soerjana,
    Jajang -> Djadjang, Cicih -> Tjitjih); words without u, j or c stay."""
    out = []
    for word in name.split():
        lower = word.lower()
        if not any(ch in lower for ch in "ujc"):
            out.append(word)
            continue
        old = lower.replace("u", "oe").replace("j", "dj").replace("c", "tj").replace("y", "j")
        out.append(old.capitalize())
    return " ".join(out)
