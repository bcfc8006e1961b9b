"""The casework pages over HTTP against the served city: a POST without the
session's CSRF token changes nothing, a form with mistakes is answered in
Indonesian, and a foundation cannot act on a referral that is not its own."""

from __future__ import annotations

from typing import Any

import pytest
from consolecity import City, csrf, signed_in, with_purpose

pytestmark = pytest.mark.slow

WITH_PROBLEMS = """{ households(first: 100) { edges { node { id
  problems { code } assessments { id } referrals { id } } } } }"""
DIRECTORY = "{ serviceDirectory { organization type } }"
REFER = """mutation($hid: ID!, $to: String!) { createReferral(referral:
  {householdId: $hid, toOrganization: $to}) { id status } }"""


def _household(city: City, key: str) -> dict[str, Any]:
    nodes = [e["node"] for e in city.graphql(key, WITH_PROBLEMS)["data"]["households"]["edges"]]
    found = [n for n in nodes if n["problems"]]
    assert found, "the generated city has no household with a problem"
    return found[-1]


def _foundations(city: City, key: str) -> list[str]:
    listed = city.graphql(key, DIRECTORY)["data"]["serviceDirectory"]
    found = sorted({d["organization"] for d in listed if d["type"] == "foundation"})
    assert len(found) >= 2, "the generated city needs two foundations that deliver"
    return found


def test_casework_posts_without_the_csrf_token_change_nothing(city: City) -> None:
    worker = city.key("social_worker")
    household = _household(city, worker)
    hid = household["id"]
    with signed_in(city, worker, purpose=True) as c:
        for sent in ({}, {"csrf": "forged"}):
            form = {**sent, "assessed_on": "2026-11-20", "ppks": "PPKS01", "plan": "visit"}
            assert c.post(f"/app/keluarga/{hid}/asesmen", data=form).status_code == 403
            refer = {**sent, "choice": "ORG-X|PKH"}
            assert c.post(f"/app/keluarga/{hid}/rujukan", data=refer).status_code == 403
            move = {**sent, "status": "CANCELLED"}
            assert c.post("/app/rujukan/ref-anything", data=move).status_code == 403
    after = _household(city, worker)
    assert (after["assessments"], after["referrals"]) == (
        household["assessments"],
        household["referrals"],
    )


def test_a_form_with_mistakes_is_answered_in_indonesian(city: City) -> None:
    worker = city.key("social_worker")
    household = _household(city, worker)
    hid = household["id"]
    with signed_in(city, worker, purpose=True) as c:
        page = c.get(f"/app/keluarga/{hid}/asesmen")
        assert page.status_code == 200 and 'name="plan"' in page.text
        r = c.post(
            f"/app/keluarga/{hid}/asesmen",
            data={
                "csrf": csrf(page.text),
                "assessed_on": "20-11-2026",
                "follow_up_on": "besok",
                "plan": " ",
            },
        )
        assert r.status_code == 400
        for message in (
            "Tanggal asesmen tidak valid",
            "Tanggal tindak lanjut tidak valid",
            "Pilih minimal satu PPKS",
            "Rencana intervensi wajib diisi",
        ):
            assert message in r.text
        refer = c.get(f"/app/keluarga/{hid}/rujukan")
        r = c.post(f"/app/keluarga/{hid}/rujukan", data={"csrf": csrf(refer.text)})
        assert r.status_code == 400 and "Pilih organisasi penerima" in r.text
    assert _household(city, worker)["assessments"] == household["assessments"]


