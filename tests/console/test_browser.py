"""The console in a real headless Chromium: sign in, search a name, open the
household, see its members and its service timeline; assess it, refer it to a
foundation, which accepts from its inbox; axe-core finds no serious or
critical accessibility violation on the pages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from consolecity import City
from openpyxl import Workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver, WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from console.i18n import Labels

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
    wait = WebDriverWait(browser, 60)  # a bound, not a timing claim

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
        for path in (
            "/app/cari",
            "/app/beban-kasus",
            "/app/dasbor",
            "/app/loket",
            "/app/permohonan",
            "/app/pengaduan",
            "/permohonan-baru",
        ):
            browser.get(f"{city.base}{path}")
            if "/app/tujuan" in browser.current_url:
                browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
            width = browser.execute_script("return document.documentElement.scrollWidth")
            inner = browser.execute_script("return window.innerWidth")
            assert width <= inner, (path, width, inner)
            assert axe_violations(browser, axe_source) == [], path
    finally:
        browser.set_window_size(1024, 900)


#: A foundation's own headers: only "No. KTP" and "Tgl Lahir" are names the upload knows.
UPLOAD_HEADERS = [
    "No. Penerima",
    "Nama Lengkap KPM",
    "No. KTP",
    "Tgl Lahir",
    "Alamat Rumah",
    "Keterangan",
]
#: What the person picks for each column in the mapping form ("" leaves it out).
UPLOAD_CHOICES = {
    "No. Penerima": "source_record_id",
    "Nama Lengkap KPM": "full_name",
    "No. KTP": "nik",
    "Tgl Lahir": "birth_date",
    "Alamat Rumah": "address",
    "Keterangan": "",
}
KNOWN = """{ households(first: 30) { edges { node { members {
  fullName nik birthDate } } } } }"""


def beneficiary_sheet(city: City, path: Path) -> Path:
    """An XLSX as a foundation keeps it: three people the hub knows, one it does not,
    a malformed NIK on a row without a name, a name that is formula text, a NIK
    without a name (staged, but submitRecord wants a name), a row id used twice,
    and a real formula in a notes column."""
    members = [
        m
        for e in city.graphql(city.key("dinsos_admin"), KNOWN)["data"]["households"]["edges"]
        for m in e["node"]["members"]
        if m["fullName"] and m["birthDate"] and re.fullmatch(r"\d{16}", m["nik"] or "")
    ]
    assert len(members) >= 4, "the generated city has too few people with a NIK"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(UPLOAD_HEADERS)
    for i, m in enumerate(members[:3], start=1):
        born = date.fromisoformat(m["birthDate"]).strftime("%d-%m-%Y")
        sheet.append([f"B-{i}", m["fullName"], m["nik"], born, "Jl. Mawar No. 1", None])
    sheet.append(["B-4", "Zulkarnaen Wiratmadja Putra", None, "03-02-1931", "Gg. Melati 2", None])
    sheet.append(["B-5", None, "12", None, "Jl. Kenanga 5", None])  # bad NIK, no name
    sheet.append(["B-6", '=HYPERLINK("http://x","klik")', None, None, None, None])
    sheet.append(["B-7", None, members[3]["nik"], None, None, None])  # staged; the API wants a name
    sheet.append(["B-3", "Orang Lain Sama Sekali", None, None, None, None])  # B-3 again
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:  # typed text stays text (openpyxl would make '=...' a formula)
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet["F2"] = "=1+1"  # a real formula: never run, read as its (absent) cached value
    book.save(path)
    return path


def choose_columns(browser: WebDriver, choices: dict[str, str]) -> dict[str, str]:
    """Pick each column's field in the mapping form; what was proposed before."""
    proposed = {}
    for fieldset in browser.find_elements(By.CSS_SELECTOR, "fieldset.column"):
        header = fieldset.find_element(By.CSS_SELECTOR, "input[type=hidden]").get_attribute("value")
        assert header is not None
        select = Select(fieldset.find_element(By.TAG_NAME, "select"))
        proposed[header] = select.first_selected_option.get_attribute("value") or ""
        select.select_by_value(choices[header])
    return proposed


def upload_counts(browser: WebDriver) -> dict[str, int]:
    return {
        str(dd.get_attribute("id")).removeprefix("count-"): int(dd.text)
        for dd in browser.find_elements(By.CSS_SELECTOR, "dl.counts dd")
    }


def fits(browser: WebDriver) -> bool:
    width = browser.execute_script("return document.documentElement.scrollWidth")
    return bool(width <= browser.execute_script("return window.innerWidth"))


