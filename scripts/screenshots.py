"""Screenshots of the console's main pages, for the README.

    hub demo                                  # in one shell: a synthetic city, served
    .venv/bin/python scripts/screenshots.py --base http://127.0.0.1:8000 \
        --api-key <the Dinsos key hub demo printed> [--out docs/screenshots]

It signs in as a person does (the sign-in form, the purpose form), then opens
each page in Debian's headless Chromium at a desktop width and at a phone
width (390 px) and saves one PNG per page and width. The city is synthetic
(`hub generate`), so the pictures show no real person. Pages a role cannot use
are skipped with a line on stderr, not drawn as an error page.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

#: the window sizes each page is drawn at
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def browser() -> WebDriver:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        raise SystemExit(
            "chromium and chromedriver are needed: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=ChromeService(driver))


def sign_in(b: WebDriver, base: str, api_key: str) -> None:
    b.get(f"{base}/app/login")
    b.find_element(By.ID, "api_key").send_keys(api_key)
    b.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    b.get(f"{base}/app/tujuan?task=cari&next=/app/cari")  # the first purpose offered
    b.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def shoot(b: WebDriver, out: Path, stem: str) -> None:
    """The page at each width, as tall as its content (at most 2400 px)."""
    for width_name, (width, height) in WIDTHS.items():
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
        b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)  # type: ignore[attr-defined]
        full = int(b.execute_script("return document.documentElement.scrollHeight"))
        metrics["height"] = min(max(height, full), 2400)
        b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)  # type: ignore[attr-defined]
        path = out / f"{stem}-{width_name}.png"
        b.save_screenshot(str(path))
        print(f"wrote {path}")
    b.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--api-key", required=True, help="a Dinsos key (hub demo prints one)")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    b = browser()
    try:
        b.set_window_size(*WIDTHS["desktop"])
        sign_in(b, args.base, args.api_key)
        b.get(f"{args.base}/app/cari?decile=4")
        shoot(b, args.out, "cari")
        first = b.find_elements(By.CSS_SELECTOR, "a[href^='/app/keluarga/']")
        if first:
            b.get(first[0].get_attribute("href") or "")
            shoot(b, args.out, "keluarga")
        else:
            print("no household found to show", file=sys.stderr)
        for stem, path in (
            ("beban-kasus", "/app/beban-kasus"),
            ("kotak-masuk", "/app/kotak-masuk"),
            ("tinjauan", "/app/tinjauan"),
            ("usulan", "/app/usulan"),
            ("dasbor", "/app/dasbor"),
            ("unggah", "/app/unggah"),
            ("loket", "/app/loket"),
            ("permohonan", "/app/permohonan"),
            ("pengaduan", "/app/pengaduan"),
            ("cek-status", "/cek-status"),
            ("permohonan-baru", "/permohonan-baru"),
        ):
            b.get(args.base + path)
            if "/app/tujuan" in b.current_url:  # a task that asks its purpose first
                b.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
            shoot(b, args.out, stem)
    finally:
        b.quit()


if __name__ == "__main__":
    main()
