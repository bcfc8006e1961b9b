"""Login CSRF: a sign-in form posted from another site (a page that submits the
attacker's own API key) would put the attacker's session in a social worker's
browser, and what they then upload or record would go to the attacker's
organization. The console's and the dashboard's sign-in (one session cookie)
refuse a POST the browser says comes from another site (`Sec-Fetch-Site`, else an
`Origin` that is not the hub's), through the hub's real app; no graph."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from hub.app import create_app
from hub.dashboard import COOKIE
from hub.security import KeyStore, SecurityDB
from hub.settings import Settings

FOREIGN = (
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.hub.example"},
    {"Origin": "https://evil.example"},  # a browser that sends no Sec-Fetch-Site
    {"Origin": "null"},  # a sandboxed frame or a data: page
)
OURS = (
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://hub"},
    {"Sec-Fetch-Site": "none"},  # typed or bookmarked
    {"Origin": "http://hub"},
    {},  # not a browser (a script, curl)
)


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/app/login", "/dashboard/login"])
async def test_a_sign_in_posted_from_another_site_is_refused(tmp_path: Path, path: str) -> None:
    settings = Settings(home=tmp_path)
    with SecurityDB.from_settings(settings) as db:
        key = KeyStore(db).create("ORG-DINSOS", "social_worker")[1]
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        for headers in FOREIGN:
            r = await client.post(path, data={"api_key": key}, headers=headers)
            assert r.status_code == 403, headers
            assert COOKIE not in r.headers.get("set-cookie", ""), headers
            client.cookies.clear()
        for headers in OURS:
            r = await client.post(path, data={"api_key": key}, headers=headers)
            assert r.status_code == 303, headers
            assert COOKIE in r.headers["set-cookie"], headers
            client.cookies.clear()
