"""The console over HTTP against a served city: sign-in, CSRF, purpose, the
API's masking, no-store, and hostile text rendered inert."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from consolecity import City, csrf, signed_in, with_purpose

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
