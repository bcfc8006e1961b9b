"""Loket, Permohonan, Pengaduan and the public pages over HTTP against the
served city: Cek status gives the same page to an unknown number and to a
known number with the wrong NIK digits, is rate-limited per client address
and audited; the public form needs its cookie's token and registers a request
the front desk then sees; the front desk's receipt, the request's actions and
the complaint's answer go through the API."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from consolecity import City, csrf, signed_in, with_purpose

from console.i18n import Labels
from console.public import FORM_COOKIE
from hub.security import AuditLog
from hub.security.db import SecurityDB
from hub.status_check import FailedChecks

pytestmark = pytest.mark.slow

WITH_NIK = """{ households(first: 40) { edges { node { id
  members { id nik } } } } }"""
REGISTER = """mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) {
  id number status } }"""
MOVES = """query($id: ID!) { serviceRequest(id: $id) {
  allowedSteps mayAssign mayVerify mayEnd reasonRequired } }"""


def known_request(city: City) -> tuple[dict[str, Any], str]:
    """A request registered through the API for a household with a NIK: (it, the NIK)."""
    key = city.key("dinsos_admin")
    nodes = [e["node"] for e in city.graphql(key, WITH_NIK)["data"]["households"]["edges"]]
    hid, pid, nik = next(
        (n["id"], m["id"], m["nik"])
        for n in nodes
        for m in n["members"]
        if re.fullmatch(r"\d{16}", m["nik"] or "")
    )
    made = city.graphql(
        key,
        REGISTER,
        r={"householdId": hid, "personId": pid, "needs": ["PPKS01"], "channel": "FRONT_DESK"},
    )
    assert not made.get("errors"), made
    return made["data"]["registerServiceRequest"], nik


def known_household(city: City) -> str:
    """A household of the served city (the first the API lists)."""
    key = city.key("dinsos_admin")
    return str(city.graphql(key, WITH_NIK)["data"]["households"]["edges"][0]["node"]["id"])


def public_client(city: City, address: str = "127.0.0.1") -> httpx.Client:
    """A resident's browser, from its own client address (each has its own bucket)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=city.base, transport=transport, timeout=30)


def check(client: httpx.Client, number: str, suffix: str) -> httpx.Response:
    form = client.get("/cek-status")
    return client.post(
        "/cek-status", data={"csrf": csrf(form.text), "nomor": number, "nik4": suffix}
    )


def test_cek_status_says_the_same_to_an_unknown_number_and_a_wrong_nik(city: City) -> None:
    made, nik = known_request(city)
    wrong = f"{(int(nik[-4:]) + 1) % 10_000:04d}"
    with public_client(city, "127.0.0.4") as resident:
        unknown = check(resident, "SP-XXXXXXXX", nik[-4:])
        mismatched = check(resident, made["number"], wrong)
        right = check(resident, made["number"], nik[-4:])
    assert unknown.status_code == mismatched.status_code == 200
    assert unknown.text == mismatched.text  # byte for byte: nothing tells the two apart
    assert 'id="cek-none"' in unknown.text and 'id="cek-result"' not in unknown.text
    assert right.status_code == 200 and 'id="cek-result"' in right.text
    assert made["number"] not in unknown.text + mismatched.text


def test_cek_status_is_rate_limited_per_client_address_and_per_number(city: City) -> None:
    with public_client(city, "127.0.0.2") as busy:
        codes = [check(busy, f"SP-CLIENT{i:02d}", "0000").status_code for i in range(30)]
        assert Labels()["too_many"] in check(busy, "SP-CLIENTXX", "0000").text
    assert codes[0] == 200 and 429 in codes and set(codes) == {200, 429}
    with public_client(city, "127.0.0.3") as other:  # another address still gets its answer
        assert check(other, "SP-CLIENTYY", "0000").status_code == 200
    # one number tried from many addresses (every NIK suffix, say) is held back too
    tried = []
    for n in range(10, 40):
        with public_client(city, f"127.0.1.{n}") as c:
            tried.append(check(c, "SP-ONENUMBER", f"{n:04d}").status_code)
    assert tried[0] == 200 and 429 in tried


