"""Several server processes on one home: what must stay correct across them.

Two real `hub serve` processes share one $HUB_HOME (as `hub serve --workers 2`'s
workers do; separate ports here so the test can choose which one it talks to):
the rate limit is one bucket for both, the audit chain stays one chain under
concurrent writes from both, and a subscription held on one process gets an
event written through the other (the journal, tailed by each).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from hubcli import hub_env, run_hub, served
from websockets.sync.client import connect

from graph.constraints import ensure
from graph.driver import GraphTarget, open_driver
from graph.loader import load
from hub.security import KeyStore, SecurityDB
from hub.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))
from city import city

pytestmark = [pytest.mark.graph, pytest.mark.slow]

BURST = 6
READ = '{ household(id: "H1") { id members { id } } }'


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workers")
    conn = GraphTarget(
        uri=os.environ.get("NEO4J_TEST_URI", "bolt://127.0.0.1:7687"),
        user=os.environ.get("NEO4J_TEST_USER", "neo4j"),
        password=os.environ.get("NEO4J_TEST_PASSWORD", ""),
        database=os.environ.get("NEO4J_TEST_DATABASE", "neo4j"),
    )
    with open_driver(conn) as driver:
        ensure(driver, conn.database)
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=conn.database)
        load(driver, city(), conn.database)
    # a tiny rate limit (one bucket per key: each other call below has its own key)
    (root / "hub.toml").write_text(f"rate_limit = 0.001\nrate_burst = {BURST}\n")
    return root


@pytest.fixture(scope="module")
def servers(home: Path) -> Iterator[list[str]]:
    env = {**hub_env(home / "hub-home"), "HUB_CONFIG": str(home / "hub.toml")}
    with served(env) as one, served(env) as two:
        yield [one, two]


def _key(home: Path, role: str = "dinsos_admin") -> str:
    settings = load_settings({"HUB_HOME": str(home / "hub-home")})
    db = SecurityDB.from_settings(settings)
    try:
        return KeyStore(db).create("ORG-DINSOS", role)[1]
    finally:
        db.close()


def _post(base: str, key: str, query: str) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": query},
        timeout=30,
        headers={"X-API-Key": key, "X-Purpose": "workers test"},
    )


def test_the_rate_limit_is_one_bucket_for_both_processes(home: Path, servers: list[str]) -> None:
    key = _key(home)
    codes = [_post(servers[i % 2], key, "{ __typename }").status_code for i in range(2 * BURST)]
    assert codes.count(200) == BURST
    assert codes.count(429) == BURST


def test_the_audit_chain_verifies_after_concurrent_writes_from_both(
    home: Path, servers: list[str]
) -> None:
    keys = [_key(home) for _ in range(8)]

    def reads(i: int) -> list[int]:
        return [_post(servers[i % 2], keys[i], READ).status_code for _ in range(BURST - 1)]

    with ThreadPoolExecutor(8) as pool:
        codes = [c for batch in pool.map(reads, range(8)) for c in batch]
    assert codes == [200] * len(codes)
    env = {**hub_env(home / "hub-home"), "HUB_CONFIG": str(home / "hub.toml")}
    verified = run_hub(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    db = SecurityDB(home / "hub-home" / "security.sqlite")
    try:
        with db.read() as conn:
            rows = conn.execute("SELECT seq, operation FROM audit_log ORDER BY seq").fetchall()
    finally:
        db.close()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert sum(1 for r in rows if r[1] == "read:household") >= len(codes)


def test_a_subscription_on_one_process_gets_a_write_through_the_other(
    home: Path, servers: list[str]
) -> None:
    listen, write = _key(home), _key(home)
    ws_url = servers[0].replace("http://", "ws://") + "/graphql"
    with connect(
        ws_url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=10,
    ) as ws:
        ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"apiKey": listen, "X-Purpose": "workers test"},
                }
            )
        )
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": 'subscription { householdChanged(id: "H1") { householdId kind } }'
                    },
                }
            )
        )
        message: dict[str, object] = {}
        for attempt in range(5):  # the subscription may not listen yet when the first write lands
            written = _post(
                servers[1],
                write,
                """mutation { recordService(service:
                {householdId: "H1", program: "ZAKAT", serviceDate: "2026-11-03"}) { id } }""",
            )
            assert written.status_code == 200 and "errors" not in written.json(), written.text
            try:  # each look waits longer (3, 6, 12 s...): the tailer and a loaded machine
                message = json.loads(ws.recv(timeout=3 * 2**attempt))
                break
            except TimeoutError:
                continue
        assert message.get("type") == "next", message
        assert message["payload"] == {
            "data": {"householdChanged": {"householdId": "H1", "kind": "SERVICE_RECORDED"}}
        }
