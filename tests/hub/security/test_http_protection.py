"""Protection through the hub's real app (hub.app.create_app) over HTTP and
websocket: 401 for anonymous callers, the purpose header, the audit log and
the subject access report through the CLI, the rate limit, the query limits,
production mode (no introspection, no GraphiQL, masked errors) and trusted
documents."""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from hub.app import create_app
from hub.security import AuditLog, KeyStore, SecurityDB
from hub.settings import Settings
from schema.context import Services
from schema.extensions import MASKED_MESSAGE, document_id
from schema.pubsub import PubSub

_GRAPH = Path(__file__).resolve().parents[2] / "graph"
_spec = importlib.util.spec_from_file_location(
    "satupintu_graph_conftest_http", _GRAPH / "conftest.py"
)
assert _spec and _spec.loader
_graph = importlib.util.module_from_spec(_spec)
sys.path.insert(0, str(_GRAPH))
_spec.loader.exec_module(_graph)
graph_target = _graph.graph_target
neo4j_driver = _graph.neo4j_driver
empty_graph = _graph.empty_graph
city_graph = _graph.city_graph

PERSON = '{ person(id: "P1") { fullName nik } }'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def services(city_graph: Any, graph_target: GraphTarget) -> AsyncIterator[Services]:
    driver = await open_async_driver(graph_target)
    yield Services(repository=GraphRepository(driver, graph_target.database), pubsub=PubSub())
    await driver.close()


def settings(home: Path, mode: str = "dev", **extra: Any) -> Settings:
    return Settings(home=home, mode=mode, extra=extra)  # type: ignore[arg-type]


def key(s: Settings, org: str, role: str) -> str:
    with SecurityDB.from_settings(s) as db:
        return KeyStore(db).create(org, role)[1]


