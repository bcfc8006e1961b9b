"""Why two records were linked: field-by-field evidence and match weights.

`link_evidence` holds, for every pair at or above the review band, one JSON object
per comparison: the comparison, the level that applied (as labelled in the model),
its match weight (log2 Bayes factor, Splink's `mw_` columns) and the two values.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import duckdb

from linkage._sql import first_row, table_exists
from linkage.errors import LinkageError
from linkage.splink_private import CLUSTERED_TABLE, PREDICT_TABLE

__all__ = [
    "COMPARISON_VALUES",
    "explain_pair",
    "level_labels",
    "write_link_evidence",
    "write_qa_report",
]

#: The standardised values shown next to each comparison's evidence.
COMPARISON_VALUES: dict[str, tuple[str, ...]] = {
    "nik": ("nik_clean",),
    "name": ("name_clean",),
    "birth_date": ("birth_date", "nik_birth_date"),
    "sex": ("sex",),
    "household": ("kk_clean", "home_key", "phone_clean"),
}


def level_labels(settings: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(comparison, gamma value, label) for every level of a saved Splink model."""
    out: list[tuple[str, int, str]] = []
    for comparison in settings.get("comparisons", []):
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        for level in levels:
            null = bool(level.get("is_null_level"))
            gamma = -1 if null else len(non_null) - 1 - non_null.index(level)
            label = level.get("label_for_charts") or level.get("sql_condition", "")
            out.append((name, gamma, str(label)))
    return out


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _evidence_sql(settings: dict[str, Any], columns: set[str]) -> str:
    """A JSON array with one object per comparison: its name, the level that
    applied (its label, by gamma), the match weight and the two values."""
    labels: dict[str, list[tuple[int, str]]] = {}
    for comparison, gamma, label in level_labels(settings):
        labels.setdefault(comparison, []).append((gamma, label))
    parts = []
    for comparison in settings.get("comparisons", []):
        name = comparison["output_column_name"]
        if f"gamma_{name}" not in columns:
            continue
        values = ", ".join(
            f'"{col}" := [CAST("{col}_l" AS VARCHAR), CAST("{col}_r" AS VARCHAR)]'
            for col in COMPARISON_VALUES.get(name, ())
            if f"{col}_l" in columns
        )
        weight = f'"mw_{name}"' if f"mw_{name}" in columns else "NULL::DOUBLE"
        if f"mw_tf_adj_{name}" in columns:
            weight = f'({weight} + coalesce("mw_tf_adj_{name}", 0))'
        level = " ".join(f"WHEN {g} THEN {_quote(label)}" for g, label in labels[name])
        parts.append(
            f"""to_json(struct_pack(comparison := {_quote(name)},
                   level := CASE "gamma_{name}" {level} END,
                   match_weight := round({weight}, 3),
                   "values" := {f"struct_pack({values})" if values else "'{}'::JSON"}))"""
        )
    if not parts:
        return "'[]'::JSON"
    return "CAST('[' || " + " || ',' || ".join(parts) + " || ']' AS JSON)"


def write_link_evidence(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    threshold: float,
    pairs: str = "linkage_pairs",
) -> None:
    """(Re)build `link_evidence` from the scored pairs of the last run."""
    columns = {row[0] for row in con.execute(f"DESCRIBE {pairs}").fetchall()}
    con.execute(
        f"""CREATE OR REPLACE TABLE link_evidence AS
            SELECT least(record_key_l, record_key_r) AS record_key_l,
                   greatest(record_key_l, record_key_r) AS record_key_r,
                   match_probability, match_weight,
                   {_evidence_sql(settings, columns)} AS evidence
            FROM {pairs} WHERE match_probability >= {float(threshold)}"""
    )


def explain_pair(
    con: duckdb.DuckDBPyConnection,
    record_key_a: str,
    record_key_b: str,
    model_dir: Path | None = None,
) -> dict[str, Any] | None:
    """The evidence for two records: from the last run when it scored them, else
    (given `model_dir`) scored now with the saved model; None when neither applies."""
    left, right = sorted((record_key_a, record_key_b))
    row = first_row(
        con,
        """SELECT match_probability, match_weight, evidence FROM link_evidence
           WHERE record_key_l = $l AND record_key_r = $r""",
        {"l": left, "r": right},
    )
    if row is None and model_dir is not None:
        row = _score_now(con, left, right, Path(model_dir))
    if row is None:
        return None
    return {
        "record_key_l": left,
        "record_key_r": right,
        "match_probability": row[0],
        "match_weight": row[1],
        "comparisons": json.loads(row[2]),
        "household_context": _context_link(con, left, right),
    }


def _context_link(con: duckdb.DuckDBPyConnection, left: str, right: str) -> str | None:
    """Why linkage.context joined the two records' people, when it did (else None)."""
    if not table_exists(con, "context_links"):
        return None
    row = first_row(
        con,
        """SELECT detail FROM context_links
           WHERE least(record_key_l, record_key_r) = $l
             AND greatest(record_key_l, record_key_r) = $r""",
        {"l": left, "r": right},
    )
    return None if row is None else str(row[0])


