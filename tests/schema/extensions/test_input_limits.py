"""Oversized input, as the attack that found it: a 20,000-character name in
`searchPersons` reached Neo4j and came back as Java exception text. Through the
hub's real app over HTTP, against a real Neo4j: every String/ID/JSON position of
every root field and mutation (found by walking the schema, so a new argument is
covered without a new test), inline and as a variable, nested in inputs and
lists, huge JSON, long lists and a giant body. Each is refused with
BAD_USER_INPUT naming the coordinate and its limit (or 413), and no response
shows internals."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gqlkit import YAY_A
from graphql import (
    GraphQLField,
    GraphQLInputType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_enum_type,
    is_input_object_type,
    is_list_type,
    is_object_type,
)
from starlette.applications import Starlette

from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from hub.app import create_app
from hub.body_limit import MAX_BODY_BYTES
from hub.security import KeyStore, SecurityDB
from hub.settings import Settings
from schema import build_schema
from schema.context import Context, Services
from schema.extensions import INPUT_LIMITS, protection_extensions, unknown_coordinates
from schema.pubsub import PubSub

HUGE = 20_000
#: text that only internals would put in a message
INTERNALS = (
    "java",
    "org.neo4j",
    "neo4j.exceptions",
    "traceback",
    "duckdb",
    'file "',
    "exception",
    "lucene",
)
SCALARS: dict[str, Any] = {
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "Date": "2026-01-01",
    "DateTime": "2026-01-01T00:00:00",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def app(
    city_graph: Any, graph_target: GraphTarget, tmp_path: Path
) -> AsyncIterator[tuple[Starlette, dict[str, str]]]:
    driver = await open_async_driver(graph_target)
    settings = Settings(home=tmp_path, extra={"rate_limit": 10_000, "rate_burst": 10_000})
    with SecurityDB.from_settings(settings) as db:
        key = KeyStore(db).create("DINSOS", "dinsos_admin")[1]
    services = Services(
        repository=GraphRepository(driver, graph_target.database, graph_target.uri), pubsub=PubSub()
    )
    yield create_app(settings, services), {"X-API-Key": key, "X-Purpose": "limits test"}
    await driver.close()


async def post(app: Starlette, headers: dict[str, str], **request: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        return await client.post("/graphql", headers=headers, **request)


def assert_no_internals(response: httpx.Response) -> None:
    text = response.text.lower()
    assert not [w for w in INTERNALS if w in text], response.text[:2000]


def refused_for(response: httpx.Response, coordinate: str) -> dict[str, Any]:
    """The BAD_USER_INPUT error naming `coordinate`; nothing ran."""
    assert_no_internals(response)
    body = response.json()
    assert body.get("data") is None, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"].startswith(coordinate), (coordinate, error)
    assert isinstance(error["extensions"]["limit"], int)
    assert f"{error['extensions']['limit']:,}" in error["message"]
    return error


# --- the positions, by walking the schema -------------------------------------------------
Position = tuple[str, str, str]  # (operation, root field, coordinate)


def positions(schema: GraphQLSchema) -> Iterator[Position]:
    """Every coordinate holding a string, ID, JSON or list, under every root field."""
    for op, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for name, fld in root.fields.items():
            seen: set[str] = set()
            for arg, definition in fld.args.items():
                yield from _walk(op, name, f"{root.name}.{name}({arg}:)", definition.type, seen)


def _walk(
    op: str, field: str, coordinate: str, type_: GraphQLInputType, seen: set[str]
) -> Iterator[Position]:
    nullable = get_nullable_type(type_)
    named = get_named_type(type_)
    if is_list_type(nullable):
        yield op, field, coordinate + "[]"  # the list itself
        yield from _walk(op, field, coordinate, nullable.of_type, seen)
    elif is_input_object_type(named):
        if named.name not in seen:
            seen.add(named.name)
            for name, f in named.fields.items():
                yield from _walk(op, field, f"{named.name}.{name}", f.type, seen)
    elif named.name in ("String", "ID", "JSON"):
        yield op, field, coordinate


def sample(type_: GraphQLInputType, coordinate: str, attack: str) -> Any:
    """A valid value for `type_`, oversized only at `attack` (a coordinate; `[]` for its list)."""
    nullable = get_nullable_type(type_)
    named = get_named_type(type_)
    if is_list_type(nullable):
        item = sample(nullable.of_type, coordinate, attack)
        return [item] * (150 if attack == coordinate + "[]" else 1)  # 2,000 tokens allow it
    if is_input_object_type(named):
        return {
            name: sample(f.type, f"{named.name}.{name}", attack) for name, f in named.fields.items()
        }
    if is_enum_type(named):
        return next(iter(named.values))
    if named.name == "JSON":
        return {"k": "x" * HUGE} if attack == coordinate else {"k": "v"}
    if named.name in ("String", "ID"):
        return "x" * HUGE if attack == coordinate else "x"
    return SCALARS[named.name]


def literal(value: Any, type_: GraphQLInputType) -> str:
    """`value` written in the document, for a position of type `type_`."""
    nullable = get_nullable_type(type_)
    named = get_named_type(type_)
    if is_list_type(nullable):
        return "[" + ", ".join(literal(v, nullable.of_type) for v in value) + "]"
    if is_input_object_type(named):
        return (
            "{"
            + ", ".join(f"{k}: {literal(v, named.fields[k].type)}" for k, v in value.items())
            + "}"
        )
    if named.name == "JSON":
        return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in value.items()) + "}"
    if is_enum_type(named) or isinstance(value, bool | int | float):
        return json.dumps(value) if not is_enum_type(named) else str(value)
    return json.dumps(value)


def request(
    op: str, field: str, fld: GraphQLField, root: str, attack: str, inline: bool
) -> dict[str, Any]:
    values = {arg: sample(d.type, f"{root}.{field}({arg}:)", attack) for arg, d in fld.args.items()}
    selection = " { __typename }" if is_object_type(get_named_type(fld.type)) else ""
    if inline:
        args = ", ".join(f"{arg}: {literal(values[arg], d.type)}" for arg, d in fld.args.items())
        return {"query": f"{op} {{ {field}({args}){selection} }}"}
    decls = ", ".join(f"${arg}: {d.type}" for arg, d in fld.args.items())
    args = ", ".join(f"{arg}: ${arg}" for arg in fld.args)
    return {"query": f"{op}({decls}) {{ {field}({args}){selection} }}", "variables": values}


# --- the attacks --------------------------------------------------------------------------
NAME = "x" * HUGE


@pytest.mark.anyio
async def test_a_20000_character_name_is_refused_inline_and_as_a_variable(
    app: tuple[Starlette, dict[str, str]],
) -> None:
    server, headers = app
    inline = await post(
        server, headers, json={"query": f'{{ searchPersons(name: "{NAME}") {{ totalCount }} }}'}
    )
    error = refused_for(inline, "Query.searchPersons(name:)")
    assert error["extensions"]["limit"] == 100 and "20,000 characters" in error["message"]
    variable = await post(
        server,
        headers,
        json={
            "query": "query($n: String!) { searchPersons(name: $n) { totalCount } }",
            "variables": {"n": NAME},
        },
    )
    error = refused_for(variable, "Query.searchPersons(name:)")
    assert error["extensions"]["variable"] == "n"
    # a name within the limit still searches
    fine = await post(
        server, headers, json={"query": '{ searchPersons(name: "hermawan") { totalCount } }'}
    )
    assert fine.json()["data"]["searchPersons"]["totalCount"] >= 1


@pytest.mark.anyio
@pytest.mark.parametrize("inline", [False, True], ids=["variables", "inline"])
async def test_every_string_and_list_position_of_every_root_field_is_limited(
    app: tuple[Starlette, dict[str, str]], inline: bool
) -> None:
    server, headers = app
    schema = build_schema()._schema
    attacked = 0
    for op, field, coordinate in positions(schema):
        root = schema.query_type if op == "query" else schema.mutation_type
        assert root is not None
        body = request(op, field, root.fields[field], root.name, coordinate, inline)
        response = await post(server, headers, json=body)
        refused_for(response, coordinate.removesuffix("[]"))
        attacked += 1
    mutations = {f for op, f, _ in positions(schema) if op == "mutation"}
    assert mutations == set(schema.mutation_type.fields)  # type: ignore[union-attr]
    assert attacked > 50


@pytest.mark.anyio
async def test_huge_and_deep_json_is_refused(app: tuple[Starlette, dict[str, str]]) -> None:
    server, headers = app
    query = (
        "mutation($c: JSON) { fileChangeRequest(request: {kind: PERBAIKAN, "
        'personId: "P1", reason: "r", changes: $c}) { id } }'
    )
    wide = await post(
        server,
        headers,
        json={"query": query, "variables": {"c": {f"k{i}": "v" * 50 for i in range(2_000)}}},
    )
    error = refused_for(wide, "ChangeRequestInput.changes")
    assert error["extensions"]["limit"] == INPUT_LIMITS.json_chars
    deep: Any = "x"
    for _ in range(60):
        deep = {"a": deep}
    nested = await post(server, headers, json={"query": query, "variables": {"c": deep}})
    assert "nested" in refused_for(nested, "ChangeRequestInput.changes")["message"]
    inline = query.replace("mutation($c: JSON) ", "mutation ").replace(
        "$c", '{big: "' + "y" * 5_000 + '"}'
    )
    literal = await post(server, headers, json={"query": inline})
    refused_for(literal, "ChangeRequestInput.changes")


@pytest.mark.anyio
async def test_a_giant_body_gets_413(app: tuple[Starlette, dict[str, str]]) -> None:
    server, headers = app
    giant = '{"query": "{ programs { code } }", "variables": {"x": "' + "z" * (2 << 20) + '"}}'
    for extra in (
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    ):
        content: Any = giant.encode()
        if "Transfer-Encoding" in extra:

            async def chunks() -> AsyncIterator[bytes]:
                for i in range(0, len(giant), 65_536):
                    yield giant[i : i + 65_536].encode()

            content = chunks()
        response = await post(server, {**headers, **extra}, content=content)
        assert response.status_code == 413
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "limit": MAX_BODY_BYTES}
        assert f"{MAX_BODY_BYTES:,} bytes" in error["message"]
    # the dashboard's login form is behind the same limit
    transport = httpx.ASGITransport(app=server)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        form = await client.post(
            "/dashboard/login",
            content=b"api_key=" + b"k" * (1 << 20),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert form.status_code == 413


def test_every_limit_names_a_real_coordinate() -> None:
    assert unknown_coordinates(build_schema()._schema, INPUT_LIMITS) == set()


@pytest.mark.anyio
async def test_subscription_arguments_are_limited_too(api: Any) -> None:
    schema = build_schema(protection_extensions("dev"))
    for query, variables, coordinate in (
        (
            'subscription { householdChanged(id: "' + NAME + '") { kind } }',
            None,
            "Subscription.householdChanged(id:)",
        ),
        (
            "subscription($o: String!) { referralsForOrganization(organization: $o) { id } }",
            {"o": NAME},
            "Subscription.referralsForOrganization(organization:)",
        ),
    ):
        stream = await schema.subscribe(
            query,
            variable_values=variables,
            context_value=(Context.for_request(api.services, YAY_A, purpose="test")),
        )
        first = await stream.__anext__() if isinstance(stream, AsyncGenerator) else stream
        assert first.errors, first
        error = first.errors[0]
        assert error.extensions is not None and error.extensions["code"] == "BAD_USER_INPUT"
        assert error.extensions["field"].startswith(coordinate)
