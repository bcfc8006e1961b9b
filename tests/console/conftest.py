"""One generated city per test session, linked, loaded into the test Neo4j and
served by `hub serve`; the console's tests sign in to it with real API keys."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from consolecity import LAN_HOST, City
from hubcli import hub, linked_city, served
from jwtissuer import ISSUER, Issuer
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.remote.webdriver import WebDriver

from hub.settings import load_settings

#: 150 households linked at 0.9 queue 2 uncertain pairs; at this, 20 and more
REVIEW_LINK_THRESHOLD = 0.9999


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    # a strict link threshold leaves 20-odd pairs to a clerk (the review page's test)
    env, _ = linked_city(
        tmp_path_factory,
        "console",
        households=150,
        seed=15,
        foundations=3,
        link_threshold=REVIEW_LINK_THRESHOLD,
    )
    hub(env, "load")
    issuer = Issuer(tmp_path_factory.mktemp("console-sso") / "jwks.json")
    env = {**env, "HUB_JWT_ISSUER": ISSUER, "HUB_JWT_JWKS": str(issuer.jwks_file)}
    with served(env) as base:
        yield City(base, load_settings(env), env, issuer)


ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".browser-tools" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless Debian Chromium for the session; failing (not skipping)
    when it cannot start: scripts/test.sh installs chromium and chromium-driver."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.fail(
            "chromium and chromedriver are needed: scripts/test.sh installs them "
            "(apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1024,900",
        # a host name that is not loopback, as an office's hub on its LAN is: the
        # browser treats it as not secure (no Sec-Fetch-* headers), unlike 127.0.0.1
        f"--host-resolver-rules=MAP {LAN_HOST} 127.0.0.1",
    ):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(options=options, service=ChromeService(driver_path))
    except WebDriverException as exc:
        pytest.fail(f"headless Chromium did not start: {exc.msg}")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is missing at {AXE}: run `bash scripts/setup.sh --test` "
            "(it runs `npm install --prefix .browser-tools axe-core`)"
        )
    return AXE.read_text(encoding="utf-8")