def _score_now(
    con: duckdb.DuckDBPyConnection, left: str, right: str, model_dir: Path
) -> tuple[Any, ...] | None:
    """Score one pair with Splink's predict_between (no blocking), as the run would."""
    from splink import Linker

    from linkage.engine import DuckDBEngine
    from linkage.model import TF_COLUMNS, load_model
    from linkage.pipeline import RECORDS, model_input_sql

    if not table_exists(con, RECORDS):
        return None
    model = load_model(model_dir)
    sql = model_input_sql(con)
    engine = DuckDBEngine()
    try:
        everyone = engine.register(con.sql(sql).to_arrow_table(), "records")
        linker = Linker(everyone, model.settings, log_level=None)
        for column in TF_COLUMNS:
            linker.table_management.compute_tf_table(column)
        sides = []
        for key in (left, right):
            one = con.sql(f"SELECT * FROM ({sql}) WHERE record_key = $k", params={"k": key})
            table = one.to_arrow_table()
            if table.num_rows == 0:
                return None
            sides.append(engine.register(table, "pair"))
        scored = linker.inference.predict_between(
            sides[0],
            sides[1],
            blocking_rules_to_generate_predictions=["1 = 1"],
            warning_mode="never",
        )
        pairs = engine.to_arrow(scored)
    finally:
        engine.close()
    scratch = duckdb.connect()
    scratch.register("scored_pair", pairs)
    write_link_evidence(scratch, model.settings, 0.0, pairs="scored_pair")
    return first_row(scratch, "SELECT match_probability, match_weight, evidence FROM link_evidence")


def write_qa_report(
    con: duckdb.DuckDBPyConnection,
    model_dir: Path,
    out: Path,
    *,
    truth: Path | None = None,
    waterfall_pairs: int = 5,
    clusters: int = 10,
) -> Path:
    """Write a linkage QA report (HTML) with Splink's charts; return its path.

    Next to `out` it writes `<stem>-comparison-viewer.html` and
    `<stem>-cluster-studio.html`, which the report embeds. The pairs are scored
    again with the saved model (`hub link` keeps only their scores and evidence,
    not every intermediate column Splink's charts read).
    """
    from splink import Linker

    from linkage.engine import DuckDBEngine
    from linkage.evaluate import evaluate
    from linkage.model import load_model
    from linkage.pipeline import RECORDS, LinkageSettings, model_input, score_pairs

    for table in ("identity_map", "linkage_pairs", RECORDS):
        if not table_exists(con, table):
            raise LinkageError(f"no {table} to report on: run `hub link` first")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = load_model(Path(model_dir))
    engine = DuckDBEngine()
    try:
        records = engine.register(model_input(con), "records")
        linker = Linker(records, model.settings, log_level=None)
        scored = score_pairs(
            engine, records, model.settings, LinkageSettings().review_threshold, linker
        )
        pairs = _register_as(engine, engine.to_arrow(scored), PREDICT_TABLE)
        clustered = _register_as(
            engine,
            con.sql(
                "SELECT m.person_id AS cluster_id, i.* FROM identity_map m "
                f"JOIN ({_model_input_sql()}) i USING (record_key)"
            ).to_arrow_table(),
            CLUSTERED_TABLE,
        )
        charts = linker.visualisations
        sections = [("Match weights", charts.match_weights_chart().to_html())]
        sample = pairs.as_record_list(limit=waterfall_pairs)
        if sample:
            sections.append(("Waterfall: example pairs", charts.waterfall_chart(sample).to_html()))
        viewer = out.with_name(f"{out.stem}-comparison-viewer.html")
        charts.comparison_viewer_dashboard(pairs, str(viewer), overwrite=True)
        studio = out.with_name(f"{out.stem}-cluster-studio.html")
        charts.cluster_studio_dashboard(
            pairs,
            clustered,
            str(studio),
            sampling_method="by_cluster_size",
            sample_size=clusters,
            overwrite=True,
        )
    finally:
        engine.close()
    if truth is not None:
        result = evaluate(con, Path(truth))
        rows = "".join(
            f"<tr><td>{name}</td><td>{s.precision:.4f}</td><td>{s.recall:.4f}</td>"
            f"<td>{s.f1:.4f}</td><td>{s.true_pairs:,}</td><td>{s.predicted_pairs:,}</td></tr>"
            for name, s in (("persons", result.persons), ("households", result.households))
        )
        sections.insert(
            0,
            (
                f"Evaluation against {html.escape(str(truth))} ({result.records:,} records)",
                "<table><tr><th>entity</th><th>precision</th><th>recall</th><th>F1</th>"
                f"<th>true pairs</th><th>predicted pairs</th></tr>{rows}</table>",
            ),
        )
    sections.append(("Comparison viewer", _frame(viewer.name)))
    sections.append(("Cluster studio", _frame(studio.name)))
    body = "".join(f"<section><h2>{title}</h2>{content}</section>" for title, content in sections)
    out.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Satupintu linkage QA ({html.escape(model.version)})</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em .8em}</style>"
        f"</head><body><h1>Linkage QA: {html.escape(model.version)}</h1>{body}</body></html>",
        encoding="utf-8",
    )
    return out


def _frame(name: str) -> str:
    return (
        f"<p><a href='{html.escape(name)}'>open full page</a></p>"
        f"<iframe src='{html.escape(name)}' width='100%' height='900'></iframe>"
    )


def _register_as(engine: Any, table: Any, templated: str) -> Any:
    """A real table (Splink's dashboards need rowid) under the name Splink's SQL expects."""
    physical = f"qa{templated}"
    engine.connection.register("_qa_arrow", table)
    engine.connection.execute(f"CREATE TABLE {physical} AS SELECT * FROM _qa_arrow")
    engine.connection.unregister("_qa_arrow")
    return engine.db_api.register(physical, table_name=templated)


def _model_input_sql() -> str:
    from linkage.model import MODEL_INPUT
    from linkage.pipeline import RECORDS

    select = ", ".join(f"{expr} AS {name}" for name, expr in MODEL_INPUT.items())
    return f"SELECT {select} FROM {RECORDS}"