def test_a_foundation_uploads_its_sheet_in_the_browser(
    city: City, browser: WebDriver, axe_source: str, tmp_path: Path
) -> None:
    """Sign in, upload an XLSX with unfamiliar headers, map them in the form, see the
    quarantined rows and why (in Bahasa Indonesia) and the matches; then the same
    file again on a phone: the mapping is remembered and nothing changes."""
    sheet = beneficiary_sheet(city, tmp_path / "daftar penerima.xlsx")
    wait = WebDriverWait(browser, 60)  # a bound, not a timing claim
    browser.delete_all_cookies()
    browser.get(f"{city.base}/app/login")
    browser.find_element(By.ID, "api_key").send_keys(city.key("foundation", "YAY-PERAMBAN"))
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "name")))

    def upload(choices: dict[str, str]) -> dict[str, str]:
        browser.get(f"{city.base}/app/unggah")
        assert fits(browser) and axe_violations(browser, axe_source) == []
        browser.find_element(By.ID, "file").send_keys(str(sheet))
        browser.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "form.mapping")))
        assert fits(browser) and axe_violations(browser, axe_source) == []
        samples = [s.text for s in browser.find_elements(By.CSS_SELECTOR, ".sample")]
        assert samples and not [s for s in samples if s.startswith(("=", "+", "-", "@"))]
        proposed = choose_columns(browser, choices)
        browser.find_element(By.CSS_SELECTOR, "form.mapping button[type=submit]").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "dl.counts")))
        assert fits(browser) and axe_violations(browser, axe_source) == []
        return proposed

    first_proposed = upload(UPLOAD_CHOICES)
    assert first_proposed == {
        "No. Penerima": "",
        "Nama Lengkap KPM": "",
        "No. KTP": "nik",
        "Tgl Lahir": "birth_date",
        "Alamat Rumah": "",
        "Keterangan": "",
    }
    first = upload_counts(browser)
    assert first["read"] == 8 == first["staged"] + first["quarantined"]
    assert first["quarantined"] == 2
    rows = {
        tr.find_element(By.CSS_SELECTOR, "td[data-reason]").get_attribute("data-reason"): tr.text
        for tr in browser.find_elements(By.CSS_SELECTOR, "table.quarantine tbody tr")
    }
    assert set(rows) == {"no_identifying_field", "duplicate_source_record_id"}
    ids = Labels("id")
    assert ids["reason_no_identifying_field"] in rows["no_identifying_field"]
    assert "No. KTP: 12" in rows["no_identifying_field"]  # the cell to fix, as written
    assert ids["fix_no_identifying_field"] in rows["no_identifying_field"]
    assert "No. Penerima: B-3" in rows["duplicate_source_record_id"]
    assert first["known"] >= 3 and first["new"] >= 1 and first["unchanged"] == 0
    assert first["refused"] == 1
    assert first["known"] + first["new"] + first["refused"] == first["staged"]
    [refusal] = browser.find_elements(By.CSS_SELECTOR, "li.refusal")
    # a required field missing from the variables: GraphQL gives no code, only words
    assert refusal.get_attribute("data-code") == ""
    assert ids["refused_other"].split("{", 1)[0] in refusal.text and "fullName" in refusal.text

    browser.set_window_size(360, 800)
    try:
        again_proposed = upload(UPLOAD_CHOICES)
    finally:
        browser.set_window_size(1024, 900)
    assert again_proposed == UPLOAD_CHOICES  # remembered from the first upload
    second = upload_counts(browser)
    assert (second["read"], second["staged"], second["quarantined"]) == (
        first["read"],
        first["staged"],
        first["quarantined"],
    )
    # the refused row is tried again (and refused again); the others are not sent
    assert (second["known"], second["new"], second["refused"]) == (0, 0, first["refused"])
    assert second["unchanged"] == first["known"] + first["new"]


WITH_PROBLEMS = """{ households(first: 100) { edges { node { id
  members { fullName } problems { code } } } } }"""
FOUNDATIONS = "{ serviceDirectory { organization type } }"


def sign_in(browser: WebDriver, city: City, key: str) -> None:
    browser.get(f"{city.base}/app/login")
    browser.find_element(By.ID, "api_key").send_keys(key)
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()