def test_each_status_check_is_audited(city: City) -> None:
    log = AuditLog.from_settings(city.settings)
    before = max((r.seq for r in log.tail(1)), default=0)
    with public_client(city, "127.0.0.5") as resident:
        check(resident, "SP-AUDIT234", "1234")
        check(resident, "SP-AUDIT234", "5678")
    checks = [r for r in log.tail(200) if r.seq > before and r.operation == "read:cekStatus"]
    assert len(checks) == 2 and all("SP-AUDIT234" in (r.purpose or "") for r in checks)
    assert not any("1234" in (r.purpose or "") or "5678" in (r.purpose or "") for r in checks)


def test_public_forms_need_their_cookies_token(city: City) -> None:
    with public_client(city, "127.0.0.6") as resident:
        page = resident.get("/cek-status")
        cookie = page.headers["set-cookie"].lower()
        assert FORM_COOKIE in cookie and "httponly" in cookie and "samesite=strict" in cookie
        for sent in ({}, {"csrf": "forged"}, {"csrf": "paslú"}):
            r = resident.post("/cek-status", data={**sent, "nomor": "SP-X", "nik4": "0000"})
            assert r.status_code == 403
            r = resident.post("/permohonan-baru", data={**sent, "full_name": "A"})
            assert r.status_code == 403
    # a token without its cookie (another browser's page) is refused too
    token = csrf(page.text)
    r = httpx.post(f"{city.base}/cek-status", data={"csrf": token, "nomor": "X", "nik4": "0000"})
    assert r.status_code == 403


def send_form(resident: httpx.Client, nik: str, need: str) -> httpx.Response:
    form = resident.get("/permohonan-baru")
    return resident.post(
        "/permohonan-baru",
        data={
            "csrf": csrf(form.text),
            "full_name": "Siti Warga Formulir",
            "nik": nik,
            "address": "Jl. Melati 3",
            "needs": need,
            "phone": "081234567890",
        },
    )


def receipt_text(page: httpx.Response) -> str:
    """The receipt without its number (random) and the form's token (per browser)."""
    text = re.sub(r"SP-[0-9A-Z]+", "SP-", page.text)
    return re.sub(r'name="csrf" value="[^"]+"', "", text)


def test_the_public_form_registers_a_request_the_front_desk_verifies(city: City) -> None:
    _, nik = known_request(city)  # a NIK in the register
    with public_client(city, "127.0.0.7") as resident:
        form = resident.get("/permohonan-baru")
        assert form.status_code == 200 and "X-API-Key" not in form.text
        need = re.search(r'name="needs" value="([^"]+)"', form.text)
        assert need, "the public form offers the needs catalogue"
        missing = resident.post("/permohonan-baru", data={"csrf": csrf(form.text)})
        assert missing.status_code == 400 and Labels()["desk_need_needs"] in missing.text
        known = send_form(resident, nik, need.group(1))
        # redirect after POST: the receipt is a page of its own, a refresh sends nothing
        assert known.status_code == 303
        assert known.headers["location"].startswith("/permohonan-baru/tanda-terima")
        shown = resident.get(known.headers["location"])
        again = resident.get(known.headers["location"])
    with public_client(city, "127.0.0.8") as other:
        unknown = other.get(send_form(other, "3273011505800007", need.group(1)).headers["location"])
    with public_client(city, "127.0.0.9") as stranger:  # a browser that sent nothing
        nothing = stranger.get("/permohonan-baru/tanda-terima")
        assert nothing.status_code == 303 and 'id="request-number"' not in nothing.text
    number = re.search(r'id="request-number">([^<]+)<', shown.text)
    assert number, shown.text
    assert again.text.count(number.group(1)) == shown.text.count(number.group(1))
    # whether the NIK is in the register, the receipt reads the same
    assert receipt_text(shown) == receipt_text(unknown)
    with signed_in(city, city.key("dinsos_admin")) as desk:
        desk = with_purpose(desk, "loket")
        pending = desk.get("/app/permohonan?status=PENDING_VERIFICATION").text
        assert number.group(1) in pending
        assert number.group(1) not in desk.get("/app/permohonan?status=ASSIGNED").text
        rid = re.search(r'href="/app/permohonan/([^"/]+)"[^>]*>\s*' + number.group(1), pending)
        assert rid, pending
        page = desk.get(f"/app/permohonan/{rid.group(1)}")
        assert 'id="verify-form"' in page.text and "Siti Warga Formulir" in page.text
        done = desk.post(
            f"/app/permohonan/{rid.group(1)}/aksi",
            data={"csrf": csrf(page.text), "action": "verify", **_typed(page.text)},
        )
        assert done.status_code == 303, done.text
        after = desk.get(f"/app/permohonan/{rid.group(1)}").text
        assert 'id="verify-form"' not in after


