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
