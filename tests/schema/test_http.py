"""GraphQL over HTTP through a minimal Starlette app, as hub/ will mount it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from gqlkit import YAY_A, Api
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from schema.context import Context, Services

pytestmark = pytest.mark.anyio


def app(api: Api, services: Services | None = None) -> Starlette:
    class App(GraphQL[Context, None]):
        async def get_context(self, request: Any, response: Any) -> Context:
            return Context.for_request(
                services or api.services, YAY_A, request=request, response=response, purpose="test"
            )

    return Starlette(routes=[Route("/graphql", App(api.schema))])


async def post(asgi: Starlette, body: dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        return await client.post(
            "/graphql",
            json=body,
            headers={"accept": "application/graphql-response+json, application/json"},
        )


async def test_graphql_over_http(api: Api) -> None:
    response = await post(
        app(api),
        {"query": "query($id: ID!) { household(id: $id) { noKk } }", "variables": {"id": "H1"}},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/")
    assert response.json() == {"data": {"household": {"noKk": "3273**********01"}}}


async def test_input_error_over_http_names_the_field(api: Api) -> None:
    response = await post(app(api), {"query": '{ searchPersons(name: "??") { totalCount } }'})
    error = response.json()["errors"][0]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "name",
        "reason": "give at least one letter of the name.",
    }


async def test_neo4j_down_is_a_clear_service_error(api: Api) -> None:
    down = GraphTarget(uri="bolt://127.0.0.1:1", user="neo4j", password="x")
    driver = await open_async_driver(down, verify=False, max_retry_seconds=0.5)
    services = Services(repository=GraphRepository(driver, "neo4j", down.uri))
    response = await post(app(api, services), {"query": '{ household(id: "H1") { id } }'})
    await driver.close()
    body = response.json()
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert "unavailable" in error["message"] and "Traceback" not in response.text
