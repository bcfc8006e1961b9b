"""/dashboard: sign-in (API key form, header, one-time link), roles, the
session cookie, the charts; and a real headless Chromium rendering it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from hubcli import hub, hub_env, linked_city, served

from hub.app import create_app
from hub.dashboard import COOKIE, login_link
from hub.security import KeyStore, SecurityDB
from hub.settings import Settings, load_settings


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    env, _ = linked_city(tmp_path_factory, "dash", households=120, seed=3, foundations=3)
    return load_settings(env)


def _key(settings: Settings, role: str) -> str:
    return KeyStore(SecurityDB.from_settings(settings)).create("ORG-DINSOS", role)[1]


@pytest.fixture
async def client(linked: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(linked)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as c:
        yield c


@pytest.mark.slow
@pytest.mark.anyio
async def test_anonymous_is_sent_to_the_login_form(client: httpx.AsyncClient) -> None:
    r = await client.get("/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
    form = await client.get("/dashboard/login")
    assert 'name="api_key"' in form.text and 'method="post"' in form.text


@pytest.mark.slow
@pytest.mark.anyio
async def test_login_form_sets_a_strict_httponly_cookie(
    client: httpx.AsyncClient, linked: Settings
) -> None:
    r = await client.post("/dashboard/login", data={"api_key": _key(linked, "social_worker")})
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/;" in cookie
    page = await client.get("/dashboard")
    assert page.status_code == 200
    for chart in ("chart-coverage", "chart-funding", "chart-trend"):
        assert f'id="{chart}"' in page.text
    assert "<script" not in page.text and "http://" not in page.text.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "default-src 'none'" in page.headers["content-security-policy"]


@pytest.mark.slow
@pytest.mark.anyio
async def test_other_roles_and_bad_keys_are_refused(
    client: httpx.AsyncClient, linked: Settings
) -> None:
    analyst = _key(linked, "analyst")
    r = await client.post("/dashboard/login", data={"api_key": analyst})
    assert r.status_code == 403 and COOKIE not in r.headers.get("set-cookie", "")
    r = await client.get("/dashboard", headers={"X-API-Key": analyst})
    assert r.status_code == 403
    r = await client.post("/dashboard/login", data={"api_key": "sp_nope.nope"})
    assert r.status_code == 401
    client.cookies.set(COOKIE, "forged.cookie")
    r = await client.get("/dashboard")
    assert r.status_code == 303


@pytest.mark.slow
@pytest.mark.anyio
async def test_api_key_header_is_served_directly(
    client: httpx.AsyncClient, linked: Settings
) -> None:
    r = await client.get("/dashboard", headers={"X-API-Key": _key(linked, "dinsos_admin")})
    assert r.status_code == 200 and 'id="chart-coverage"' in r.text


@pytest.mark.slow
@pytest.mark.anyio
async def test_revoked_key_ends_the_session(client: httpx.AsyncClient, linked: Settings) -> None:
    store = KeyStore(SecurityDB.from_settings(linked))
    record, key = store.create("ORG-DINSOS", "dinsos_admin")
    await client.post("/dashboard/login", data={"api_key": key})
    assert (await client.get("/dashboard")).status_code == 200
    store.revoke(record.key_id)
    assert (await client.get("/dashboard")).status_code == 303


@pytest.mark.slow
@pytest.mark.anyio
async def test_signing_out_needs_the_sessions_csrf_token(
    client: httpx.AsyncClient, linked: Settings
) -> None:
    """A cross-site form cannot sign a person out: /dashboard/logout wants the token
    the session's own page carries."""
    await client.post("/dashboard/login", data={"api_key": _key(linked, "dinsos_admin")})
    page = await client.get("/dashboard")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, "the dashboard's sign-out form carries no CSRF token"
    for sent in ({}, {"csrf": "forged"}):
        refused = await client.post("/dashboard/logout", data=sent)
        assert refused.status_code == 403 and COOKIE not in refused.headers.get("set-cookie", "")
        assert (await client.get("/dashboard")).status_code == 200  # still signed in
    out = await client.post("/dashboard/logout", data={"csrf": token.group(1)})
    assert out.status_code == 303 and out.headers["location"] == "/dashboard/login"
    assert (await client.get("/dashboard")).status_code == 303


@pytest.mark.slow
@pytest.mark.anyio
async def test_one_time_link_works_once(client: httpx.AsyncClient, linked: Settings) -> None:
    link = login_link(linked, "ORG-DINSOS", "social_worker", "http://hub")
    first = await client.get(link)
    assert first.status_code == 303 and COOKIE in first.headers["set-cookie"]
    client.cookies.clear()
    again = await client.get(link)
    assert again.status_code == 401


@pytest.fixture(scope="module")
def server(linked: Settings) -> Iterator[str]:
    with served(hub_env(linked.home)) as base:
        yield base


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail(
            "chromium is not installed: scripts/test.sh installs it (apt-get install chromium)"
        )
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1200,1800",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_headless_chromium_renders_the_charts(
    server: str, linked: Settings, tmp_path: Path
) -> None:
    env = hub_env(linked.home)
    dom = _chromium(
        tmp_path / "p1",
        "--dump-dom",
        hub(env, "dashboard-link", "--base-url", server).stdout.strip(),
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    for chart in ("chart-coverage", "chart-funding", "chart-trend"):
        assert f'id="{chart}"' in dom.stdout
    bars = dom.stdout.count('class="bar covered"')  # one per kecamatan with a PPKS household
    assert 0 < bars <= 30 and dom.stdout.count('class="bar gap"') == bars
    assert 'class="slice"' in dom.stdout and 'class="line"' in dom.stdout
    shot = tmp_path / "dashboard.png"
    link = hub(env, "dashboard-link", "--base-url", server).stdout.strip()
    result = _chromium(tmp_path / "p2", f"--screenshot={shot}", link)
    assert result.returncode == 0 and shot.stat().st_size > 20_000, result.stderr[-2000:]
    keep = os.environ.get("HUB_DASHBOARD_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
