"""The upload pages through an ASGI app, against a served, linked city: a foundation
uploads an XLSX with unfamiliar headers, confirms the proposed mapping, sees the rows
quarantined and why and how many matched known people (submitRecord, run as the
foundation through the real API), and re-uploads it without change.

The console here is a minimal one of the test's own (upload_routes.Console): it
renders with a bare base.html and runs operations over HTTP with the foundation's API
key, so permissions, masking, audit and linkage are the served hub's."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import httpx
import jinja2
import pytest
from hubcli import hub, linked_city, served
from neo4j import GraphDatabase
from sheets import xlsx_bytes
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

import console
from connectors.upload import UploadStore, propose_mapping, upload_source_id, validate
from console.upload_labels import UPLOAD_LABELS
from console.upload_routes import SUBMIT_OPERATION, Principal, routes, submit_rows
from hub.intake import IntakeStore, intake_source_id

pytestmark = pytest.mark.anyio

ORG = "ORG-YAYASAN-UNGGAH"
CSRF = "test-csrf-token"
HERE = Path(console.__file__).parent
#: the core's convention: operations/<Name>.graphql holds the one operation <Name>
SUBMIT = (HERE / "operations" / f"{SUBMIT_OPERATION}.graphql").read_text()
BASE = """<!doctype html><html lang="{{ lang }}"><title>{% block title %}{% endblock %}</title>
<main>{% block content %}{% endblock %}</main></html>"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class City:
    env: dict[str, str]
    home: Path
    base: str
    key: str
    known: list[dict[str, Any]]


class MinimalConsole:
    """upload_routes.Console, as small as it can be."""

    def __init__(self, base: str, keys: Mapping[str, str]) -> None:
        self.base = base
        self.keys = keys
        self.templates = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [  # a stub base first: these tests hold the upload pages, not the core's layout
                    jinja2.DictLoader({"base.html": BASE}),
                    jinja2.FileSystemLoader(HERE / "templates"),
                ]
            ),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.labels = {k: v[0] for k, v in UPLOAD_LABELS.items()}

    def render(self, request: Request, template: str, context: Mapping[str, Any]) -> Response:
        html = self.templates.get_template(template).render(
            labels=self.labels,
            lang="id",
            session=SimpleNamespace(csrf=CSRF),
            prefix="",
            path=request.url.path,
            **context,
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def run(
        self, request: Request, operation_name: str, variables: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        org = request.headers["x-test-org"]
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            answer = await client.post(
                "/graphql",
                json={
                    "query": SUBMIT if operation_name == SUBMIT_OPERATION else "",
                    "operationName": operation_name,
                    "variables": dict(variables),
                },
                headers={"X-API-Key": self.keys[org]},  # a write states no purpose
            )
        found: Mapping[str, Any] = answer.json()
        return found

    def principal(self, request: Request) -> Principal | None:
        org = request.headers.get("x-test-org")
        return SimpleNamespace(organization=org) if org in self.keys else None

    def csrf_ok(self, request: Request, token: str | None) -> bool:
        return token == CSRF


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    env, _ = linked_city(tmp_path_factory, "upload", households=60, seed=21, foundations=2)
    with GraphDatabase.driver(
        env["NEO4J_URI"], auth=(env["NEO4J_USER"], env["NEO4J_PASSWORD"])
    ) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")
    hub(env, "load")
    key = hub(env, "keys", "create", "--org", ORG, "--role", "foundation").stdout.splitlines()[-1]
    home = Path(env["HUB_HOME"])
    with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT full_name, nik, birth_date, sex, kelurahan FROM current_records"
            " WHERE source = 'disdukcapil' AND nik IS NOT NULL AND full_name IS NOT NULL"
            " ORDER BY record_key LIMIT 3"
        ).fetchall()
    fields = ("full_name", "nik", "birth_date", "sex", "kelurahan")
    known = [dict(zip(fields, r, strict=True)) for r in rows]
    with served(env) as base:
        wait_for_staging(base)
        yield City(env, home, base, key, known)


@pytest.fixture
async def client(city: City) -> Any:
    app = Starlette(
        routes=routes(
            MinimalConsole(city.base, {ORG: city.key}),
            UploadStore(IntakeStore.config_dir_of(city.home)),
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://console", headers={"X-Test-Org": ORG}
    ) as c:
        yield c


#: Headers as a foundation writes them: none is a canonical field name.
HEADERS = ["Kode Penerima", "Nama Lengkap", "No. KTP", "Tgl Lahir", "L/P", "Desa/Kelurahan"]


def sheet(city: City) -> list[list[str | None]]:
    rows: list[list[str | None]] = [
        [f"U-{i}", k["full_name"], k["nik"], k["birth_date"].strftime("%d-%m-%Y"), k["sex"], None]
        for i, k in enumerate(city.known, start=1)
    ]
    rows += [
        ["U-10", "Zulkarnaen Wiratmadja Putra", None, "03-02-1931", "L", None],  # new person
        ["U-11", None, "12", None, "L", None],  # identifies nobody: malformed NIK, no name
        ["U-12", "Ratna Sarinah", None, "30-02-1990", "P", None],  # impossible date
        ["U-13", '=HYPERLINK("http://x","klik")', None, None, None, None],  # formula text
    ]
    return rows


def proposed(page: str) -> dict[str, str]:
    """header -> selected field ("" for ignore), read from the mapping form."""
    heads = dict(re.findall(r'name="head-(\d+)" value="([^"]*)"', page))
    chosen = {}
    for select in re.finditer(r'<select id="col-(\d+)".*?</select>', page, re.S):
        found = re.search(r'<option value="([^"]*)" selected>', select.group(0))
        chosen[heads[select.group(1)]] = found.group(1) if found else ""
    return chosen


def counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'<dd id="count-(\w+)">(\d+)</dd>', page)}