def test_a_foundation_cannot_act_on_or_list_another_organizations_referral(
    city: City,
) -> None:
    worker = city.key("social_worker")
    hid = _household(city, worker)["id"]
    mine, other = _foundations(city, worker)[:2]
    sent = city.graphql(worker, REFER, hid=hid, to=mine)["data"]["createReferral"]
    with signed_in(city, city.key("foundation", other)) as c:
        with_purpose(c, "rujukan")
        inbox = c.get("/app/kotak-masuk")
        assert inbox.status_code == 200 and sent["id"] not in inbox.text
        r = c.post(
            f"/app/rujukan/{sent['id']}", data={"csrf": csrf(inbox.text), "status": "ACCEPTED"}
        )
        assert r.status_code == 404 and "Isian tidak diterima" in r.text
        r = c.post(
            f"/app/rujukan/{sent['id']}", data={"csrf": csrf(inbox.text), "status": "DECLINED"}
        )
        assert r.status_code == 400 and "Tulis alasan penolakan" in r.text
    with signed_in(city, city.key("foundation", mine)) as c:
        with_purpose(c, "rujukan")
        inbox = c.get("/app/kotak-masuk")
        assert f'id="ref-{sent["id"]}"' in inbox.text
        r = c.post(
            f"/app/rujukan/{sent['id']}",
            data={"csrf": csrf(inbox.text), "status": "DECLINED", "note": "di luar wilayah"},
        )
        assert r.status_code == 303
    shown = city.graphql(worker, "{ referrals(first: 100) { edges { node { id status note } } } }")
    moved = [
        e["node"] for e in shown["data"]["referrals"]["edges"] if e["node"]["id"] == sent["id"]
    ]
    assert moved == [{"id": sent["id"], "status": "DECLINED", "note": "di luar wilayah"}]


ONWARD_OF = """{ referrals(first: 100) { edges { node {
  id status note toOrganization fromOrganization onwardFrom onwardTo onwardOrganization } } } }"""


def _onward_of(city: City, key: str, rid: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The referral `rid` as `key` reads it, and the referrals made onward from it."""
    nodes = [e["node"] for e in city.graphql(key, ONWARD_OF)["data"]["referrals"]["edges"]]
    return next(n for n in nodes if n["id"] == rid), [n for n in nodes if n["onwardFrom"] == rid]


def test_referring_onward_sends_the_household_on_and_closes_the_referral(city: City) -> None:
    worker = city.key("social_worker")
    hid = _household(city, worker)["id"]
    first, second = _foundations(city, worker)[:2]
    sent = city.graphql(worker, REFER, hid=hid, to=first)["data"]["createReferral"]
    with signed_in(city, city.key("foundation", first)) as c:
        with_purpose(c, "rujukan")
        inbox = c.get("/app/kotak-masuk")
        assert f'<option value="{second}">' in inbox.text  # the directory to pick from
        form = {"csrf": csrf(inbox.text), "status": "REFERRED_ONWARD"}
        r = c.post(f"/app/rujukan/{sent['id']}", data={**form, "note": "perlu layanan mata"})
        assert r.status_code == 400 and "Pilih organisasi penerima" in r.text
        assert _onward_of(city, worker, sent["id"])[1] == []  # nothing made by a refused form
        onward_form = {**form, "to": second, "note": "layanan mata"}
        r = c.post(f"/app/rujukan/{sent['id']}", data=onward_form)
        assert r.status_code == 303
        # that one POST made the onward referral and closed this one
        moved, made = _onward_of(city, worker, sent["id"])
        assert [(m["fromOrganization"], m["toOrganization"], m["status"]) for m in made] == [
            (first, second, "OPEN")
        ]
        assert (moved["status"], moved["onwardTo"], moved["onwardOrganization"]) == (
            "REFERRED_ONWARD",
            made[0]["id"],
            second,
        )
        # the same form posted again (a double click, a reload): still that one referral
        assert c.post(f"/app/rujukan/{sent['id']}", data=onward_form).status_code == 303
        assert _onward_of(city, worker, sent["id"]) == (moved, made)
    with signed_in(city, city.key("foundation", second)) as c:
        with_purpose(c, "rujukan")
        inbox = c.get("/app/kotak-masuk").text
        assert f"/app/keluarga/{hid}" in inbox and f"dari {first}" in inbox
        assert f"Lanjutan dari rujukan {sent['id']}" in inbox
    with signed_in(city, worker, purpose=True) as c:
        page = c.get(f"/app/keluarga/{hid}").text
        assert f"Dirujuk lanjut ke {second} (sebagai rujukan {made[0]['id']})" in page
