"""The console in a real headless Chromium: sign in, search a name, open the
household, see its members and its service timeline; assess it, refer it to a
foundation, which accepts from its inbox; axe-core finds no serious or
critical accessibility violation on the pages."""

from __future__ import annotations

from typing import Any

import pytest
from consolecity import City
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.slow

SERVED = """{ households(first: 100) { edges { node { id
  members { fullName } serviceHistory { id } } } } }"""


def axe_violations(browser: WebDriver, axe: str) -> list[dict[str, Any]]:
    browser.execute_script(axe)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)]}]));"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_sign_in_search_open_household(city: City, browser: WebDriver, axe_source: str) -> None:
    admin = city.key("social_worker")
    served = [
        e["node"]
        for e in city.graphql(admin, SERVED)["data"]["households"]["edges"]
        if e["node"]["serviceHistory"] and e["node"]["members"]
    ]
    assert served, "the generated city has no household with services"
    household = served[0]
    name = household["members"][0]["fullName"]
    wait = WebDriverWait(browser, 20)

    browser.delete_all_cookies()
    browser.get(f"{city.base}/app/login")
    assert axe_violations(browser, axe_source) == []
    browser.find_element(By.ID, "api_key").send_keys(admin)
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "name")))

    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    # the purpose is asked once for the task, then the search runs
    select = Select(wait.until(ec.presence_of_element_located((By.ID, "purpose"))))
    select.select_by_value("case_management")
    assert axe_violations(browser, axe_source) == []
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "results")))
    assert axe_violations(browser, axe_source) == []

    link = browser.find_element(By.CSS_SELECTOR, f'a[href="/app/keluarga/{household["id"]}"]')
    link.click()
    wait.until(ec.presence_of_element_located((By.ID, "members")))
    members = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#members td.name")]
    assert name in members
    rows = browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr.service")
    assert len(rows) == len(household["serviceHistory"])
    assert axe_violations(browser, axe_source) == []


def test_pages_fit_a_phone(city: City, browser: WebDriver, axe_source: str) -> None:
    """At 360 px wide the page does not scroll sideways and stays accessible."""
    browser.set_window_size(360, 800)
    try:
        browser.get(f"{city.base}/app/cari")
        if "/app/login" in browser.current_url:
            browser.find_element(By.ID, "api_key").send_keys(city.key("social_worker"))
            browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
        for path in ("/app/cari", "/app/beban-kasus", "/app/dasbor"):
            browser.get(f"{city.base}{path}")
            if "/app/tujuan" in browser.current_url:
                browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
            width = browser.execute_script("return document.documentElement.scrollWidth")
            inner = browser.execute_script("return window.innerWidth")
            assert width <= inner, (path, width, inner)
            assert axe_violations(browser, axe_source) == [], path
    finally:
        browser.set_window_size(1024, 900)


WITH_PROBLEMS = """{ households(first: 100) { edges { node { id
  members { fullName } problems { code } } } } }"""
FOUNDATIONS = "{ serviceDirectory { organization type } }"


def sign_in(browser: WebDriver, city: City, key: str) -> None:
    browser.get(f"{city.base}/app/login")
    browser.find_element(By.ID, "api_key").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()


def state_purpose(browser: WebDriver, wait: WebDriverWait) -> None:
    select = Select(wait.until(ec.presence_of_element_located((By.ID, "purpose"))))
    select.select_by_value("case_management")
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()


