"""The prediction rules split for speed find exactly the pairs of the rules they replace."""

from __future__ import annotations

import duckdb
from linkage_city import mini_city, stage

from linkage.blocking import blocked_pairs_sql, rule_sql
from linkage.model import _either_side_unknown, prediction_blocking_rules
from linkage.pipeline import model_input_sql, standardise_records

# the three rules as one condition each, as they were before the province bench split them
ONE_RULE_EACH = [
    "l.name_phonetic = r.name_phonetic AND l.birth_year = r.birth_year AND "
    "(l.birth_month = r.birth_month OR l.birth_day = r.birth_day "
    "OR l.kecamatan_code = r.kecamatan_code "
    "OR l.kecamatan_code IS NULL OR r.kecamatan_code IS NULL)",
    "l.name_phonetic = r.name_phonetic AND l.rt = r.rt AND l.rw = r.rw AND "
    "(l.kelurahan_code IS NULL OR r.kelurahan_code IS NULL)",
    "l.first_name_alias = r.first_name_alias AND l.home_key = r.home_key "
    "AND coalesce(l.kelurahan_code = r.kelurahan_code, true)",
]


def _pairs(con: duckdb.DuckDBPyConnection, rules: list[object]) -> set[tuple[str, str]]:
    rows = con.execute(f"SELECT join_key_l, join_key_r FROM ({blocked_pairs_sql('m', rules)})")
    return set(rows.fetchall())


def test_split_rules_find_the_pairs_of_the_or_rules_they_replace(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows, _ = mini_city(households=150, seed=3)
    stage(con, rows)
    standardise_records(con)
    con.execute(f"CREATE TABLE m AS {model_input_sql(con)}")
    # unknown kecamatan/kelurahan on every 7th record, so the NULL branches find pairs
    con.execute(
        """UPDATE m SET kecamatan_code = NULL, kelurahan_code = NULL
           WHERE hash(record_key) % 7 = 0"""
    )
    rules = prediction_blocking_rules()
    split = {
        rule_sql(r)
        for r in [
            *_either_side_unknown(
                ("name_phonetic", "birth_year"),
                ("birth_month", "birth_day", "kecamatan_code"),
                "kecamatan_code",
            ),
            *_either_side_unknown(("name_phonetic", "rt", "rw"), (), "kelurahan_code"),
            *_either_side_unknown(
                ("first_name_alias", "home_key"), ("kelurahan_code",), "kelurahan_code"
            ),
        ]
    }
    assert split <= {rule_sql(r) for r in rules}  # the model uses them
    unchanged = [r for r in rules if rule_sql(r) not in split]
    before = _pairs(con, [*unchanged, *ONE_RULE_EACH])
    assert len(_pairs(con, ONE_RULE_EACH) - _pairs(con, unchanged)) > 0  # they find pairs
    assert _pairs(con, rules) == before
