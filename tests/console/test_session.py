"""The console's reading of the session payload: CSRF and purpose per task."""

from __future__ import annotations

from console.session import Session


def test_csrf_needs_the_sessions_own_token() -> None:
    session = Session({"sub": "key:1", "org": "ORG", "role": "social_worker", "csrf": "t0k"})
    assert session.csrf_ok("t0k")
    for sent in (None, "", "other", "t0k "):
        assert not session.csrf_ok(sent)
    assert not Session({"sub": "x"}).csrf_ok("")


def test_a_purpose_is_kept_per_task() -> None:
    session = Session({"csrf": "t"})
    assert session.purpose("cari") is None
    kept = Session(session.with_purpose("cari", "case_management: kunjungan"))
    assert kept.purpose("cari") == "case_management: kunjungan"
    assert kept.purpose("asesmen") is None and kept.csrf == "t"