async def post(
    app: Starlette,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        return await client.post("/graphql", json=body, headers=headers or {})


async def get(app: Starlette, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        return await client.get("/graphql", headers=headers)


def hub_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=120
    )


# --- authentication -----------------------------------------------------------------
@pytest.mark.anyio
async def test_anonymous_and_bad_credentials_get_401(tmp_path: Path, services: Services) -> None:
    app = create_app(settings(tmp_path), services)
    for headers in ({}, {"X-API-Key": "sp_nonsense"}, {"Authorization": "Basic abc"}):
        response = await post(app, {"query": PERSON}, headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Hermawan" not in response.text
    assert (await get(app, {"accept": "text/html"})).status_code == 401


# --- purpose and audit, end to end ------------------------------------------------------
@pytest.mark.anyio
@pytest.mark.slow
async def test_a_read_is_audited_with_its_purpose_and_shows_in_the_access_report(
    tmp_path: Path, services: Services
) -> None:
    s = settings(tmp_path)
    app = create_app(s, services)
    worker = key(s, "DINSOS", "social_worker")
    refused = await post(app, {"query": PERSON}, {"X-API-Key": worker})
    assert refused.json()["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"
    response = await post(
        app, {"query": PERSON}, {"X-API-Key": worker, "X-Purpose": "case_management: home visit"}
    )
    assert response.json() == {
        "data": {"person": {"fullName": "Hermawan", "nik": "3273011204800001"}}
    }

    report = hub_cli(tmp_path, "audit", "report", "--person", "P1", "--json")
    assert report.returncode == 0, report.stderr
    events = json.loads(report.stdout)["reads"]
    assert [(e["organization"], e["role"], e["operation"], e["purpose"]) for e in events] == [
        ("DINSOS", "social_worker", "read:person", "case_management [public_task]: home visit")
    ]
    assert events[0]["subject"].startswith("key:")
    table = hub_cli(tmp_path, "audit", "report", "--person", "P1")
    # the first report is itself a read of P1, and is logged
    assert "home visit" in table.stdout and "2 events involve person P1" in table.stdout
    assert hub_cli(tmp_path, "audit", "verify").returncode == 0

    # someone with file access edits the purpose: the chain says so
    conn = sqlite3.connect(tmp_path / "security.sqlite")
    conn.executescript(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET purpose = 'routine' WHERE seq = 1;"
    )
    conn.close()
    broken = hub_cli(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "broken at seq 1" in broken.stderr


# --- rate limit -----------------------------------------------------------------------
@pytest.mark.anyio
async def test_rate_limit_per_key_gives_429_with_retry_after(
    tmp_path: Path, services: Services
) -> None:
    s = settings(tmp_path, rate_limit=0.01, rate_burst=2)
    app = create_app(s, services)
    one, other = key(s, "DINSOS", "analyst"), key(s, "BAPPEDA", "analyst")
    query = {"query": "{ programs { code } }"}
    codes = [(await post(app, query, {"X-API-Key": one})).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = await post(app, query, {"X-API-Key": one})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "retry" in limited.json()["errors"][0]["message"].lower()
    assert (await post(app, query, {"X-API-Key": other})).status_code == 200  # per key


@pytest.mark.anyio
async def test_an_unregistered_purpose_is_refused_in_production_and_kept_as_text_in_dev(
    tmp_path: Path, services: Services
) -> None:
    prod, dev = settings(tmp_path, "production"), settings(tmp_path / "dev")
    headers = {"X-API-Key": key(prod, "DINSOS", "social_worker"), "X-Purpose": "curiosity"}
    refused = (await post(create_app(prod, services), {"query": PERSON}, headers)).json()
    assert refused["data"] is None
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "PURPOSE_UNKNOWN"
    assert "case_management" in error["message"] and "curiosity" in error["message"]
    argument = '{ person(id: "P1", purpose: "referral: to Dinkes") { id } }'
    ok = await post(
        create_app(prod, services), {"query": argument}, {"X-API-Key": headers["X-API-Key"]}
    )
    assert ok.json() == {"data": {"person": {"id": "P1"}}}
    with SecurityDB.from_settings(prod) as db:
        assert [e.purpose for e in AuditLog(db).tail()] == ["referral [public_task]: to Dinkes"]

    dev_key = key(dev, "DINSOS", "social_worker")
    kept = await post(
        create_app(dev, services),
        {"query": PERSON},
        {"X-API-Key": dev_key, "X-Purpose": "curiosity"},
    )
    assert "errors" not in kept.json()
    with SecurityDB.from_settings(dev) as db:
        assert [e.purpose for e in AuditLog(db).tail()] == ["curiosity [unregistered]"]


# --- query limits -----------------------------------------------------------------------
DEEP = '{ household(id: "H1") { ' + "members { household { " * 6 + "id" + " } }" * 6 + " } }"
ALIASES = "{ " + " ".join(f"a{i}: programs {{ code }}" for i in range(20)) + " }"
TOKENS = "{ programs { " + " ".join(["code"] * 2100) + " } }"
BATCH = '{ searchPersons(name: "asep", first: 1000) { totalCount } }'


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "says"), [(DEEP, "depth"), (ALIASES, "aliases"), (TOKENS, "token"), (BATCH, "1000")]
)
async def test_query_limits_over_http(
    tmp_path: Path, services: Services, query: str, says: str
) -> None:
    s = settings(tmp_path)
    app = create_app(s, services)
    response = await post(
        app,
        {"query": query},
        {"X-API-Key": key(s, "DINSOS", "dinsos_admin"), "X-Purpose": "oversight"},
    )
    body = response.json()
    assert body.get("data") is None and body["errors"], body
    assert says in json.dumps(body["errors"]).lower()


# --- production mode ----------------------------------------------------------------------
class ExplodingRepository:
    def __getattr__(self, name: str) -> Any:
        async def explode(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("bolt://neo4j:secret@10.0.0.7 index person_names is corrupt")

        return explode


@pytest.mark.anyio
async def test_production_has_no_introspection_no_graphiql_and_masks_errors(
    tmp_path: Path, services: Services
) -> None:
    prod, dev = settings(tmp_path, "production"), settings(tmp_path / "dev")
    admin = key(prod, "DINSOS", "dinsos_admin")
    headers = {"X-API-Key": admin, "X-Purpose": "oversight"}
    app = create_app(prod, services)

    introspect = (await post(app, {"query": "{ __schema { types { name } } }"}, headers)).json()
    assert introspect.get("data") is None and "introspection" in str(introspect).lower()
    typename = (await post(app, {"query": "{ __typename }"}, headers)).json()
    assert typename == {"data": {"__typename": "Query"}}

    page = await get(app, {**headers, "accept": "text/html"})
    assert "graphiql" not in page.text.lower() and "<html" not in page.text.lower()
    dev_page = await get(
        create_app(dev, services),
        {"X-API-Key": key(dev, "DINSOS", "dinsos_admin"), "accept": "text/html"},
    )
    assert dev_page.status_code == 200 and "graphiql" in dev_page.text.lower()

    broken = create_app(prod, Services(repository=ExplodingRepository()))  # type: ignore[arg-type]
    response = await post(broken, {"query": PERSON}, headers)
    error = response.json()["errors"][0]
    assert error["message"] == MASKED_MESSAGE
    assert "secret" not in response.text and "Traceback" not in response.text
    # errors meant for the caller still say what to do
    analyst = key(prod, "BAPPEDA", "analyst")
    forbidden = (await post(app, {"query": PERSON}, {"X-API-Key": analyst})).json()
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "aggregates" in forbidden["errors"][0]["message"]


@pytest.mark.anyio
async def test_production_partners_run_only_trusted_documents(
    tmp_path: Path, services: Services
) -> None:
    known = '{ household(id: "H1") { id noKk } }'
    (tmp_path / "trusted-documents.json").write_text(json.dumps({document_id(known): known}))
    s = settings(tmp_path, "production")
    app = create_app(s, services)
    agency = {"X-API-Key": key(s, "YAY-A", "foundation"), "X-Purpose": "foundation_service"}

    free = (await post(app, {"query": known}, agency)).json()
    assert free.get("data") is None and "trusted documents" in free["errors"][0]["message"]
    by_id = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_id(known)[7:]}}}
    trusted = (await post(app, by_id, agency)).json()
    assert trusted == {"data": {"household": {"id": "H1", "noKk": "3273**********01"}}}
    unknown = (await post(app, {"extensions": {"documentId": "sha256:" + "0" * 64}}, agency)).json()
    assert "Unknown document id" in unknown["errors"][0]["message"]
    staff = {"X-API-Key": key(s, "DINSOS", "social_worker"), "X-Purpose": "case_management"}
    assert (await post(app, {"query": known}, staff)).json()["data"]["household"]["id"] == "H1"


@pytest.mark.anyio
async def test_the_console_runs_its_operations_as_trusted_documents(
    tmp_path: Path, services: Services
) -> None:
    """In production a foundation held to trusted documents can still use the
    console at /app: it names each of its operations by document id."""
    known = '{ household(id: "H1") { id noKk } }'
    (tmp_path / "trusted-documents.json").write_text(json.dumps({document_id(known): known}))
    s = settings(tmp_path, "production")
    app = create_app(s, services)
    transport = httpx.ASGITransport(app=app)
    # the session cookie is Secure in production
    async with httpx.AsyncClient(transport=transport, base_url="https://hub") as console:
        signed = await console.post("/app/login", data={"api_key": key(s, "YAY-A", "foundation")})
        assert signed.status_code == 303
        form = (await console.get("/app/tujuan?task=cari")).text
        token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        chosen = await console.post(
            "/app/tujuan",
            data={"csrf": token, "task": "cari", "purpose": "foundation_service", "next": "/app/"},
        )
        assert chosen.status_code == 303
        page = await console.get("/app/keluarga/H1")
    assert page.status_code == 200, page.text
    assert "3273**********01" in page.text and "trusted documents" not in page.text


# --- websocket -------------------------------------------------------------------------------
class OneHousehold:
    async def households(self, ids: Any, scope: Any) -> Any:
        return [{"household_id": i} if i == "H1" else None for i in ids]

    def __getattr__(self, name: str) -> Any:
        async def nothing(ids: Any, *args: Any, **kwargs: Any) -> Any:
            return [None for _ in ids]

        return nothing


def _ws_session(client: TestClient, payload: dict[str, Any] | None) -> Any:
    ws = client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
    session = ws.__enter__()
    session.send_json({"type": "connection_init", "payload": payload or {}})
    return ws, session


def test_websocket_needs_credentials_and_carries_role_and_purpose(tmp_path: Path) -> None:
    s = settings(tmp_path)
    worker, analyst = key(s, "DINSOS", "social_worker"), key(s, "BAPPEDA", "analyst")
    app = create_app(s, Services(repository=OneHousehold(), pubsub=PubSub()))  # type: ignore[arg-type]
    subscribe = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": 'subscription { householdChanged(id: "H1") { kind } }'},
    }
    with TestClient(app) as client:
        ws, session = _ws_session(client, None)
        with pytest.raises(WebSocketDisconnect) as closed:
            session.receive_json()
        assert closed.value.code == 4403
        ws.__exit__(None, None, None)

        for payload, code in (
            ({"X-API-Key": worker}, "PURPOSE_REQUIRED"),
            ({"X-API-Key": analyst, "X-Purpose": "x"}, "FORBIDDEN"),
        ):
            ws, session = _ws_session(client, payload)
            assert session.receive_json()["type"] == "connection_ack"
            session.send_json(subscribe)
            message = session.receive_json()
            assert message["type"] == "error" or message["type"] == "next", message
            errors = (
                message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            )
            assert errors[0]["extensions"]["code"] == code
            ws.__exit__(None, None, None)