def intake_rows(home: Path) -> int:
    with sqlite3.connect(home / "intake.sqlite") as con:
        [(n,)] = con.execute("SELECT count(*) FROM submissions").fetchall()
    return int(n)


def graph_counts(city: City) -> tuple[int, int]:
    env = city.env
    with GraphDatabase.driver(
        env["NEO4J_URI"], auth=(env["NEO4J_USER"], env["NEO4J_PASSWORD"])
    ) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (p:Person) WITH count(p) AS persons"
            " OPTIONAL MATCH (r:SourceRecord) RETURN persons, count(r) AS records"
        )
    return int(records[0]["persons"]), int(records[0]["records"])


async def upload(client: httpx.AsyncClient, data: bytes, name: str = "daftar.xlsx") -> str:
    answer = await client.post(
        "/unggah", data={"csrf": CSRF}, files={"file": (name, data, "application/octet-stream")}
    )
    assert answer.status_code == 200, answer.text
    return answer.text


async def confirm(client: httpx.AsyncClient, page: str) -> httpx.Response:
    chosen = proposed(page)
    heads = dict(re.findall(r'name="head-(\d+)" value="([^"]*)"', page))
    form = {"csrf": CSRF}
    for index, header in heads.items():
        form[f"head-{index}"] = header
        form[f"col-{index}"] = chosen[header]
    return await client.post("/unggah/kolom", data=form)


