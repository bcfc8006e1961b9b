"""Usulan (console/change_pages.py) against the served test city: the inbox
lists the API's change requests by status, a request opens with what it rests
on, each step is a CSRF-protected POST through the API's own mutation, the
four-eyes rule and the roles' limits come back as Indonesian refusals, and the
household page lists its own requests through the `household` filter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from consolecity import City
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from test_app import csrf
from test_browser import axe_violations

pytestmark = pytest.mark.slow

FILE = """mutation($c: ChangeRequestInput!) { fileChangeRequest(request: $c) { id status } }"""
SOME = "{ households(first: 3) { edges { node { id } } } }"
STATUS = "query($id: ID!) { changeRequest(id: $id) { status verifiedBy approvedBy appliedBy } }"


@contextmanager
def staff(city: City, role: str, organization: str = "ORG-DINSOS") -> Iterator[httpx.Client]:
    """Signed in with a fresh key of `role`, the change task's purpose stated."""
    with httpx.Client(base_url=city.base, timeout=30) as client:
        key = city.key(role, organization)
        assert client.post("/app/login", data={"api_key": key}).status_code == 303
        asked = client.get("/app/usulan")
        assert asked.status_code == 303 and asked.headers["location"].startswith("/app/tujuan")
        form = client.get(asked.headers["location"])
        stated = client.post(
            "/app/tujuan",
            data={
                "csrf": csrf(form.text),
                "task": "usulan",
                "purpose": "case_management",
                "next": "/app/usulan",
            },
        )
        assert stated.status_code == 303
        yield client


def file_request(city: City, household: str, reason: str) -> str:
    out = city.graphql(
        city.key("dinsos_admin"),
        FILE,
        c={"kind": "PERBAIKAN", "householdId": household, "reason": reason, "changes": {"rt": "7"}},
    )
    assert "errors" not in out, out
    return str(out["data"]["fileChangeRequest"]["id"])


def step(client: httpx.Client, rid: str, name: str, **extra: str) -> httpx.Response:
    page = client.get(f"/app/usulan/{rid}")
    return client.post(f"/app/usulan/{rid}", data={"csrf": csrf(page.text), "step": name, **extra})


def status(city: City, rid: str) -> dict[str, str | None]:
    out = city.graphql(city.key("dinsos_admin"), STATUS, id=rid)["data"]["changeRequest"]
    return dict(out)


def test_a_request_goes_from_filed_to_applied_with_four_eyes(city: City) -> None:
    household = city.graphql(city.key("dinsos_admin"), SOME)["data"]["households"]["edges"][0][
        "node"
    ]["id"]
    rid = file_request(city, household, "RT di KTP adalah 007")
    with staff(city, "social_worker") as worker, staff(city, "dinsos_admin") as admin:
        inbox = worker.get("/app/usulan?status=FILED")
        assert inbox.status_code == 200 and inbox.headers["cache-control"] == "no-store"
        assert f'href="/app/usulan/{rid}"' in inbox.text
        page = worker.get(f"/app/usulan/{rid}")
        assert "RT di KTP adalah 007" in page.text and 'id="corrections"' in page.text
        assert 'id="step-verify"' in page.text and 'id="step-approve"' not in page.text

        moved = step(worker, rid, "verify")
        assert moved.status_code == 303 and moved.headers["location"].endswith("?done=verify")
        assert status(city, rid)["status"] == "VERIFIED"
        # a social worker may not approve: a clear refusal, nothing moves
        refused = step(worker, rid, "approve")
        assert refused.status_code == 403
        assert "Peran Anda tidak diizinkan" in refused.text
        # the one who verified does not approve (four eyes)
        second = file_request(city, household, "alamat pindah ke RT 007")
        assert step(admin, second, "verify").status_code == 303
        same = step(admin, second, "approve")
        assert same.status_code == 400 and "empat mata" in same.text
        assert status(city, second)["status"] == "VERIFIED"

        assert step(admin, rid, "approve").status_code == 303
        assert step(admin, rid, "apply").status_code == 303
        done = status(city, rid)
        assert done["status"] == "APPLIED" and done["verifiedBy"] != done["approvedBy"]
        closed = admin.get(f"/app/usulan/{rid}")
        assert "Diterapkan" in closed.text and 'id="step-reject"' not in closed.text

        # rejecting needs a reason, and keeps it
        empty = step(admin, second, "reject", reason="  ")
        assert empty.status_code == 400 and "Tuliskan alasan penolakan" in empty.text
        assert step(admin, second, "reject", reason="sudah benar di Disdukcapil").status_code == 303
        assert "sudah benar di Disdukcapil" in admin.get(f"/app/usulan/{second}").text

        # the household page lists exactly its requests, through the household filter
        hh = worker.get(f"/app/keluarga/{household}")
        if hh.headers.get("location", "").startswith("/app/tujuan"):
            form = worker.get(hh.headers["location"])
            worker.post(
                "/app/tujuan",
                data={"csrf": csrf(form.text), "task": "cari", "purpose": "case_management"},
            )
            hh = worker.get(f"/app/keluarga/{household}")
        listed = set(re.findall(r'href="/app/usulan/([^"]+)"', hh.text))
        assert {rid, second} <= listed


def test_a_step_without_the_sessions_csrf_token_is_refused(city: City) -> None:
    household = city.graphql(city.key("dinsos_admin"), SOME)["data"]["households"]["edges"][1][
        "node"
    ]["id"]
    rid = file_request(city, household, "nomor rumah salah")
    with staff(city, "social_worker") as worker:
        for sent in ({}, {"csrf": "forged"}):
            r = worker.post(f"/app/usulan/{rid}", data={**sent, "step": "verify"})
            assert r.status_code == 403
    assert status(city, rid)["status"] == "FILED"


def test_a_role_without_personal_data_gets_a_clear_refusal(city: City) -> None:
    with staff(city, "analyst", "ORG-BAPPEDA") as analyst:
        inbox = analyst.get("/app/usulan")
        assert inbox.status_code == 403
        assert "Peran Anda tidak diizinkan" in inbox.text


def test_the_inbox_in_a_browser_is_accessible_and_verifies_a_request(
    city: City, browser: WebDriver, axe_source: str
) -> None:
    household = city.graphql(city.key("dinsos_admin"), SOME)["data"]["households"]["edges"][2][
        "node"
    ]["id"]
    rid = file_request(city, household, "RT tertulis salah")
    wait = WebDriverWait(browser, 60)  # a bound, not a timing claim
    browser.delete_all_cookies()
    browser.get(f"{city.base}/app/login")
    browser.find_element(By.ID, "api_key").send_keys(city.key("social_worker"))
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "name")))
    browser.get(f"{city.base}/app/usulan")
    Select(wait.until(ec.presence_of_element_located((By.ID, "purpose")))).select_by_value(
        "case_management"
    )
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "changes")))
    assert axe_violations(browser, axe_source) == []
    browser.find_element(By.CSS_SELECTOR, f'a[href="/app/usulan/{rid}"]').click()
    wait.until(ec.presence_of_element_located((By.ID, "step-verify"))).click()
    saved = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "p.saved")))
    assert saved.text == "Usulan diverifikasi."
    assert browser.find_element(By.ID, "request-status").text == "Diverifikasi"
    assert axe_violations(browser, axe_source) == []
    assert status(city, rid)["status"] == "VERIFIED"
