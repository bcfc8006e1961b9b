"""One-pass blocking finds exactly the pairs Splink's rule-by-rule blocking finds."""

from __future__ import annotations

from pathlib import Path

import duckdb
from linkage_city import mini_city, stage
from splink import Linker, block_on

from linkage.blocking import block_pairs, blocked_pairs_sql
from linkage.engine import DuckDBEngine
from linkage.model import TF_COLUMNS, load_model
from linkage.pipeline import model_input, standardise_records


def _predictions(
    engine: DuckDBEngine, records: object, settings: dict[str, object], ours: bool
) -> list[tuple[object, ...]]:
    linker = Linker(records, settings, log_level=None)
    for column in TF_COLUMNS:
        linker.table_management.compute_tf_table(column)
    if ours:
        pairs = engine.blocked_pairs(records, settings["blocking_rules_to_generate_predictions"])
        linker.table_management.register_blocked_pairs_for_predict(pairs)
    scored = linker.inference.predict(threshold_match_probability=0.01, warning_mode="never")
    return sorted(
        engine.connection.execute(
            f"""SELECT record_key_l, record_key_r, match_key, round(match_weight, 9)
            FROM {scored.physical_name}"""
        ).fetchall()
    )


def test_scores_the_same_pairs_as_splinks_own_blocking(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=23)
    stage(con, rows)
    standardise_records(con)
    settings = load_model(model_dir).settings
    engine = DuckDBEngine()
    try:
        records = engine.register(model_input(con), "records")
        splink_blocked = _predictions(engine, records, settings, ours=False)
        ours = _predictions(engine, records, settings, ours=True)
    finally:
        engine.close()
    assert splink_blocked  # the city has pairs to find
    assert ours == splink_blocked


def test_a_pair_found_by_several_rules_is_kept_once_with_the_first() -> None:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE t AS SELECT * FROM (VALUES
               ('a', 'x', 1), ('b', 'x', 1), ('c', 'y', 1), ('d', NULL, 2))
           AS v(record_key, name, year)"""
    )
    rules = ["l.year = r.year", {"blocking_rule": "l.name = r.name"}]
    assert block_pairs(con, "t", rules, "pairs") == 3
    found = con.execute("SELECT * FROM pairs ORDER BY join_key_l, join_key_r").fetchall()
    assert found == [("0", "a", "b"), ("0", "a", "c"), ("0", "b", "c")]
    only_names = con.execute(blocked_pairs_sql("t", rules[1:])).fetchall()
    assert only_names == [("0", "a", "b")]


def test_a_word_in_common_joins_word_by_word_as_the_array_rule_would() -> None:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE t AS SELECT * FROM (VALUES
               ('a', 'rt1', ['NENENG', 'NURJANAH']), ('b', 'rt1', ['NURJANAH']),
               ('c', 'rt1', ['ASEP', 'NURJANAH', 'NURJANAH']), ('d', 'rt2', ['NURJANAH']),
               ('e', 'rt1', NULL), ('f', 'rt1', ['ASEP']))
           AS v(record_key, address_key, name_tokens)"""
    )
    exploded = block_on("address_key", "name_tokens", arrays_to_explode=["name_tokens"])
    intersect = (
        "l.address_key = r.address_key "
        "AND cardinality(array_intersect(l.name_tokens, r.name_tokens)) > 0"
    )
    by_word = con.execute(blocked_pairs_sql("t", [exploded])).fetchall()
    by_array = con.execute(blocked_pairs_sql("t", [intersect])).fetchall()
    assert (
        sorted(by_word)
        == sorted(by_array)
        == [("0", "a", "b"), ("0", "a", "c"), ("0", "b", "c"), ("0", "c", "f")]
    )
