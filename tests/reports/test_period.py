"""The report month by the cut-off day: from the day after the previous
month's cut-off to this month's, inclusive; a setting, checked on start."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.settings import load_settings
from reports.errors import ReportError
from reports.queries import Period

D = dt.date


def test_a_month_runs_from_the_last_cut_off_to_this_one() -> None:
    nov = Period.parse("2026-11")
    assert (nov.start, nov.end, nov.label, nov.cutoff_day) == (
        D(2026, 10, 18),
        D(2026, 11, 18),
        "2026-11",
        17,
    )
    jan = Period.parse("2027-01", 5)
    assert (jan.start, jan.end) == (D(2026, 12, 6), D(2027, 1, 6))
    feb = Period.parse("2027-02", 28)
    assert (feb.start, feb.end) == (D(2027, 1, 29), D(2027, 3, 1))


def test_a_day_belongs_to_the_month_whose_cut_off_it_reaches() -> None:
    assert Period.containing(D(2026, 11, 17)).label == "2026-11"
    assert Period.containing(D(2026, 11, 18)).label == "2026-12"
    assert Period.containing(D(2026, 12, 31)).label == "2027-01"
    assert Period.containing(D(2026, 12, 1), 1).label == "2026-12"
    # consecutive months meet without a gap
    for month in ("2026-01", "2026-02", "2026-12"):
        this = Period.parse(month)
        assert Period.containing(this.end).start == this.end
        assert Period.containing(this.end - dt.timedelta(days=1)) == this


def test_the_cut_off_day_is_a_day_every_month_has(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="1 to 28"):
        Period.parse("2026-11", 29)
    toml = tmp_path / "hub.toml"
    toml.write_text("[report]\ncutoff_day = 5\n", encoding="utf-8")
    assert load_settings({}, toml_path=toml).report_cutoff_day == 5
    assert load_settings({}, toml_path=tmp_path / "absent").report_cutoff_day == 17
    assert load_settings({"HUB_REPORT_CUTOFF_DAY": "20"}, toml_path=toml).report_cutoff_day == 20
    for bad in ("0", "31"):
        with pytest.raises(ConfigError, match="report_cutoff_day"):
            load_settings({"HUB_REPORT_CUTOFF_DAY": bad}, toml_path=toml)


def test_the_current_month_follows_the_offices_calendar() -> None:
    """At 20:00 UTC on the 17th it is already 03:00 on the 18th in Bandung
    (WIB): past the cut-off, so the current report month is the next one;
    in Jayapura (WIT, UTC+9) too, and in UTC it is still the 17th."""
    at = dt.datetime(2026, 11, 17, 20, 0, tzinfo=dt.UTC)
    assert Period.current(17, "Asia/Jakarta", now=at).label == "2026-12"
    assert Period.current(17, "Asia/Jayapura", now=at).label == "2026-12"
    assert Period.current(17, "UTC", now=at).label == "2026-11"


def test_the_time_zone_is_a_setting_checked_when_read(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[report]\ntimezone = "Asia/Makassar"\n', encoding="utf-8")
    assert load_settings({}, toml_path=toml).report_timezone == "Asia/Makassar"
    assert load_settings({}, toml_path=tmp_path / "absent").report_timezone == "Asia/Jakarta"
    with pytest.raises(ConfigError, match="IANA time zone"):
        load_settings({"HUB_REPORT_TIMEZONE": "WIB"}, toml_path=tmp_path / "absent")
