"""Tinjauan (console/review_pages.py) against the served test city: the page
shows the API's first open pair side by side, refuses a role that may not
decide, refuses a POST without the session's CSRF token; in a real headless
Chromium a reviewer clears 20 pairs with the keyboard and the next `hub link`
keeps every decision."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from consolecity import City
from hubcli import hub
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from test_app import csrf
from test_browser import axe_violations

pytestmark = pytest.mark.slow

QUEUE = """{ reviewQueue(first: 100) { totalCount edges { node { pairId
  left { recordKey fullName nik } right { recordKey fullName nik } } } } }"""
DECISIONS = 20


@contextmanager
def reviewer(city: City, role: str, organization: str = "ORG-DINSOS") -> Iterator[httpx.Client]:
    """Signed in with `role`, the review task's purpose stated."""
    with httpx.Client(base_url=city.base, timeout=30) as client:
        assert (
            client.post("/app/login", data={"api_key": city.key(role, organization)}).status_code
            == 303
        )
        asked = client.get("/app/tinjauan")
        assert asked.status_code == 303 and asked.headers["location"].startswith("/app/tujuan")
        form = client.get(asked.headers["location"])
        stated = client.post(
            "/app/tujuan",
            data={
                "csrf": csrf(form.text),
                "task": "tinjauan",
                "purpose": "case_management",
                "next": "/app/tinjauan",
            },
        )
        assert stated.status_code == 303 and stated.headers["location"] == "/app/tinjauan"
        yield client


def test_the_page_shows_the_apis_first_pair_side_by_side(city: City) -> None:
    queue = city.graphql(city.key("social_worker"), QUEUE)["data"]["reviewQueue"]
    assert queue["totalCount"] > 0, "the test city has no uncertain pair"
    first = queue["edges"][0]["node"]
    with reviewer(city, "social_worker") as c:
        page = c.get("/app/tinjauan")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for side in (first["left"], first["right"]):
        assert f'value="{side["recordKey"]}"' in page.text
        assert side["nik"] is None or side["nik"] in page.text
    assert f"<strong>{queue['totalCount']}</strong>" in page.text


def test_a_role_that_may_not_decide_gets_a_clear_refusal(city: City) -> None:
    with reviewer(city, "foundation", "ORG-YAYASAN-TEST") as c:
        page = c.get("/app/tinjauan")
        assert page.status_code == 403
        assert "hanya untuk pekerja sosial dan staf Dinsos" in page.text
        assert 'id="decide"' not in page.text
        some = city.graphql(city.key("social_worker"), QUEUE)["data"]["reviewQueue"]
        pair = some["edges"][0]["node"]
        refused = c.post(
            "/app/tinjauan",
            data={
                "csrf": csrf(page.text),
                "left": pair["left"]["recordKey"],
                "right": pair["right"]["recordKey"],
                "decision": "same",
            },
        )
        assert refused.status_code == 403
    after = city.graphql(city.key("social_worker"), QUEUE)["data"]["reviewQueue"]
    assert pair["pairId"] in {e["node"]["pairId"] for e in after["edges"]}


def test_a_decision_without_the_sessions_csrf_token_is_refused(city: City) -> None:
    pair = city.graphql(city.key("social_worker"), QUEUE)["data"]["reviewQueue"]["edges"][0]
    keys = {"left": pair["node"]["left"]["recordKey"], "right": pair["node"]["right"]["recordKey"]}
    with reviewer(city, "social_worker") as c:
        for sent in ({}, {"csrf": "forged"}):
            assert (
                c.post("/app/tinjauan", data={**sent, **keys, "decision": "same"}).status_code
                == 403
            )
    after = city.graphql(city.key("social_worker"), QUEUE)["data"]["reviewQueue"]
    assert pair["node"]["pairId"] in {e["node"]["pairId"] for e in after["edges"]}


