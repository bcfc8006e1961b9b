"""A hub served over plain HTTP on an office's network (not loopback, so the
browser sends no Sec-Fetch-Site) signs a social worker in from its own sign-in
page: the login-CSRF check (console.session.from_another_site) then reads the
form's Origin, which the browser sends only if the page's Referrer-Policy lets
it (under `no-referrer` a same-origin form POST says `Origin: null`, refused as
a sandboxed frame's). Real Chromium against the hub's real app; no graph."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from consolecity import LAN_HOST
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from hub.app import create_app
from hub.dashboard import COOKIE
from hub.security import KeyStore, SecurityDB
from hub.settings import Settings

BOUND_S = 60


@pytest.fixture(scope="module")
def hub_over_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL by the LAN name, a social worker's key) of the app on a free port."""
    settings = Settings(home=tmp_path_factory.mktemp("over-http"))
    with SecurityDB.from_settings(settings) as db:
        key = KeyStore(db).create("ORG-DINSOS", "social_worker")[1]
    # no lifespan: the sign-in reads only the key store, not the graph
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + BOUND_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the hub's app did not start serving")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{LAN_HOST}:{port}", key
    finally:
        server.should_exit = True
        thread.join(BOUND_S)


@pytest.mark.parametrize("path", ["/app/login", "/dashboard/login"])
def test_a_social_worker_signs_in_over_plain_http(
    hub_over_http: tuple[str, str], browser: WebDriver, path: str
) -> None:
    base, key = hub_over_http
    browser.delete_all_cookies()
    browser.get(base + path)
    browser.find_element(By.CSS_SELECTOR, "input[name=api_key]").send_keys(key)
    button = browser.find_element(By.CSS_SELECTOR, "form button")
    button.click()
    WebDriverWait(browser, BOUND_S).until(staleness_of(button))  # the POST's answer is shown
    assert browser.get_cookie(COOKIE) is not None, browser.find_element(By.TAG_NAME, "body").text
    assert not browser.current_url.endswith(path)
    browser.delete_all_cookies()
