"""The console over HTTP against a served city: sign-in, CSRF, purpose, the
API's masking, no-store, and hostile text rendered inert."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from consolecity import City, csrf, signed_in, with_purpose
from markupsafe import escape

from console.i18n import Labels
from hub.dashboard import COOKIE, login_link

pytestmark = pytest.mark.slow

FIND = """query($name: String!) { searchPersons(name: $name, first: 20) {
  edges { node { id fullName nik household { id } } } } }"""
SOME = "{ households(first: 5) { edges { node { id members { fullName nik } } } } }"


@pytest.fixture
def dinsos(city: City) -> Iterator[httpx.Client]:
    with signed_in(city, city.key("dinsos_admin"), purpose=True) as c:
        yield c


def test_every_page_needs_a_session(city: City) -> None:
    for path in ("/app/cari", "/app/keluarga/H1", "/app/beban-kasus", "/app/dasbor", "/app/tujuan"):
        r = httpx.get(city.base + path)
        assert r.status_code == 303 and r.headers["location"] == "/app/login", path
    form = httpx.get(city.base + "/app/login")
    assert 'name="api_key"' in form.text and '<label for="api_key"' in form.text


def test_a_wrong_key_is_refused_and_the_cookie_is_strict(city: City) -> None:
    r = httpx.post(city.base + "/app/login", data={"api_key": "nope"})
    assert r.status_code == 401 and COOKIE not in r.headers.get("set-cookie", "")
    r = httpx.post(city.base + "/app/login", data={"api_key": city.key("social_worker")})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/;" in cookie


def test_the_one_time_link_signs_in_once(city: City) -> None:
    link = login_link(city.settings, "ORG-DINSOS", "social_worker", city.base)
    token = link.split("token=", 1)[1]
    with httpx.Client(base_url=city.base) as c:
        r = c.get(f"/app/login?token={token}")
        assert r.status_code == 303 and c.get("/app/cari").status_code == 200
    assert httpx.get(f"{city.base}/app/login?token={token}").status_code == 401


def test_a_post_without_the_sessions_csrf_token_is_refused(city: City) -> None:
    with signed_in(city, city.key("social_worker")) as c:
        for sent in ({}, {"csrf": "forged"}):
            r = c.post("/app/tujuan", data={**sent, "task": "cari", "purpose": "case_management"})
            assert r.status_code == 403
            r = c.post("/app/logout", data=sent)
            assert r.status_code == 403
        # the session still stands, and still has no purpose
        assert c.get("/app/cari?name=siti").headers["location"].startswith("/app/tujuan")
        page = c.get("/app/cari").text
        assert c.post("/app/logout", data={"csrf": csrf(page)}).status_code == 303
        assert c.get("/app/cari").status_code == 303


def test_pages_are_not_cached_and_allow_no_script(dinsos: httpx.Client) -> None:
    for path in (
        "/app/login",
        "/app/cari",
        "/app/cari?name=budi",
        "/app/beban-kasus",
        "/app/dasbor",
    ):
        r = dinsos.get(path)
        assert r.headers["cache-control"] == "no-store", path
        assert "script-src" not in r.headers["content-security-policy"]
        assert "default-src 'none'" in r.headers["content-security-policy"]


def test_the_purpose_is_asked_once_and_sent_with_each_operation(city: City) -> None:
    with signed_in(city, city.key("social_worker")) as c:
        r = c.get("/app/cari?name=budi")
        assert r.status_code == 303 and r.headers["location"].startswith("/app/tujuan")
        with_purpose(c)
        assert c.get("/app/cari?name=budi").status_code == 200
        assert "case_management" in c.get("/app/cari?name=budi").text


def test_search_shows_what_the_api_shows_masked_by_role(city: City) -> None:
    """The console's NIKs are the API's for the same key: full for Dinsos,
    masked (or withheld) for a foundation, never more."""
    admin = city.key("dinsos_admin")
    member = city.graphql(admin, SOME)["data"]["households"]["edges"][0]["node"]["members"][0]
    name, full_nik = member["fullName"], member["nik"]
    foundation = city.key("foundation", "ORG-YAYASAN-TEST")
    for key in (admin, foundation):
        api = city.graphql(key, FIND, name=name)
        shown = {
            e["node"]["nik"]
            for e in (api.get("data") or {}).get("searchPersons", {}).get("edges", [])
        }
        with signed_in(city, key, purpose=True) as c:
            page = c.get("/app/cari", params={"name": name}).text
        rendered = set(re.findall(r'<span class="nik">([^<]*)</span>', page))
        assert rendered == {n or "—" for n in shown}, key
        if key == admin:
            assert full_nik in rendered
        else:
            assert full_nik not in page


def test_household_page_shows_members_and_timeline(city: City, dinsos: httpx.Client) -> None:
    hid = city.graphql(city.key("dinsos_admin"), SOME)["data"]["households"]["edges"][0]["node"][
        "id"
    ]
    page = dinsos.get(f"/app/keluarga/{hid}")
    assert page.status_code == 200
    assert (
        'id="members"' in page.text and "Riwayat layanan" in page.text and "Asal data" in page.text
    )


def test_a_script_or_formula_in_a_name_is_rendered_inert(city: City, dinsos: httpx.Client) -> None:
    hostile = '<script>alert("x")</script>=HYPERLINK("http://evil")'
    key = city.key("foundation", "ORG-YAYASAN-TEST")
    submitted = city.graphql(
        key,
        """mutation($r: RecordInput!) { submitRecord(record: $r) { personId } }""",
        r={"sourceRecordId": "hostile-1", "fullName": hostile},
    )
    assert not submitted.get("errors"), submitted
    page = dinsos.get("/app/cari", params={"name": "script alert hyperlink evil"}).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;=HYPERLINK" in page


def test_a_household_read_is_audited_with_the_tasks_purpose(
    city: City, dinsos: httpx.Client
) -> None:
    admin = city.key("dinsos_admin")
    hid = city.graphql(admin, SOME)["data"]["households"]["edges"][1]["node"]["id"]
    assert dinsos.get(f"/app/keluarga/{hid}").status_code == 200
    log = city.graphql(
        admin, "{ auditLog(first: 50) { edges { node { operation householdIds purpose } } } }"
    )["data"]["auditLog"]["edges"]
    # the console's Household operation (the test's own `households` read has its own purpose)
    reads = [
        e["node"]
        for e in log
        if hid in e["node"]["householdIds"]
        and e["node"]["operation"].startswith("read:household")
        and not e["node"]["operation"].startswith("read:households")
    ]
    assert {r["operation"] for r in reads} >= {"read:household", "read:household.serviceHistory"}
    assert all(r["purpose"] == "case_management [public_task]" for r in reads), reads


def test_the_served_console_mounts_the_upload_pages_for_a_foundation(city: City) -> None:
    """`hub serve` wires the upload slice into /app: a foundation signed in gets
    the file form with its session's CSRF token, and its menu links to it."""
    with signed_in(city, city.key("foundation", "YAY-UPLOAD")) as client:
        page = client.get("/app/unggah")
        assert page.status_code == 200
        assert 'type="file"' in page.text and 'enctype="multipart/form-data"' in page.text
        assert f'value="{csrf(page.text)}"' in page.text
        assert 'href="/app/unggah"' in client.get("/app/cari").text
        refused = client.post("/app/unggah", files={"file": ("a.csv", b"nama\nSiti\n")})
        assert refused.status_code == 403  # no CSRF token in the form


