"""`hub explain` and `hub qa-report`: a link's evidence and the QA report, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hubcli import hub, linked_city


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    return linked_city(tmp_path_factory, "explain", households=120, seed=5, foundations=2)


def test_explain_gives_field_by_field_weights_for_a_link(
    linked: tuple[dict[str, str], Path],
) -> None:
    env, _ = linked
    with duckdb.connect(str(Path(env["HUB_HOME"]) / "hub.duckdb"), read_only=True) as con:
        row = con.execute(
            "SELECT record_key_l, record_key_r, match_weight FROM link_evidence "
            "ORDER BY match_probability DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    out = json.loads(hub(env, "explain", row[0], row[1], "--json").stdout)
    assert (out["record_key_l"], out["record_key_r"]) == (row[0], row[1])
    names = {c["comparison"] for c in out["comparisons"]}
    assert {"name", "birth_date"} <= names
    for comparison in out["comparisons"]:
        assert isinstance(comparison["match_weight"], float)
        assert comparison["level"]
    # the strongest link in the city has agreeing fields that carry it
    assert max(c["match_weight"] for c in out["comparisons"]) > 3


def test_explain_unknown_records_is_one_clear_line(linked: tuple[dict[str, str], Path]) -> None:
    env, _ = linked
    result = hub(env, "explain", "nope:1", "nope:2", code=1)
    assert result.stderr.strip().count("\n") == 0
    assert "nope:1" in result.stderr


def test_qa_report_writes_html_with_the_evaluation(
    linked: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, city = linked
    out = tmp_path / "qa.html"
    hub(env, "qa-report", "--out", str(out), "--truth", str(city / "truth.csv"))
    html = out.read_text(encoding="utf-8")
    assert "<html" in html.lower()
    assert "F1" in html or "f1" in html


def test_explain_household_names_the_rule_and_the_record_it_joined_through(
    linked: tuple[dict[str, str], Path],
) -> None:
    env, _ = linked
    with duckdb.connect(str(Path(env["HUB_HOME"]) / "hub.duckdb"), read_only=True) as con:
        rules = dict(
            con.execute(
                "SELECT rule, min(record_key) FROM household_evidence GROUP BY rule"
            ).fetchall()
        )
    assert "kk" in rules
    out = json.loads(hub(env, "explain-household", rules["kk"], "--json").stdout)
    assert out["rule"] == "kk" and out["detail"].startswith("KK ")
    joined = [r for r in rules if r not in ("kk", "alone")]
    if joined:  # a city of this size may have no member without a KK
        other = json.loads(hub(env, "explain-household", rules[joined[0]], "--json").stdout)
        assert other["rule"] == joined[0] and other["via_record_key"]
    result = hub(env, "explain-household", "nope:1", code=1)
    assert "hub link" in result.stderr and result.stderr.strip().count("\n") == 0


def test_link_profile_prints_the_time_of_every_step(
    linked: tuple[dict[str, str], Path],
) -> None:
    from linkage import STEPS

    env, _ = linked
    out = hub(env, "link", "--profile").stdout
    assert "where the time went" in out
    for step in STEPS:
        if step != "train":  # the saved model is used
            assert step in out, step
