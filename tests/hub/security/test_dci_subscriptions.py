"""hub.dci.subscribe.Subscriptions: DCI subscriptions in the security database,
shared by two servers (two SecurityDB handles on one store, on each back-end: the
`db` fixture): a due subscription is claimed by one of them only, also when both
claim at the same moment, a failure keeps its cursor until the retry is due, an
ended one is never claimed again."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storetest import security_again

from hub.dci.subscribe import REGISTER, SubscribeRefusal, Subscriptions
from hub.security import SecurityDB

LEASE = timedelta(seconds=60)


def test_two_servers_share_subscriptions_and_never_claim_one_twice(
    db: SecurityDB, tmp_path: Path
) -> None:
    one_db, two_db = db, security_again(db, tmp_path)
    try:
        one, two = Subscriptions(one_db), Subscriptions(two_db)
        made = one.add(
            "partner", "sys:p", "t-1", "r-1", REGISTER, {"kecamatan_code": ["1"]}, None, "p", 40
        )
        assert two.get(made.code) == made and made.cursor == 40 and made.active
        with pytest.raises(SubscribeRefusal) as again:  # the same event and filter
            two.add(
                "partner", "sys:p", "t-2", "r-1", REGISTER, {"kecamatan_code": ["1"]}, None, "p", 41
            )
        assert again.value.code == "rjct.event.already_subscribed"

        [held] = two.claim(LEASE)
        assert held.code == made.code
        assert one.claim(LEASE) == []  # leased by the other server
        assert two.advanced(made.code, 57, 3, token=held.lease_token)
        after = one.get(made.code)
        assert after is not None and (after.cursor, after.delivered) == (57, 3)

        [claimed] = one.claim(LEASE)
        hour = datetime.now(UTC) + timedelta(hours=1)
        assert one.failed(claimed.code, "HTTP 500", hour, token=claimed.lease_token)
        assert two.claim(LEASE) == []  # not due before its retry
        failed = two.get(made.code)
        assert failed is not None and (failed.cursor, failed.attempts) == (57, 1)
        assert failed.last_error == "HTTP 500"

        assert two.end("stranger", made.code) is None  # not another sender's to end
        assert two.end("partner", made.code) is True and one.end("partner", made.code) is False
        due = datetime.now(UTC) - timedelta(seconds=1)
        ended = one.get(made.code)
        assert ended is not None  # ending took the lease: the last claimer writes nothing
        assert not one.failed(made.code, "x", due, token=claimed.lease_token)
        assert one.failed(made.code, "x", due, token=ended.lease_token)  # due again
        assert one.claim(LEASE) == [] and two.claim(LEASE) == []  # ended: never sent again
        assert [s.active for s in one.of_sender("partner")] == [False]
    finally:
        two_db.close()


def test_two_pumps_claiming_at_once_take_each_subscription_once(
    db: SecurityDB, tmp_path: Path
) -> None:
    with security_again(db, tmp_path) as other_db:
        servers = [Subscriptions(db), Subscriptions(other_db)]
        made = {
            servers[i % 2].add(f"p-{i}", "sys:p", f"t-{i}", "r", REGISTER, {}, None, "p", 0).code
            for i in range(30)
        }
        start = threading.Barrier(2)
        got: list[list[str]] = [[], []]

        def pump(i: int) -> None:
            start.wait()
            while batch := servers[i].claim(LEASE, limit=3):
                got[i].extend(s.code for s in batch)

        threads = [threading.Thread(target=pump, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(got[0] + got[1]) == sorted(made)  # every one, none twice


def test_a_pump_whose_lease_ran_out_writes_nothing_over_the_next_holder(
    db: SecurityDB, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Pump A's claim lapses (a slow round), pump B (another server) claims the
    subscription: each claim takes a new token, and A's renewal before posting,
    cursor, failure and release are refused, logged on `hub.dci`; B's land."""
    with security_again(db, tmp_path) as other_db:
        mine, theirs = Subscriptions(db), Subscriptions(other_db)
        made = mine.add("partner", "sys:p", "t-1", "r-1", REGISTER, {}, None, "p", 40)
        [first] = mine.claim(timedelta(milliseconds=10))  # stands for a round past its lease
        time.sleep(0.05)
        [second] = theirs.claim(LEASE)
        assert (first.lease_token, second.lease_token) == (1, 2)
        assert not mine.renew(made.code, LEASE, token=1)  # A does not post
        assert not mine.advanced(made.code, 57, 3, token=1)
        assert not mine.failed(made.code, "timed out", token=1)
        assert not mine.release(made.code, token=1)
        untouched = theirs.get(made.code)
        assert untouched is not None and untouched.lease_until == second.lease_until
        assert (untouched.cursor, untouched.delivered, untouched.attempts) == (40, 0, 0)
        assert untouched.last_error is None and untouched.next_at is None
        logged = [r.getMessage() for r in caplog.records if r.name == "hub.dci"]
        assert logged == [
            f"DCI subscription {made.code}: {outcome} not written,"
            " the worker's lease 1 was taken over (now 2)"
            for outcome in (
                "the lease's renewal (and so the post)",
                "the cursor",
                "a failed attempt",
                "the release",
            )
        ]
        assert theirs.renew(made.code, LEASE, token=2)
        assert theirs.advanced(made.code, 57, 3, token=2)
        done = mine.get(made.code)
        assert done is not None and (done.cursor, done.delivered, done.lease_until) == (57, 3, None)