def submit(browser: WebDriver, wait: WebDriverWait, button: WebElement) -> None:
    """Click a form's button and wait until the browser has left the page (so the
    next look-up cannot find, or click, an element of the page it came from)."""
    page = browser.find_element(By.TAG_NAME, "html")
    button.click()
    wait.until(ec.staleness_of(page))


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
    wait = WebDriverWait(browser, 60)  # a bound, not a timing claim
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
    submit(
        browser, wait, browser.find_element(By.CSS_SELECTOR, "#assessment-form button[type=submit]")
    )
    wait.until(ec.presence_of_element_located((By.ID, "assessments")))
    assert "Anak kembali sekolah" in browser.find_element(By.ID, "assessments").text

    # the referral: widen the directory to every problem and area, pick the foundation
    browser.find_element(By.CSS_SELECTOR, f'a[href="/app/keluarga/{hid}/rujukan"]').click()
    wait.until(ec.presence_of_element_located((By.ID, "referral-form")))
    Select(browser.find_element(By.ID, "ppks")).select_by_value("")
    Select(browser.find_element(By.ID, "kelurahan")).select_by_value("")
    # the filtered form may list the foundation already: look only once it reloaded
    submit(
        browser,
        wait,
        browser.find_element(By.CSS_SELECTOR, "#directory-filter button[type=submit]"),
    )
    choice = wait.until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, f'#referral-form input[data-organization="{foundation}"]')
        )
    )
    assert axe_violations(browser, axe_source) == []
    choice.click()
    browser.find_element(By.ID, "note").send_keys("Mohon pendampingan")
    submit(
        browser, wait, browser.find_element(By.CSS_SELECTOR, "#referral-form button[type=submit]")
    )
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
    # the inbox comes back with #incoming: wait for the POST's page, or signing in
    # next would cancel an accept the browser had not sent yet
    submit(browser, wait, card.find_element(By.CSS_SELECTOR, "button[value=accepted]"))
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


RESIDENTS = """{ households(first: 100) { edges { node { id problems { code }
  members { fullName nik birthDate } } } } }"""
REQUEST_STEPS = """query($id: ID!) { serviceRequest(id: $id) { householdId status outcome
  steps { step } } }"""


