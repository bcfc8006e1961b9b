"""hub.dci.subscribe.Subscriptions: DCI subscriptions in the security database,
shared by two servers (two SecurityDB handles on one store, on each back-end: the
`db` fixture): a due subscription is claimed by one of them only, also when both
claim at the same moment, a failure keeps its cursor until the retry is due, an
ended one is never claimed again."""

from __future__ import annotations

import threading
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

        assert [s.code for s in two.claim(LEASE)] == [made.code]
        assert one.claim(LEASE) == []  # leased by the other server
        two.advanced(made.code, 57, delivered=3)
        after = one.get(made.code)
        assert after is not None and (after.cursor, after.delivered) == (57, 3)

        [claimed] = one.claim(LEASE)
        one.failed(claimed.code, "HTTP 500", datetime.now(UTC) + timedelta(hours=1))
        assert two.claim(LEASE) == []  # not due before its retry
        failed = two.get(made.code)
        assert failed is not None and (failed.cursor, failed.attempts) == (57, 1)
        assert failed.last_error == "HTTP 500"

        assert two.end("stranger", made.code) is None  # not another sender's to end
        assert two.end("partner", made.code) is True and one.end("partner", made.code) is False
        one.failed(made.code, "x", datetime.now(UTC) - timedelta(seconds=1))  # due again
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
