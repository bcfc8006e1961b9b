"""Linkage: one stable, explainable identity per person and per household.

    summary = run_linkage(con, model_dir)          # current_records -> identity_map
    linker = RealtimeLinker(con, model_dir)        # one new record, no full re-run
    result = linker.link_record({...})
    evaluate(con, Path("truth.csv"))               # pairwise P/R/F1

Output tables (DuckDB): identity_map, person_registry, household_registry,
identity_events, link_evidence, review_queue, review_decisions.
"""

from __future__ import annotations

from linkage.errors import (
    EngineError,
    LinkageError,
    ModelError,
    NoStagedRecordsError,
    ReviewError,
    TruthFileError,
)
from linkage.evaluate import Evaluation, Scores, evaluate
from linkage.explain import explain_pair
from linkage.export import export_identities
from linkage.pipeline import STEPS, LinkageSettings, LinkSummary, run_linkage
from linkage.review import decide, list_open, pair_id
from linkage.status import (
    STATUS_RULES_SELECT,
    city_norm,
    deceased_source,
    deceased_value,
    outside_city,
    rules_select,
)

__all__ = [
    "STATUS_RULES_SELECT",
    "STEPS",
    "EngineError",
    "Evaluation",
    "LinkSummary",
    "LinkageError",
    "LinkageSettings",
    "ModelError",
    "NoStagedRecordsError",
    "ReviewError",
    "Scores",
    "TruthFileError",
    "city_norm",
    "deceased_source",
    "deceased_value",
    "decide",
    "evaluate",
    "explain_pair",
    "export_identities",
    "list_open",
    "outside_city",
    "pair_id",
    "rules_select",
    "run_linkage",
]