def test_a_store_made_before_the_fencing_token_gets_it_at_start(db: SecurityDB) -> None:
    made = Subscriptions(db).add("p", "sys:p", "t", "r", REGISTER, {}, None, "p", 0)
    with db.write() as con:  # the table as an older version made it
        con.execute("ALTER TABLE dci_subscriptions DROP COLUMN lease_token")
    [claimed] = Subscriptions(db).claim(LEASE)
    assert (claimed.code, claimed.lease_token) == (made.code, 1)


def test_unsubscribing_fences_the_pump_that_holds_the_subscription(
    db: SecurityDB, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The partner unsubscribes while a pump (here, another server's) holds the
    subscription and has not posted yet: ending it takes the lease from that pump,
    so its renewal before posting is refused and nothing more is sent, nor its
    cursor written over the ended row."""
    with security_again(db, tmp_path) as other_db:
        pump, api = Subscriptions(db), Subscriptions(other_db)
        made = api.add("partner", "sys:p", "t-1", "r-1", REGISTER, {}, None, "p", 40)
        [held] = pump.claim(LEASE)
        assert api.end("partner", made.code) is True
        assert not pump.renew(made.code, LEASE, token=held.lease_token)  # no post after it
        assert not pump.advanced(made.code, 57, 3, token=held.lease_token)
        ended = api.get(made.code)
        assert ended is not None and not ended.active
        assert (ended.cursor, ended.delivered, ended.lease_until) == (40, 0, None)
        assert ended.lease_token > held.lease_token
        assert [r.getMessage() for r in caplog.records if r.name == "hub.dci"] == [
            f"DCI subscription {made.code}: {outcome} not written,"
            f" the worker's lease {held.lease_token} was taken over (now {ended.lease_token})"
            for outcome in ("the lease's renewal (and so the post)", "the cursor")
        ]


def test_a_store_made_before_the_party_was_kept_gets_it_at_start(db: SecurityDB) -> None:
    """A subscription made before its sender's organization and role were kept
    (columns added by a later version) is read with None for both and is still
    its sender's (`Sender.is_party`); a new one keeps them."""
    made = Subscriptions(db).add("p", "sys:p", "t", "r", REGISTER, {}, None, "p", 0)
    with db.write() as con:  # the table as an older version made it
        con.execute("ALTER TABLE dci_subscriptions DROP COLUMN organization")
        con.execute("ALTER TABLE dci_subscriptions DROP COLUMN role")
    again = Subscriptions(db)
    [claimed] = again.claim(LEASE)
    assert (claimed.code, claimed.organization, claimed.role) == (made.code, None, None)
    kept = again.add(
        "p", "sys:p", "t-2", "r-2", REGISTER, {"x": ["1"]}, None, "p", 0,
        organization="ORG-BPJS", role="partner_system",
    )  # fmt: skip
    assert (kept.organization, kept.role) == ("ORG-BPJS", "partner_system")
