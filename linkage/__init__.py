"""Linkage: one stable, explainable identity per person and per household.

    summary = run_linkage(con, model_dir)          # current_records -> identity_map
    tables = output_tables(con)                    # the linked city (linkage.output)
    linker = RealtimeLinker(con, model_dir)        # one new record, no full re-run
    result = linker.link_record({...})
    evaluate(con, Path("truth.csv"))               # pairwise P/R/F1

Identity tables (DuckDB): identity_map, person_registry, household_registry,
identity_events, link_evidence, review_queue, review_decisions. The output
for the graph and other readers, with its contract: linkage.output (temp
views `linkage_out_<table>`).

This module is linkage's public face: hub/ and bench/ import from `linkage`,
never from a submodule (tests/linkage/test_facade.py checks both `__all__`
and that). Splink's private API is wrapped in linkage.splink_private.
"""

from __future__ import annotations

from linkage.blocking import rule_sql
from linkage.cli import make_linkage_commands
from linkage.components import cluster
from linkage.engine import SparkOptions
from linkage.erasure import forget_records, known_person, merge_chain, records_of_person
from linkage.errors import (
    EngineError,
    LinkageError,
    ModelError,
    NoStagedRecordsError,
    NotLinkedError,
    ReviewError,
    TruthFileError,
)
from linkage.evaluate import Evaluation, Scores, evaluate
from linkage.explain import explain_pair
from linkage.export import export_identities
from linkage.gazetteer import ensure_gazetteer
from linkage.ledger import IdentityLedger, ReviewDecisionRow
from linkage.model import latest_model, prediction_blocking_rules
from linkage.output import (
    COLUMNS,
    DTSEN_DECILE_VIEW,
    PROBABILITY_DECIMALS,
    RECORD_SCORE,
    RETIRED,
    SERVICE_FUNDER,
    TABLES,
    WEIGHT_DECIMALS,
    dtsen_decile_view,
    is_linked,
    output_queries,
    output_tables,
    output_views,
)
from linkage.pipeline import STEPS, LinkageSettings, LinkSummary, model_input_sql, run_linkage
from linkage.realtime import LinkResult, RealtimeLinker
from linkage.reconcile import reconcile
from linkage.review import (
    count_open,
    decide,
    list_open,
    pair_id,
    pair_records,
    resolve_pair,
)
from linkage.standardise import standardise as standardise_table
from linkage.standardise.record import RecordStandardiser
from linkage.standardise.search import NameTokens
from linkage.status import (
    STATUS_RULES_SELECT,
    city_norm,
    current_status_sql,
    deceased_source,
    deceased_value,
    outside_city,
    rules_select,
)
from linkage.status import prepare as prepare_status_rules

__all__ = [
    "COLUMNS",
    "DTSEN_DECILE_VIEW",
    "PROBABILITY_DECIMALS",
    "RECORD_SCORE",
    "RETIRED",
    "SERVICE_FUNDER",
    "STATUS_RULES_SELECT",
    "STEPS",
    "TABLES",
    "WEIGHT_DECIMALS",
    "EngineError",
    "Evaluation",
    "IdentityLedger",
    "LinkResult",
    "LinkSummary",
    "LinkageError",
    "LinkageSettings",
    "ModelError",
    "NameTokens",
    "NoStagedRecordsError",
    "NotLinkedError",
    "RealtimeLinker",
    "RecordStandardiser",
    "ReviewDecisionRow",
    "ReviewError",
    "Scores",
    "SparkOptions",
    "TruthFileError",
    "city_norm",
    "cluster",
    "count_open",
    "current_status_sql",
    "deceased_source",
    "deceased_value",
    "decide",
    "dtsen_decile_view",
    "ensure_gazetteer",
    "evaluate",
    "explain_pair",
    "export_identities",
    "forget_records",
    "is_linked",
    "known_person",
    "latest_model",
    "list_open",
    "make_linkage_commands",
    "merge_chain",
    "model_input_sql",
    "output_queries",
    "output_tables",
    "output_views",
    "outside_city",
    "pair_id",
    "pair_records",
    "prediction_blocking_rules",
    "prepare_status_rules",
    "reconcile",
    "records_of_person",
    "resolve_pair",
    "rule_sql",
    "rules_select",
    "run_linkage",
    "standardise_table",
]
