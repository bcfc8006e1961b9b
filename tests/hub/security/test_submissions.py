"""The submission watch's settings, its durable alerts and receipts, and the
`hub alerts` / `hub consents` commands (the GraphQL side is in
tests/schema/test_submission_oracle.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storetest import security_again, store_settings
from typer.testing import CliRunner

from hub.errors import ConfigError
from hub.security.db import SecurityDB
from hub.security.grants import SqliteGrants
from hub.security.submissions import SubmissionLimits, SubmissionWatch
from hub.security.watch_cli import make_alerts_app, make_consents_app
from hub.settings import Settings, load_settings
from store import Store

runner = CliRunner()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_limits_come_from_the_submissions_section_of_hub_toml(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text("[submissions]\nrate_per_minute = 6\nburst = 10\nmisses = 7\n")
    limits = SubmissionLimits.from_settings(load_settings({}, toml))
    assert (limits.rate_per_minute, limits.burst, limits.misses) == (6.0, 10, 7)
    assert limits.matches == SubmissionLimits().matches  # the rest keep their defaults
    for bad, says in (
        ("mises = 7", "unknown"),
        ("misses = 0", "above 0"),
        ("burst = 'lots'", "numbers"),
    ):
        toml.write_text(f"[submissions]\n{bad}\n")
        with pytest.raises(ConfigError, match=says):
            SubmissionLimits.from_settings(load_settings({}, toml))


def test_alerts_survive_a_restart_and_are_raised_once_per_window(
    db: SecurityDB, tmp_path: Path
) -> None:
    limits = SubmissionLimits(misses=2)

    async def submit(watch: SubmissionWatch, n: int, at: datetime) -> list[str]:
        raised = await watch.submitted(
            "YAY-X", person_id=f"P{n}", household_id=f"H{n}", nik_given=False, matched=False, at=at
        )
        return [r["kind"] for r in raised]

    watch = SubmissionWatch(db, limits)
    assert asyncio.run(submit(watch, 1, NOW)) == []
    assert asyncio.run(submit(watch, 2, NOW)) == ["MANY_MISSES"]
    assert asyncio.run(submit(watch, 3, NOW)) == []  # the same window: no second alert
    with security_again(db, tmp_path) as again:  # a new process
        watch = SubmissionWatch(again, limits)
        page = asyncio.run(watch.alerts(organization="YAY-X", offset=0, limit=10))
        assert [(r["kind"], r["count"]) for r in page["rows"]] == [("MANY_MISSES", 2)]
        later = NOW + timedelta(days=2)  # a new window counts afresh
        assert asyncio.run(submit(watch, 4, later)) == []
        assert asyncio.run(submit(watch, 5, later)) == ["MANY_MISSES"]


def test_hub_alerts_and_consents_list(store_backend: Store, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, **store_settings(store_backend))
    with SecurityDB.from_settings(settings) as db:
        watch = SubmissionWatch(db, SubmissionLimits(matches=1))
        asyncio.run(
            watch.submitted(
                "YAY-X", person_id="P1", household_id="H1", nik_given=True, matched=True, at=NOW
            )
        )
        asyncio.run(
            SqliteGrants(db).record_consent(
                {
                    "person_id": "P1",
                    "organization": "YAY-X",
                    "categories": ["HOUSEHOLD", "PROBLEMS", "PROGRAMS", "SERVICES"],
                    "purpose": "food parcel",
                    "legal_basis": "consent",
                    "method": "signed form",
                    "recorded_by": "peksos-1",
                    "recorded_at": NOW,
                    "valid_from": NOW,
                    "valid_until": NOW + timedelta(days=365),
                }
            )
        )
    alerts = runner.invoke(make_alerts_app(lambda: settings), ["list", "--json"])
    assert alerts.exit_code == 0, alerts.output
    assert [(a["organization"], a["kind"]) for a in json.loads(alerts.output)] == [
        ("YAY-X", "MANY_MATCHES")
    ]
    table = runner.invoke(make_alerts_app(lambda: settings), ["list", "--org", "YAY-X"])
    assert "MANY_MATCHES" in table.output and "1 alerts." in table.output
    consents = runner.invoke(
        make_consents_app(lambda: settings), ["list", "--person", "P1", "--json"]
    )
    assert consents.exit_code == 0, consents.output
    [receipt] = json.loads(consents.output)
    assert (receipt["organization"], receipt["withdrawn_at"]) == ("YAY-X", None)
    with SecurityDB.from_settings(settings) as db:
        grants = SqliteGrants(db)
        assert grants.opened_persons("YAY-X", NOW + timedelta(days=1)) == ["P1"]
        assert grants.opened_persons("YAY-X", NOW + timedelta(days=366)) == []  # expired
        assert grants.opened_persons("YAY-Y", NOW + timedelta(days=1)) == []