def _typed(page: str) -> dict[str, str]:
    """The verify form's applicant fields as the page filled them in."""
    return {
        name: value
        for name, value in re.findall(
            r'<input id="[^"]+" name="(full_name|nik|birth_date|address|rt|rw|kelurahan)"'
            r'[^>]*value="([^"]*)"',
            page,
        )
    }


@pytest.fixture
def desk(city: City) -> Iterator[httpx.Client]:
    with signed_in(city, city.key("dinsos_admin")) as c:
        yield with_purpose(c, "loket")  # the front desk's own purpose covers its search


def test_the_front_desk_registers_once_and_ends_only_with_a_reason(
    city: City, desk: httpx.Client
) -> None:
    page = desk.get("/app/loket?nik=" + known_request(city)[1])
    assert page.status_code == 200
    hid = re.search(r'name="household" value="([^"]+)"', page.text)
    need = re.search(r'name="needs" value="([^"]+)"', page.text)
    assert hid and need, page.text
    form = {"csrf": csrf(page.text), "household": hid.group(1), "needs": need.group(1)}
    assert desk.post("/app/loket", data={**form, "csrf": "forged"}).status_code == 403
    done = desk.post("/app/loket", data=form)
    assert done.status_code == 303 and done.headers["location"].endswith("/tanda-terima")
    receipt = desk.get(done.headers["location"])
    assert 'id="request-number"' in receipt.text and "/cek-status" in receipt.text
    request_url = done.headers["location"].removesuffix("/tanda-terima")
    shown = desk.get(request_url)
    assert f"/app/keluarga/{hid.group(1)}" in shown.text and 'id="steps"' in shown.text
    # the page offers the moves the API says the caller may make now, no others
    rid = request_url.rsplit("/", 1)[1]
    key = city.key("dinsos_admin")
    allowed = city.graphql(key, MOVES, id=rid)["data"]["serviceRequest"]
    offered = re.findall(r'name="step" value="([^"]+)"', shown.text)
    assert offered == [s for s in allowed["allowedSteps"] if s != "ASSIGNED"] and offered
    assert allowed["mayEnd"] and allowed["reasonRequired"]
    assert re.search(r'<textarea id="reason"[^>]* required', shown.text)
    # ending without a reason: the API's refusal, and the request stays open
    end = {"csrf": csrf(shown.text), "action": "end", "outcome": "REFUSED", "note": " "}
    refused = desk.post(request_url + "/aksi", data=end)
    assert refused.status_code == 400 and Labels()["api_refused"] in refused.text
    assert city.graphql(key, MOVES, id=rid)["data"]["serviceRequest"]["mayEnd"]
    end["note"] = "Sudah menerima bantuan yang sama."
    assert desk.post(request_url + "/aksi", data=end).status_code == 303
    ended = desk.get(request_url)
    assert 'id="end-form"' not in ended.text and 'name="step"' not in ended.text
    assert not city.graphql(key, MOVES, id=rid)["data"]["serviceRequest"]["allowedSteps"]


def test_a_complaint_is_filed_anonymously_only_for_misconduct_and_answered(
    desk: httpx.Client,
) -> None:
    page = desk.get("/app/pengaduan")
    token = csrf(page.text)
    wrong = desk.post(
        "/app/pengaduan",
        data={"csrf": token, "kind": "WRONG_DATA", "anonymous": "1", "text": "data salah"},
    )
    assert wrong.status_code == 400  # the API's rule: anonymous only for misconduct
    filed = desk.post(
        "/app/pengaduan",
        data={"csrf": token, "kind": "SERVICE_CONDUCT", "anonymous": "1", "text": "petugas kasar"},
    )
    assert filed.status_code == 303, filed.text
    url = filed.headers["location"]
    answer = {"csrf": token, "action": "answer", "text": "Petugas sudah ditegur."}
    assert desk.post(url + "/aksi", data=answer).status_code == 303
    assert "Petugas sudah ditegur." in desk.get(url).text


