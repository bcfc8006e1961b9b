"""Splink's private API, used only by linkage/splink_private.py: every name it
relies on still resolves in the installed Splink, and when one moves the
real-time linker says what moved and scores through the public predict_between.

If the first test fails after an upgrade, re-check linkage/splink_private.py
against the new Splink and update its CHECKED_AGAINST."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from linkage_city import mini_city, stage
from splink import Linker

from linkage import run_linkage
from linkage.engine import DuckDBEngine
from linkage.model import load_model
from linkage.pipeline import model_input
from linkage.realtime import RealtimeLinker
from linkage.splink_private import CHECKED_AGAINST, SplinkInternalsError, missing, scoring_sql

MOVED = "splink.internals.predict.predict_from_comparison_vectors_sqls_using_settings"


@pytest.fixture
def rows(con: duckdb.DuckDBPyConnection, model_dir: Path) -> list[dict[str, Any]]:
    city, _ = mini_city(households=25, seed=61)
    stage(con, city)
    run_linkage(con, model_dir)
    return city


@pytest.fixture
def linker(
    con: duckdb.DuckDBPyConnection, model_dir: Path, rows: list[dict[str, Any]]
) -> Iterator[Any]:
    engine = DuckDBEngine()
    try:
        yield Linker(
            engine.register(model_input(con), "records"),
            load_model(model_dir).settings,
            log_level=None,
        )
    finally:
        engine.close()


def test_every_private_name_still_resolves(linker: Any) -> None:
    assert missing(linker) == [], f"checked against Splink {CHECKED_AGAINST}"
    sql = scoring_sql(linker, "left_rows", "right_rows")
    assert "match_probability" in sql and "left_rows" in sql and "right_rows" in sql


def test_a_moved_name_is_named_and_real_time_falls_back_to_predict_between(
    con: duckdb.DuckDBPyConnection,
    model_dir: Path,
    rows: list[dict[str, Any]],
    linker: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delattr(MOVED)  # as an upgrade that moved it would

    assert missing(linker) == [MOVED]
    with pytest.raises(SplinkInternalsError, match=f"checked against {CHECKED_AGAINST}"):
        scoring_sql(linker, "left_rows", "right_rows")
    with caplog.at_level(logging.WARNING, logger="linkage.realtime"):
        fallback = RealtimeLinker(con, model_dir)
    assert MOVED in caplog.text and "predict_between" in caplog.text
    public = RealtimeLinker(con, model_dir, compiled=False)
    record = {**rows[0], "source": "check", "source_record_id": "1", "record_key": None}
    a, b = fallback.link_record(dict(record)), public.link_record(dict(record))
    assert (a.person_id, a.match_probability, a.evidence) == (
        b.person_id,
        b.match_probability,
        b.evidence,
    )


def test_no_other_module_uses_splink_internals() -> None:
    import linkage.splink_private as home

    root = Path(home.__file__).resolve().parent
    private = ("splink.internals", *(f".{name}" for name in home.LINKER_ATTRIBUTES))
    users = [
        f"{path.relative_to(root)}: {word}"
        for path in root.rglob("*.py")
        if path.name != "splink_private.py"
        for word in private
        if word in path.read_text(encoding="utf-8")
    ]
    assert users == []
