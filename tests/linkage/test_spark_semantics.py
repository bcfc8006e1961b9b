"""What the Spark engine needs to read the model as DuckDB does, checked without Spark:
Jaro-Winkler's definition, the model's SQL translated, and the engine chosen by the
hub's settings."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from hub.pipeline import linkage_settings
from hub.settings import load_settings
from linkage import LinkageSettings, LinkSummary, make_linkage_commands
from linkage.engine import SPARK_JARO_WINKLER, SparkOptions, model_for_dialect
from linkage.model import load_model
from linkage.similarity import jaro_winkler_similarity
from simulator.names import FEMALE_FIRST, FEMALE_LAST, MALE_FIRST, MALE_LAST


def test_jaro_winkler_is_duckdb_s_on_names_and_numbers() -> None:
    rng = random.Random(17)
    words = [*MALE_FIRST, *FEMALE_FIRST, *MALE_LAST, *FEMALE_LAST]
    names = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(400)]
    numbers = [f"3273{rng.randrange(10**11, 10**12)}" for _ in range(100)]
    pairs = [(rng.choice(names), rng.choice(names)) for _ in range(3000)]
    pairs += [(rng.choice(numbers), rng.choice(numbers)) for _ in range(1000)]
    # near a threshold, in the jar's and Spark's own the score moved across it
    pairs += [("TISNA DAYAT", "SUTISNA HIDAYAT"), ("ASEP", "AA"), ("A", "A"), ("AB", "BA")]
    con = duckdb.connect()
    expected = con.execute(
        "SELECT jaro_winkler_similarity(a, b) FROM (SELECT unnest($a) AS a, unnest($b) AS b)",
        {"a": [a for a, _ in pairs], "b": [b for _, b in pairs]},
    ).fetchall()
    got = [jaro_winkler_similarity(a, b) for a, b in pairs]
    assert got == pytest.approx([row[0] for row in expected], abs=1e-12)
    assert jaro_winkler_similarity(None, "ASEP") is None


def test_the_saved_model_reads_as_spark_sql(trained_model_dir: Path) -> None:
    """DuckDB's "name_clean_l" is a string literal in Spark SQL: translated, every
    quoted identifier is Spark's `name_clean_l`, and Jaro-Winkler is ours."""
    settings = load_model(trained_model_dir).settings
    assert any(
        '"' in level["sql_condition"]
        for c in settings["comparisons"]
        for level in c["comparison_levels"]
    )
    spark = model_for_dialect(settings, "spark")
    conditions = [
        level["sql_condition"] for c in spark["comparisons"] for level in c["comparison_levels"]
    ]
    assert not any('"' in condition for condition in conditions)
    upper = [condition.upper() for condition in conditions]
    assert f"{SPARK_JARO_WINKLER}(`NAME_CLEAN_L`, `NAME_CLEAN_R`)".upper() in "\n".join(upper)
    assert not any("JARO_WINKLER_SIMILARITY" in c or "JAROWINKLER" in c for c in upper)
    rules = [rule["blocking_rule"] for rule in spark["blocking_rules_to_generate_predictions"]]
    assert not any('"' in rule for rule in rules)
    # and back: a model trained on Spark reads as DuckDB SQL
    back = model_for_dialect(spark, "duckdb")
    again = [
        level["sql_condition"] for c in back["comparisons"] for level in c["comparison_levels"]
    ]
    assert any("JARO_WINKLER_SIMILARITY(" in c.upper() for c in again)
    assert settings["sql_dialect"] == "duckdb" and model_for_dialect(settings, "duckdb") is settings


def test_the_hub_s_engine_setting_chooses_the_engine(tmp_path: Path) -> None:
    env = {
        "HUB_HOME": str(tmp_path),
        "HUB_LINKAGE_ENGINE": "spark",
        "HUB_SPARK_MASTER": "spark://head:7077",
        "HUB_SPARK_CONF": "spark.driver.memory=8g, spark.executor.memory=16g",
        "HUB_SPARK_CHECKPOINT_URI": "hdfs:///satupintu/checkpoints",
    }
    settings = load_settings(env, toml_path=tmp_path / "absent.toml")
    chosen = linkage_settings(settings)
    assert chosen.engine == "spark"
    assert chosen.spark == SparkOptions(
        master="spark://head:7077",
        conf=(("spark.driver.memory", "8g"), ("spark.executor.memory", "16g")),
        staging=str(tmp_path.absolute() / "spark-staging"),
        checkpoints="hdfs:///satupintu/checkpoints",
    )
    # `hub link --engine duckdb` wins over the setting
    assert linkage_settings(settings, LinkageSettings(engine="duckdb")).engine == "duckdb"
    unset = load_settings({"HUB_HOME": str(tmp_path)}, toml_path=tmp_path / "absent.toml")
    assert linkage_settings(unset).engine == "duckdb"


def test_spark_settings_from_the_toml_file_and_their_refusals(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text(
        'linkage_engine = "spark"\n[spark]\nmaster = "yarn"\nstaging_uri = "/mnt/shared/stage"\n'
        '[spark.conf]\n"spark.executor.instances" = "20"\n'
    )
    settings = load_settings({}, toml_path=toml)
    assert (settings.spark_master, settings.spark_staging_uri) == ("yarn", "/mnt/shared/stage")
    assert settings.spark_conf == {"spark.executor.instances": "20"}
    from hub.errors import ConfigError

    with pytest.raises(ConfigError, match=r"spark\.\*"):
        load_settings({"HUB_SPARK_CONF": "executor.memory=4g"}, toml_path=tmp_path / "no.toml")
    with pytest.raises(ConfigError, match="shared mount"):
        load_settings({"HUB_SPARK_STAGING_URI": "s3://bucket/x"}, toml_path=tmp_path / "no.toml")


def test_hub_link_without_engine_leaves_the_choice_to_the_hub() -> None:
    """`hub link` passes no settings without --engine (the hub's linkage_settings
    then applies HUB_LINKAGE_ENGINE); with --engine, the command's choice."""
    seen: list[Any] = []

    def run(con: Any, model: Path, **options: Any) -> LinkSummary:
        seen.append(options.get("settings"))
        return LinkSummary(0, 0, 0, 0, 0, 0, 0)

    app = typer.Typer()
    app.command("noop")(lambda: None)
    make_linkage_commands(app, duckdb.connect, lambda: Path("models"), run=run)
    runner = CliRunner()
    assert runner.invoke(app, ["link"]).exit_code == 0
    assert runner.invoke(app, ["link", "--engine", "spark"]).exit_code == 0
    assert seen[0] is None
    assert seen[1].engine == "spark"