AREA = """query($filter: HouseholdFilter!) { households(filter: $filter, first: 20) {
  totalCount edges { node { id kelurahan rt problems { code } } } } }"""


def test_search_by_area_problem_and_decile_finds_what_the_api_finds(
    city: City, dinsos: httpx.Client
) -> None:
    """The form's kelurahan (by name), RT, PPKS and highest decile reach the
    `households` filter unchanged: the page lists the API's households and count."""
    admin = city.key("dinsos_admin")
    some = city.graphql(admin, AREA, filter={"maxDecile": 10})["data"]["households"]["edges"]
    home = next(e["node"] for e in some if e["node"]["problems"])
    form = {
        "kelurahan": home["kelurahan"].upper(),
        "rt": home["rt"],
        "ppks": home["problems"][0]["code"],
        "decile": "10",
    }
    api = city.graphql(
        admin,
        AREA,
        filter={
            "kelurahan": form["kelurahan"],
            "rt": form["rt"],
            "ppks": form["ppks"],
            "maxDecile": 10,
        },
    )["data"]["households"]
    page = dinsos.get("/app/cari", params=form)
    assert page.status_code == 200
    listed = re.findall(r'href="/app/keluarga/([^"]+)"', page.text)
    assert listed == [e["node"]["id"] for e in api["edges"]] and home["id"] in listed
    assert f"Keluarga ditemukan: {api['totalCount']}" in page.text
    # the PPKS list comes from the API's catalogue, the chosen one stays selected
    assert f'<option value="{form["ppks"]}" selected>' in page.text
    bad = dinsos.get("/app/cari", params={"address": "jl"})
    assert bad.status_code == 200 and "3 to 200 characters" in bad.text


