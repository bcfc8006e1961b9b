"""A one-time sign-in link (`hub dashboard-link`) signs in once across the hub's
processes: the used links were remembered in each process's memory, so with
`hub serve --workers 2`, or two servers on one PostgreSQL, a link read off a
chat or a proxy log within its 5 minutes signed in again on the other process.
They are remembered in the security database every process shares (both store
back-ends: the `db` fixture); no graph."""

from __future__ import annotations

from pathlib import Path

from storetest import security_again

from hub.dashboard import Sessions, login_link
from hub.security import SecurityDB
from hub.security.authn import Authenticator
from hub.security.keys import KeyStore
from hub.settings import Settings


def test_a_login_link_signs_in_once_across_processes(db: SecurityDB, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with security_again(db, tmp_path) as other_db:
        one = Sessions(settings, Authenticator(KeyStore(db)))
        two = Sessions(settings, Authenticator(KeyStore(other_db)))
        token = login_link(settings, "ORG-DINSOS", "social_worker", "http://hub").split("=", 1)[1]
        signed = one.redeem_link(token)
        assert signed is not None and (signed["org"], signed["role"]) == (
            "ORG-DINSOS",
            "social_worker",
        )
        assert two.redeem_link(token) is None  # the other process
        assert one.redeem_link(token) is None
        fresh = login_link(settings, "ORG-DINSOS", "social_worker", "http://hub").split("=", 1)[1]
        assert two.redeem_link(fresh) is not None  # another link is another


def test_a_used_link_is_kept_until_its_own_expiry(db: SecurityDB, tmp_path: Path) -> None:
    """The used link's expiry is kept to the second on both back-ends: the row may
    be forgotten only once the link itself is refused as expired (past the
    margin for another server's clock), never before."""
    settings = Settings(home=tmp_path)
    sessions = Sessions(settings, Authenticator(KeyStore(db)))
    token = login_link(settings, "ORG-DINSOS", "social_worker", "http://hub").split("=", 1)[1]
    payload = sessions.tokens.verify(token, "link")
    assert payload is not None and sessions.redeem_link(token) is not None
    with db.database.read() as con:
        (kept,) = con.execute(
            "SELECT expires_at FROM used_login_links WHERE nonce = ?", (str(payload["nonce"]),)
        ).fetchone()
    assert kept == float(payload["exp"])