class Reviewer:
    """A clerk who never contradicts themself: two records already one person by
    their earlier answers are the same, two kept apart stay apart, and only a pair
    the answers do not settle gets the answer wished (so both answers occur).
    People are the persons the records belong to now (`person`: record -> person)."""

    def __init__(self, person: dict[str, str]) -> None:
        self.person = person
        self.parent: dict[str, str] = {}
        self.apart: set[frozenset[str]] = set()

    def root(self, p: str) -> str:
        while self.parent.get(p, p) != p:
            p = self.parent[p]
        return p

    def answer(self, a: str, b: str, wish: str) -> str | None:
        if a not in self.person or b not in self.person:
            return None
        ra, rb = self.root(self.person[a]), self.root(self.person[b])
        if ra == rb:
            return "same"
        if frozenset((ra, rb)) in self.apart:
            return "not_same"
        if wish == "not_same":
            self.apart.add(frozenset((ra, rb)))
            return wish
        self.parent[rb] = ra
        self.apart = {frozenset(ra if r == rb else r for r in pair) for pair in self.apart}
        return wish


def _identities(city: City, out: Path) -> dict[str, str]:
    hub(city.env, "export", "identities", "--out", str(out))
    with out.open(newline="", encoding="utf-8") as f:
        return {f"{r['source']}:{r['source_record_id']}": r["person_id"] for r in csv.DictReader(f)}


def test_a_reviewer_clears_20_pairs_with_the_keyboard_and_hub_link_keeps_them(
    city: City, browser: WebDriver, axe_source: str, tmp_path: Path
) -> None:
    wait = WebDriverWait(browser, 60)  # a bound, not a timing claim
    browser.delete_all_cookies()
    browser.get(f"{city.base}/app/login")
    browser.find_element(By.ID, "api_key").send_keys(city.key("social_worker"))
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "name")))
    browser.get(f"{city.base}/app/tinjauan")
    Select(wait.until(ec.presence_of_element_located((By.ID, "purpose")))).select_by_value(
        "case_management"
    )
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    form = wait.until(ec.presence_of_element_located((By.ID, "decide")))
    assert axe_violations(browser, axe_source) == []
    waiting = int(browser.find_element(By.CSS_SELECTOR, "#queue-size strong").text)
    assert waiting > DECISIONS, f"the test city queues {waiting} pairs; the test needs more"

    def pair_on_page() -> tuple[str, str]:
        value = lambda name: browser.find_element(  # noqa: E731
            By.CSS_SELECTOR, f'#decide input[name="{name}"]'
        ).get_attribute("value")
        return str(value("left")), str(value("right"))

    def press(key: str) -> None:
        nonlocal form
        ActionChains(browser).send_keys(key).perform()
        wait.until(ec.staleness_of(form))
        form = wait.until(ec.presence_of_element_located((By.ID, "decide")))

    reviewer = Reviewer(_identities(city, tmp_path / "before.csv"))
    skipped = pair_on_page()
    press(" ")  # space skips: the pair stays in the queue, the page moves past it
    assert pair_on_page() != skipped
    keys = {"same": "sy", "not_same": "nt"}
    decided: dict[tuple[str, str], str] = {}
    while len(decided) < DECISIONS:
        pair = pair_on_page()
        assert pair not in decided and pair != skipped
        decision = reviewer.answer(*pair, wish="same" if len(decided) % 2 else "not_same")
        if decision is None:  # a record the export does not know yet (another test's)
            press("k")
            continue
        press(keys[decision][len(decided) // 2 % 2])
        decided[pair] = decision
        status = browser.find_element(By.CSS_SELECTOR, "p.saved").text
        assert status == (
            "Tersimpan: orang yang sama."
            if decision == "same"
            else "Tersimpan: bukan orang yang sama."
        )
    assert set(decided.values()) == {"same", "not_same"}, "the 20 pairs need both answers"
    assert axe_violations(browser, axe_source) == []
    remaining = int(browser.find_element(By.CSS_SELECTOR, "#queue-size strong").text)
    assert remaining == waiting - DECISIONS

    hub(city.env, "link")
    person = _identities(city, tmp_path / "identities.csv")
    for (a, b), decision in decided.items():
        assert (person[a] == person[b]) is (decision == "same"), (a, b, decision)
    queue = city.graphql(city.key("social_worker"), QUEUE)["data"]["reviewQueue"]
    still = {
        (e["node"]["left"]["recordKey"], e["node"]["right"]["recordKey"]) for e in queue["edges"]
    }
    assert not still & set(decided), "a decided pair came back after hub link"