REPORTED = """query($id: ID!) { grievance(id: $id) { action linkedId reportedFinding {
  id grievanceNumber fieldCheck explanation findings { explanation } } } }"""


def test_a_complaint_made_a_targeting_finding_shows_what_the_check_found(
    city: City, desk: httpx.Client
) -> None:
    hid = known_household(city)
    page = desk.get("/app/pengaduan")
    filed = desk.post(
        "/app/pengaduan",
        data={
            "csrf": csrf(page.text),
            "kind": "AID_TO_INELIGIBLE",
            "household": hid,
            "text": "Keluarga ini sudah mampu.",
        },
    )
    assert filed.status_code == 303, filed.text
    url = filed.headers["location"]
    shown = desk.get(url)
    act = {"csrf": csrf(shown.text), "action": "TARGETING_FINDING", "household": hid}
    assert desk.post(url + "/aksi", data=act).status_code == 303
    gid = url.rsplit("/", 1)[1]
    api = city.graphql(city.key("dinsos_admin"), REPORTED, id=gid)["data"]["grievance"]
    found = api["reportedFinding"]
    assert api["linkedId"] == found["id"]
    page = desk.get(url)
    assert 'id="reported-finding"' in page.text and found["grievanceNumber"] in page.text
    said = (
        [found["explanation"]]
        if found["fieldCheck"]
        else [f["explanation"] for f in found["findings"]]
    )
    for words in said:
        assert html.escape(words, quote=False) in page.text


def test_the_dashboard_shows_the_desk_figures_to_dinsos_only(city: City) -> None:
    for role, org, shown in (
        ("dinsos_admin", "ORG-DINSOS", True),
        ("foundation", "ORG-YAYASAN-TEST", False),
    ):
        with signed_in(city, city.key(role, org)) as c:
            page = c.get("/app/dasbor")
        assert page.status_code == 200 and ('id="desk-summary"' in page.text) is shown, role
        assert 'role="alert"' not in page.text, role


def test_dinsos_unlocks_cek_status_from_the_request_page(city: City, desk: httpx.Client) -> None:
    made, nik = known_request(city)
    # the day's wrong checks, as the page's check counts them (any server process)
    db = SecurityDB.from_settings(city.settings)
    failures = FailedChecks(db, city.settings.status_check_failures_per_day)
    for _ in range(failures.per_day):
        asyncio.run(failures.failed(made["number"]))
    with public_client(city, "127.0.0.16") as resident:
        assert 'id="cek-none"' in check(resident, made["number"], nik[-4:]).text
    url = f"/app/permohonan/{made['id']}"
    with signed_in(city, city.key("social_worker")) as worker:
        page = with_purpose(worker, "loket").get(url)
        assert page.status_code == 200 and 'id="unlock-form"' not in page.text
        refused = worker.post(url + "/aksi", data={"csrf": csrf(page.text), "action": "unlock"})
        assert refused.status_code == 400 and asyncio.run(failures.locked(made["number"]))
    page = desk.get(url)
    assert 'id="unlock-form"' in page.text
    done = desk.post(url + "/aksi", data={"csrf": csrf(page.text), "action": "unlock"})
    assert done.status_code == 303 and not asyncio.run(failures.locked(made["number"]))
    with public_client(city, "127.0.0.16") as resident:
        assert 'id="cek-result"' in check(resident, made["number"], nik[-4:]).text
    log = AuditLog.from_settings(city.settings)
    unlocks = [r for r in log.tail(50) if r.operation == "write:unlockStatusCheck"]
    assert unlocks and made["number"] in (unlocks[-1].purpose or "")
    assert unlocks[-1].role == "dinsos_admin"
    db.close()