def test_a_request_from_the_front_desk_to_fulfilled_and_the_residents_cek_status(
    city: City, browser: WebDriver, axe_source: str
) -> None:
    """Issue 19's whole flow: the front desk registers a request for a resident it
    did not find (the real-time intake links them to their household); a social
    worker assesses and refers to a foundation, which accepts and records a
    delivery; the worker ends the request fulfilled; the resident's Cek status
    shows each step."""
    worker = city.key("social_worker")
    resident, hid = next(
        (m, e["node"]["id"])
        for e in city.graphql(worker, RESIDENTS)["data"]["households"]["edges"]
        if e["node"]["problems"]
        for m in e["node"]["members"]
        if m["fullName"] and m["birthDate"] and re.fullmatch(r"\d{16}", m["nik"] or "")
    )
    directory = city.graphql(worker, FOUNDATIONS)["data"]["serviceDirectory"]
    foundation = next(d["organization"] for d in directory if d["type"] == "foundation")
    wait = WebDriverWait(browser, 60)  # a bound, not a timing claim
    browser.delete_all_cookies()

    # Loket: a new resident (not searched for), a need and a number; the receipt
    sign_in(browser, city, worker)
    wait.until(ec.presence_of_element_located((By.ID, "name")))
    browser.get(f"{city.base}/app/loket")
    state_purpose(browser, wait)
    wait.until(ec.presence_of_element_located((By.ID, "desk-form")))
    assert fits(browser) and axe_violations(browser, axe_source) == []
    browser.find_element(By.ID, "hh-new").click()
    browser.find_element(By.ID, "full_name").send_keys(resident["fullName"])
    browser.find_element(By.ID, "a_nik").send_keys(resident["nik"])
    born = date.fromisoformat(resident["birthDate"])
    browser.execute_script(
        "arguments[0].value = arguments[1]",
        browser.find_element(By.ID, "birth_date"),
        born.isoformat(),
    )
    browser.find_element(By.CSS_SELECTOR, "#needs input[name=needs]").click()
    browser.find_element(By.ID, "phone").send_keys("081234567890")
    submit(browser, wait, browser.find_element(By.CSS_SELECTOR, "#desk-form button[type=submit]"))
    number = wait.until(ec.presence_of_element_located((By.ID, "request-number"))).text
    assert axe_violations(browser, axe_source) == []
    assert "/cek-status" in browser.find_element(By.CSS_SELECTOR, ".receipt").text

    # the request page: linked by the intake to the resident's own household
    browser.find_element(By.CSS_SELECTOR, "a[href^='/app/permohonan/']").click()
    wait.until(ec.presence_of_element_located((By.ID, "steps")))
    assert axe_violations(browser, axe_source) == []
    request_url = browser.current_url
    rid = request_url.rsplit("/", 1)[1]
    assert browser.find_elements(By.CSS_SELECTOR, f'#request-facts a[href="/app/keluarga/{hid}"]')

    # the social worker assesses and refers to the foundation (the request follows)
    browser.get(f"{city.base}/app/keluarga/{hid}/asesmen")
    state_purpose(browser, wait)
    wait.until(ec.presence_of_element_located((By.ID, "assessment-form")))
    browser.find_element(By.CSS_SELECTOR, "input[name=ppks]").click()
    browser.find_element(By.ID, "plan").send_keys("Pendampingan dari loket")
    submit(
        browser, wait, browser.find_element(By.CSS_SELECTOR, "#assessment-form button[type=submit]")
    )
    wait.until(ec.presence_of_element_located((By.ID, "assessments")))
    browser.get(f"{city.base}/app/keluarga/{hid}/rujukan")
    wait.until(ec.presence_of_element_located((By.ID, "referral-form")))
    Select(browser.find_element(By.ID, "ppks")).select_by_value("")
    Select(browser.find_element(By.ID, "kelurahan")).select_by_value("")
    submit(
        browser,
        wait,
        browser.find_element(By.CSS_SELECTOR, "#directory-filter button[type=submit]"),
    )
    wait.until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, f'#referral-form input[data-organization="{foundation}"]')
        )
    ).click()
    submit(
        browser, wait, browser.find_element(By.CSS_SELECTOR, "#referral-form button[type=submit]")
    )
    wait.until(ec.presence_of_element_located((By.ID, "referrals")))

    # the foundation accepts from its inbox and records its delivery
    sign_in(browser, city, city.key("foundation", foundation))
    wait.until(ec.presence_of_element_located((By.ID, "name")))
    browser.get(f"{city.base}/app/kotak-masuk")
    state_purpose(browser, wait)
    card = next(
        li
        for li in wait.until(
            ec.presence_of_all_elements_located((By.CSS_SELECTOR, "#incoming li.referral"))
        )
        if f"/app/keluarga/{hid}" in li.get_attribute("innerHTML")
    )
    submit(browser, wait, card.find_element(By.CSS_SELECTOR, "button[value=accepted]"))
    wait.until(ec.presence_of_element_located((By.ID, "incoming")))
    browser.get(f"{city.base}/app/keluarga/{hid}/layanan")
    state_purpose(browser, wait)
    Select(wait.until(ec.presence_of_element_located((By.ID, "program")))).select_by_index(1)
    submit(
        browser, wait, browser.find_element(By.CSS_SELECTOR, "#delivery-form button[type=submit]")
    )
    wait.until(ec.presence_of_element_located((By.ID, "timeline")))

    # back at the request: the worker ends it fulfilled, with a reason for the resident
    sign_in(browser, city, worker)
    wait.until(ec.presence_of_element_located((By.ID, "name")))
    browser.get(request_url)
    state_purpose(browser, wait)
    wait.until(ec.presence_of_element_located((By.ID, "end-form")))
    Select(browser.find_element(By.ID, "outcome")).select_by_value("FULFILLED")
    browser.find_element(By.ID, "reason").send_keys("Bantuan sudah diterima dari yayasan.")
    submit(browser, wait, browser.find_element(By.CSS_SELECTOR, "#end-form button[type=submit]"))
    wait.until(ec.presence_of_element_located((By.ID, "outcome-reason")))
    api = city.graphql(worker, REQUEST_STEPS, id=rid)["data"]["serviceRequest"]
    assert api["householdId"] == hid and (api["status"], api["outcome"]) == ("ENDED", "FULFILLED")
    steps = [s["step"] for s in api["steps"]]
    assert {"REGISTERED", "ASSESSED", "IN_SERVICE", "ENDED"} <= set(steps)

    # the resident, signed out, on a phone: Cek status shows each step, and no names
    browser.delete_all_cookies()
    browser.set_window_size(360, 800)
    try:
        browser.get(f"{city.base}/cek-status")
        assert fits(browser) and axe_violations(browser, axe_source) == []
        browser.find_element(By.ID, "nomor").send_keys(number)
        browser.find_element(By.ID, "nik4").send_keys(resident["nik"][-4:])
        submit(
            browser, wait, browser.find_element(By.CSS_SELECTOR, "#cek-form button[type=submit]")
        )
        result = wait.until(ec.presence_of_element_located((By.ID, "cek-result")))
        assert fits(browser) and axe_violations(browser, axe_source) == []
    finally:
        browser.set_window_size(1024, 900)
    shown = [
        li.get_attribute("data-step")
        for li in result.find_elements(By.CSS_SELECTOR, "#cek-steps li")
    ]
    assert shown == steps
    assert resident["fullName"] not in browser.page_source
    assert foundation not in browser.page_source