def test_assess_refer_and_the_foundation_accepts_from_its_inbox(
    city: City, browser: WebDriver, axe_source: str
) -> None:
    worker = city.key("social_worker")
    households = city.graphql(worker, WITH_PROBLEMS)["data"]["households"]["edges"]
    household = next(
        e["node"] for e in households if e["node"]["problems"] and e["node"]["members"]
    )
    hid, name = household["id"], household["members"][0]["fullName"]
    directory = city.graphql(worker, FOUNDATIONS)["data"]["serviceDirectory"]
    foundation = next(d["organization"] for d in directory if d["type"] == "foundation")
    wait = WebDriverWait(browser, 20)
    browser.delete_all_cookies()

    # search, then open the household
    sign_in(browser, city, worker)
    wait.until(ec.presence_of_element_located((By.ID, "name"))).send_keys(name)
    browser.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    state_purpose(browser, wait)
    wait.until(ec.presence_of_element_located((By.ID, "results")))
    browser.find_element(By.CSS_SELECTOR, f'a[href="/app/keluarga/{hid}"]').click()
    wait.until(ec.presence_of_element_located((By.ID, "members")))

    # the assessment, with its plan
    browser.find_element(By.CSS_SELECTOR, f'a[href="/app/keluarga/{hid}/asesmen"]').click()
    wait.until(ec.presence_of_element_located((By.ID, "assessment-form")))
    assert axe_violations(browser, axe_source) == []
    browser.find_element(By.CSS_SELECTOR, "input[name=ppks]").click()
    browser.find_element(By.ID, "plan").send_keys("Kunjungan rumah dan pendampingan")
    browser.find_element(By.ID, "goals").send_keys("Anak kembali sekolah")
    programs = browser.find_elements(By.CSS_SELECTOR, "input[name=programs]")
    if programs:
        programs[0].click()
    browser.find_element(By.CSS_SELECTOR, "#assessment-form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "assessments")))
    assert "Anak kembali sekolah" in browser.find_element(By.ID, "assessments").text

    # the referral: widen the directory to every problem and area, pick the foundation
    browser.find_element(By.CSS_SELECTOR, f'a[href="/app/keluarga/{hid}/rujukan"]').click()
    wait.until(ec.presence_of_element_located((By.ID, "referral-form")))
    Select(browser.find_element(By.ID, "ppks")).select_by_value("")
    Select(browser.find_element(By.ID, "kelurahan")).select_by_value("")
    browser.find_element(By.CSS_SELECTOR, "#directory-filter button[type=submit]").click()
    choice = wait.until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, f'#referral-form input[data-organization="{foundation}"]')
        )
    )
    assert axe_violations(browser, axe_source) == []
    choice.click()
    browser.find_element(By.ID, "note").send_keys("Mohon pendampingan")
    browser.find_element(By.CSS_SELECTOR, "#referral-form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "referrals")))
    assert foundation in browser.find_element(By.ID, "referrals").text

    # the foundation, signed in with its own key, accepts from its inbox
    sign_in(browser, city, city.key("foundation", foundation))
    wait.until(ec.presence_of_element_located((By.ID, "name")))
    browser.find_element(By.CSS_SELECTOR, 'a[href="/app/kotak-masuk"]').click()
    state_purpose(browser, wait)
    wait.until(ec.presence_of_element_located((By.ID, "incoming")))
    assert axe_violations(browser, axe_source) == []
    card = next(
        li
        for li in browser.find_elements(By.CSS_SELECTOR, "#incoming li.referral")
        if f"/app/keluarga/{hid}" in li.get_attribute("innerHTML")
    )
    card.find_element(By.CSS_SELECTOR, "button[value=accepted]").click()
    wait.until(ec.presence_of_element_located((By.ID, "incoming")))

    # back as the social worker: the household's timeline shows both
    sign_in(browser, city, worker)
    wait.until(ec.presence_of_element_located((By.ID, "name")))
    browser.get(f"{city.base}/app/keluarga/{hid}")
    state_purpose(browser, wait)
    wait.until(ec.presence_of_element_located((By.ID, "timeline")))
    referrals = browser.find_elements(By.CSS_SELECTOR, "#timeline tr.referral")
    assert any(foundation in r.text and "Disetujui" in r.text for r in referrals)
    assessments = browser.find_elements(By.CSS_SELECTOR, "#timeline tr.assessment")
    assert any("Kunjungan rumah" in r.text for r in assessments)
    assert axe_violations(browser, axe_source) == []
