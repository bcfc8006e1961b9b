"""hub.dci.subscribe.Subscriptions: DCI subscriptions in the security database,
shared by two server processes (two SecurityDB handles on one file): a due
subscription is claimed by one of them only, a failure keeps its cursor until the
retry is due, an ended one is never claimed again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.dci.subscribe import REGISTER, SubscribeRefusal, Subscriptions
from hub.security import SecurityDB

LEASE = timedelta(seconds=60)


def test_two_servers_share_subscriptions_and_never_claim_one_twice(tmp_path: Path) -> None:
    one_db, two_db = SecurityDB(tmp_path / "s.sqlite"), SecurityDB(tmp_path / "s.sqlite")
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
        one_db.close()
        two_db.close()