def test_a_staff_jwt_signs_in_as_its_role_and_organization(city: City) -> None:
    """A staff token pasted in the form, or sent as `Authorization: Bearer` to the
    sign-in page, gives a session as the token's organization and role, which ends
    when the token does."""
    token = city.staff_token(sub="staff:rina", org="ORG-DINSOS", role="social_worker")
    with httpx.Client(base_url=city.base, timeout=30) as c:
        r = c.post("/app/login", data={"token": token})
        assert r.status_code == 303 and r.headers["location"] == "/app/cari", r.text
        max_age = re.search(r"max-age=(\d+)", r.headers["set-cookie"].lower())
        assert max_age and int(max_age.group(1)) <= 300  # the token's own lifetime
        page = c.get("/app/cari").text
        assert "<strong>ORG-DINSOS</strong> (social_worker)" in page
        household = with_purpose(c).get("/app/keluarga/" + some_household(city))
        assert household.status_code == 200 and 'id="members"' in household.text
    foundation = city.staff_token(sub="staff:yanti", org="YAY-JWT", role="foundation")
    with httpx.Client(base_url=city.base, timeout=30) as c:
        r = c.get("/app/login", headers={"Authorization": f"Bearer {foundation}"})
        assert r.status_code == 303
        # the cookie alone carries the session from here
        assert "<strong>YAY-JWT</strong> (foundation)" in c.get("/app/cari").text


def test_an_expired_or_foreign_staff_jwt_is_refused_in_words(city: City) -> None:
    expired = city.staff_token(exp=int(time.time()) - 3600)
    foreign = city.staff_token(iss="https://sso.example.org/realms/other")
    for token, key in ((expired, "login_expired"), (foreign, "login_wrong_issuer")):
        for r in (
            httpx.post(city.base + "/app/login", data={"token": token}),
            httpx.get(city.base + "/app/login", headers={"Authorization": f"Bearer {token}"}),
        ):
            assert r.status_code == 401 and COOKIE not in r.headers.get("set-cookie", "")
            assert escape(Labels("id")[key]) in r.text, key
    english = httpx.post(city.base + "/app/login", data={"token": expired, "lang": "en"})
    assert english.status_code == 401 and Labels("en")["login_expired"] in english.text
    assert '<html lang="en">' in english.text


def test_the_language_is_switched_in_the_header_and_kept_in_the_session(city: City) -> None:
    assert '<html lang="en">' in httpx.get(city.base + "/app/login?lang=en").text
    with signed_in(city, city.key("social_worker")) as c:
        page = c.get("/app/cari").text
        assert '<html lang="id">' in page and Labels("id")["search_title"] in page
        refused = c.post("/app/bahasa", data={"lang": "en", "next": "/app/cari"})
        assert refused.status_code == 403
        r = c.post("/app/bahasa", data={"csrf": csrf(page), "lang": "en", "next": "/app/dasbor"})
        assert r.status_code == 303 and r.headers["location"] == "/app/dasbor"
        for path in ("/app/cari", "/app/keluarga"):
            page = c.get(path).text
            assert '<html lang="en">' in page, path
            assert (
                f">{Labels('en')['sign_out']}<" in page
                and f">{Labels('id')['sign_out']}<" not in page
            )
        # the control offers the other language, in that language
        assert 'name="lang" value="id" lang="id"' in page
        back = c.post("/app/bahasa", data={"csrf": csrf(page), "lang": "id", "next": "/app/cari"})
        assert back.status_code == 303 and '<html lang="id">' in c.get("/app/cari").text


