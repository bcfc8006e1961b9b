"""An http-json source against a real local server (Starlette on uvicorn, in a thread)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from waiting import wait_until

from connectors import SourceConfigError, SourceHTTPError, ingest
from tests.connectors.conftest import WriteSource

TOKEN = "s3cret"
PEOPLE = [
    {"id": f"P{i}", "nama": f"Warga {i}", "nik": f"32730115019{i:05d}", "lahir": "1990-01-15"}
    for i in range(1, 8)
]
COLUMNS = (
    '[columns]\nid = "source_record_id"\nnama = "full_name"\nnik = "nik"\nlahir = "birth_date"\n'
)


async def cursor_pages(request: Request) -> Response:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return JSONResponse({"error": "unauthorised"}, status_code=401)
    start = int(request.query_params.get("cursor", "0"))
    nxt = f"/people?cursor={start + 3}" if start + 3 < len(PEOPLE) else None
    return JSONResponse({"data": PEOPLE[start : start + 3], "next": nxt})


async def numbered_pages(request: Request) -> Response:
    page, limit = int(request.query_params["page"]), int(request.query_params["limit"])
    return JSONResponse({"result": {"items": PEOPLE[(page - 1) * limit : page * limit]}})


async def broken(request: Request) -> Response:
    return PlainTextResponse("database down", status_code=500)


async def bad_json(request: Request) -> Response:
    return Response('{"data": [{"id": "P1",', media_type="application/json")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = Starlette(
        routes=[
            Route("/people", cursor_pages),
            Route("/paged", numbered_pages),
            Route("/broken", broken),
            Route("/bad", bad_json),
        ]
    )
    # port 0: the server binds a free port itself (no pick-then-bind race)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_until(lambda: srv.started or not thread.is_alive(), "the test server to start")
    assert srv.started, "the test server ended at start"
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def http_source(write_source: WriteSource, url: str, http: str, **kw: Any) -> Any:
    return write_source(kind="http-json", file=url, extra=f"[http]\n{http}", **kw)


def test_cursor_paging_with_bearer_token(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("PARTNER_TOKEN", TOKEN)
    config = http_source(
        write_source, f"{server}/people",
        'token_env = "PARTNER_TOKEN"\nrecords_path = "data"\nnext_path = "next"\n', columns=COLUMNS,
    )  # fmt: skip
    [summary] = ingest(con, [config])
    assert (summary.read, summary.staged) == (7, 7)
    assert con.execute("SELECT max(row_number) FROM current_records").fetchone() == (7,)


def test_page_and_limit_paging(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, server: str
) -> None:
    config = http_source(
        write_source, f"{server}/paged",
        'records_path = "result.items"\npage_param = "page"\nlimit_param = "limit"\n'
        "page_size = 2\n",
        columns=COLUMNS,
    )  # fmt: skip
    [summary] = ingest(con, [config])
    assert summary.staged == 7


def test_missing_token_env_is_a_config_error(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    config = http_source(
        write_source, f"{server}/people", 'token_env = "NO_SUCH_TOKEN"\n', columns=COLUMNS
    )
    with pytest.raises(SourceConfigError, match="NO_SUCH_TOKEN is not set"):
        ingest(con, [config])


def test_http_500_keeps_earlier_data(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, server: str
) -> None:
    ok = http_source(
        write_source, f"{server}/paged",
        'page_param = "page"\nlimit_param = "limit"\nrecords_path = "result.items"\n',
        columns=COLUMNS,
    )  # fmt: skip
    ingest(con, [ok])
    broken = http_source(write_source, f"{server}/broken", "", columns=COLUMNS)
    with pytest.raises(SourceHTTPError) as err:
        ingest(con, [broken])
    assert "/broken (page 1)" in str(err.value) and "HTTP 500" in str(err.value)
    assert con.execute("SELECT count(*) FROM current_records").fetchone() == (7,)


def test_http_bad_json_names_url_line_and_column(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, server: str
) -> None:
    config = http_source(write_source, f"{server}/bad", "", columns=COLUMNS)
    with pytest.raises(SourceHTTPError) as err:
        ingest(con, [config])
    message = str(err.value)
    assert "/bad (page 1)" in message and "not valid JSON at line 1, column" in message
    assert con.execute("SELECT count(*) FROM batches WHERE status = 'failed'").fetchone() == (1,)