async def test_a_foundation_uploads_maps_sees_quarantine_and_matches(
    client: httpx.AsyncClient, city: City
) -> None:
    assert (await client.get("/unggah")).status_code == 200
    data = xlsx_bytes(HEADERS, sheet(city))
    page = await upload(client, data)
    assert proposed(page) == {
        "Kode Penerima": "source_record_id",
        "Nama Lengkap": "full_name",
        "No. KTP": "nik",
        "Tgl Lahir": "birth_date",
        "L/P": "sex",
        "Desa/Kelurahan": "kelurahan",
    }
    assert "=HYPERLINK" not in page.replace("&#39;=HYPERLINK", "")  # escaped, never a formula

    answer = await confirm(client, page)
    assert answer.status_code == 200, answer.text
    first = counts(answer.text)
    assert first["read"] == len(sheet(city)) == first["staged"] + first["quarantined"]
    assert first["quarantined"] == 2
    assert 'data-reason="no_identifying_field"' in answer.text
    assert 'data-reason="impossible_date"' in answer.text
    assert "30-02-1990" in answer.text  # the cell to fix, as written
    # the known people matched, the invented one is new; the formula row has a name too
    assert first["known"] >= len(city.known)
    assert first["new"] >= 1
    assert first["unchanged"] == 0
    assert first["known"] + first["new"] + first.get("refused", 0) == first["staged"]
    # the source's TOML sits beside the API submissions', named for the organization
    toml = IntakeStore.config_dir_of(city.home) / f"{upload_source_id(ORG)}.toml"
    assert "Kode Penerima" in toml.read_text()

    # the same file again: the mapping is remembered, nothing changes
    before = (intake_rows(city.home), graph_counts(city))
    again_page = await upload(client, data)
    assert proposed(again_page) == proposed(page)
    again = await confirm(client, again_page)
    assert again.status_code == 200, again.text
    second = counts(again.text)
    assert (second["read"], second["staged"], second["quarantined"]) == (
        first["read"],
        first["staged"],
        first["quarantined"],
    )
    # nothing is sent again: every staged row was sent before with the same values
    assert (second["unchanged"], second["known"], second["new"]) == (first["staged"], 0, 0)
    assert (intake_rows(city.home), graph_counts(city)) == before


def wait_for_staging(base: str) -> None:
    for _ in range(300):  # the real-time linker waits for the published generation
        if httpx.get(f"{base}/health", timeout=5).json().get("staging"):
            return
        time.sleep(0.2)
    pytest.fail("hub serve has no staging generation")


async def test_a_spent_budget_leaves_the_rest_waiting_for_the_next_upload(
    city: City, tmp_path: Path
) -> None:
    small = "ORG-YAYASAN-KECIL"
    config = tmp_path / "hub.toml"
    config.write_text("[submissions]\nrate_per_minute = 0.001\nburst = 2\n")
    key = hub(city.env, "keys", "create", "--org", small, "--role", "foundation")
    with served({**city.env, "HUB_CONFIG": str(config)}) as base:
        wait_for_staging(base)
        app = Starlette(
            routes=routes(
                MinimalConsole(base, {small: key.stdout.splitlines()[-1]}),
                UploadStore(tmp_path / "config"),
            )
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://console",
            headers={"X-Test-Org": small},
        ) as client:
            page = await upload(client, xlsx_bytes(HEADERS, sheet(city)))
            answer = await confirm(client, page)
    assert answer.status_code == 200, answer.text
    found = counts(answer.text)
    assert found["known"] + found["new"] == 2  # the burst
    assert found["waiting"] == found["staged"] - 2
    assert "Unggah berkas yang sama lagi setelah" in answer.text


async def test_submitrecord_is_idempotent_by_record_key(city: City, tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "config")
    store.accept(ORG, "a.xlsx", xlsx_bytes(HEADERS, sheet(city)))
    config = store.confirm(ORG, propose_mapping(HEADERS))
    rows = validate(config).submissions()
    console_ = MinimalConsole(city.base, {ORG: city.key})
    request = Request({"type": "http", "headers": [(b"x-test-org", ORG.encode())]})
    once = await submit_rows(console_, request, rows)
    twice = await submit_rows(console_, request, rows)
    assert once.record_keys == twice.record_keys
    assert once.person_ids == twice.person_ids
    prefix = intake_source_id(ORG) + ":"
    assert all(k.startswith(prefix) for k in once.record_keys)
    assert twice.new == 0


async def test_other_files_and_forms_are_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/unggah", data={"csrf": CSRF}, files={"file": ("daftar.pdf", b"%PDF-1.4", "x")}
    )
    assert answer.status_code == 400
    # worded in the console's language from the refusal's code (console/upload_labels.py)
    assert 'data-code="wrong_type"' in answer.text
    assert "daftar.pdf bukan berkas .xlsx atau .csv" in answer.text
    no_token = await client.post(
        "/unggah", files={"file": ("daftar.csv", b"Nama\nAni\n", "text/csv")}
    )
    assert no_token.status_code == 403
    stranger = await client.get("/unggah", headers={"X-Test-Org": "ORG-NOBODY"})
    assert stranger.status_code == 403