SERVED_SPAN = {"from": "2024-01-01", "to": "2026-12-31"}  # every service the city generates
DUPLICATED = """query($from: Date!, $to: Date!, $household: ID) {
  duplicatedAid(from: $from, to: $to, household: $household, first: 100) {
    totalCount edges { node { household { id } rule explanation programs } } } }"""


def some_household(city: City) -> str:
    found = city.graphql(city.key("dinsos_admin"), SOME)["data"]["households"]["edges"]
    return str(found[0]["node"]["id"])


RECORD = """mutation($s: ServiceInput!) { recordService(service: $s) { id } }"""


def test_the_household_page_warns_of_its_duplicated_aid(city: City, dinsos: httpx.Client) -> None:
    admin = city.key("dinsos_admin")
    # plant one finding whatever the generated city holds: a food parcel paid by
    # two funders for one household in one month (the same_program rule)
    hid = some_household(city)
    for funder in ("FOUNDATION", "ZAKAT"):
        service = {"householdId": hid, "program": "SEMBAKO-YAYASAN", "funder": funder}
        done = city.graphql(admin, RECORD, s={**service, "serviceDate": "2025-06-10"})
        assert not done.get("errors"), done
    every = city.graphql(admin, DUPLICATED, **SERVED_SPAN)["data"]["duplicatedAid"]["edges"]
    assert hid in {e["node"]["household"]["id"] for e in every}
    own = [e["node"] for e in every if e["node"]["household"]["id"] == hid]
    query = f"?dari={SERVED_SPAN['from']}&sampai={SERVED_SPAN['to']}"
    page = dinsos.get(f"/app/keluarga/{hid}{query}").text
    section = page.split('id="duplicated-aid"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'data-rule="([a-z_]+)"', section) == [n["rule"] for n in own]
    for n in own:
        assert escape(n["explanation"]) in section
        assert " + ".join(n["programs"]) in section
    # a period without services shows none, with the period in the form
    quiet = dinsos.get(f"/app/keluarga/{hid}?dari=2020-01-01&sampai=2020-12-31").text
    section = quiet.split('id="duplicated-aid"', 1)[1].split("</section>", 1)[0]
    assert "data-rule=" not in section and 'value="2020-01-01"' in section


TARGET = "{ povertyTarget { povertyRate target baseline } }"


def test_the_dashboard_headline_is_the_apis_and_funding_shows_for_budget_readers(
    city: City,
) -> None:
    """Dasbor reads the rate from `povertyTarget` (poor people over the population
    file's), not a sum of its own; the funding picture is there for Dinsos and
    absent, without an error, for a foundation that may not read budgets."""
    for role, org, funding in (
        ("dinsos_admin", "ORG-DINSOS", True),
        ("foundation", "ORG-YAYASAN-TEST", False),
    ):
        key = city.key(role, org)
        api = city.graphql(key, TARGET)["data"]["povertyTarget"]
        with signed_in(city, key) as c:
            page = c.get("/app/dasbor")
        assert page.status_code == 200, role
        rate = re.search(r'<strong id="poverty-rate">([^<]*)</strong>', page.text)
        assert rate, role
        shown = f"{api['povertyRate'] * 100:.2f}%" if api["povertyRate"] is not None else None
        assert rate.group(1) == (shown or "disembunyikan (sel kecil)"), role
        assert f"Target {api['target'] * 100:.2f}%" in page.text
        assert f"Baseline {api['baseline'] * 100:.2f}%" in page.text
        assert ('id="funding-title"' in page.text) is funding, role
        assert 'role="alert"' not in page.text, role


ASSESS = """mutation($a: AssessmentInput!) { recordAssessment(assessment: $a) { id } }"""


def test_the_caseload_lists_my_follow_ups_and_not_another_workers(city: City) -> None:
    mine, other = city.key("social_worker"), city.key("social_worker")
    hid = some_household(city)
    today = date.today()
    for key, days in ((mine, 3), (other, 2)):
        a = {
            "householdId": hid,
            "assessedOn": today.isoformat(),
            "ppks": [],
            "plan": "kunjungan ulang",
            "goals": [f"tujuan {days}"],
            "followUpOn": (today + timedelta(days=days)).isoformat(),
        }
        done = city.graphql(key, ASSESS, a=a)
        assert not done.get("errors"), done
    with signed_in(city, mine, purpose=True) as c:
        page = c.get("/app/beban-kasus").text
    assert 'id="follow-ups"' in page, page
    section = page.split('id="follow-ups"', 1)[1].split("</section>", 1)[0]
    assert "tujuan 3" in section and f"/app/keluarga/{hid}" in section
    assert "tujuan 2" not in section  # another worker's follow-up
    mine_section = page.split('id="my-households"', 1)[1].split("</section>", 1)[0]
    assert f"/app/keluarga/{hid}" in mine_section


ELIGIBILITY = """query($id: ID!) { household(id: $id) { eligibility { program eligible
  conditions { held explanation } } } }"""


def test_the_household_page_flags_eligibility_as_the_api_judges_it(
    city: City, dinsos: httpx.Client
) -> None:
    """Each program's rule, eligible or not, with the failed conditions in words,
    exactly as `household.eligibility` answers Dinsos."""
    hid = some_household(city)
    api = city.graphql(city.key("dinsos_admin"), ELIGIBILITY, id=hid)["data"]["household"]
    assert api["eligibility"], "the hub has eligibility rules"
    page = dinsos.get(f"/app/keluarga/{hid}").text
    flags = dict(re.findall(r'data-program="([^"]+)" data-eligible="(yes|no)"', page))
    assert flags == {e["program"]: "yes" if e["eligible"] else "no" for e in api["eligibility"]}
    for e in api["eligibility"]:
        for c in e["conditions"]:
            if not e["eligible"] and not c["held"]:
                assert str(escape(c["explanation"])) in page


SERVICES = (
    """query($id: ID!) { household(id: $id) { serviceHistory { serviceDate program amount } } }"""
)


def test_a_delivery_is_recorded_from_the_household_page(city: City, dinsos: httpx.Client) -> None:
    hid = some_household(city)
    form_page = dinsos.get(f"/app/keluarga/{hid}/layanan")
    assert form_page.status_code == 200 and 'id="delivery-form"' in form_page.text
    sent = {"program": "SEMBAKO-KOTA", "service_date": "2025-07-01", "amount": "150.000"}
    assert dinsos.post(f"/app/keluarga/{hid}/layanan", data=sent).status_code == 403  # no CSRF
    token = csrf(form_page.text)
    bad = dinsos.post(f"/app/keluarga/{hid}/layanan", data={**sent, "csrf": token, "amount": "-5"})
    assert bad.status_code == 400 and "angka saja" in bad.text
    done = dinsos.post(f"/app/keluarga/{hid}/layanan", data={**sent, "csrf": token})
    assert done.status_code == 303 and done.headers["location"].endswith("#s-timeline")
    history = city.graphql(city.key("dinsos_admin"), SERVICES, id=hid)["data"]["household"]
    assert {"serviceDate": "2025-07-01", "program": "SEMBAKO-KOTA", "amount": 150000.0} in history[
        "serviceHistory"
    ]
    page = dinsos.get(f"/app/keluarga/{hid}").text
    assert "2025-07-01" in page and "SEMBAKO-KOTA" in page


TARGETING_SUMMARY = """query($from: Date!, $to: Date!) {
  targetingSummary(from: $from, to: $to) { kecamatanCode kind households } }"""


def test_the_dashboard_counts_findings_by_kecamatan_and_links_their_households(
    city: City, dinsos: httpx.Client
) -> None:
    page = dinsos.get("/app/dasbor").text
    assert 'id="findings"' in page
    end = date.today()
    period = {"from": (end - timedelta(days=365)).isoformat(), "to": end.isoformat()}
    rows = city.graphql(city.key("dinsos_admin"), TARGETING_SUMMARY, **period)["data"]
    missed: dict[str, int] = {}
    for r in rows["targetingSummary"]:
        if r["kind"] == "EXCLUSION":
            missed[r["kecamatanCode"]] = missed.get(r["kecamatanCode"], 0) + r["households"]
    code, count = max(missed.items(), key=lambda kv: kv[1])
    link = re.search(rf'href="(/app/temuan\?area={code}&amp;kind=EXCLUSION[^"]*)">(\d+)<', page)
    assert link is not None and int(link[2]) == count
    listed = dinsos.get(html.unescape(link[1])).text
    assert f"{Labels()['findings_total']}: {count}" in listed
    assert len(re.findall(r'<a href="/app/keluarga/[^"]+">', listed)) == min(count, 50)
