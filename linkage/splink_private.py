"""Splink's private API, all in one place, with why we use it.

Checked against Splink 5.0.0 (`CHECKED_AGAINST`; pyproject allows >=5.0,<6).

Why: the real-time linker scores one record against its candidates hundreds
of times a minute. Splink's public `linker.inference.predict_between` builds
its SQL anew on every call (about 0.25 s of Python); the SQL only depends on
the model, so `scoring_sql` builds it once and the linker re-runs it on its
two small tables. Splink 5 has no public way to get that SQL, so this module
assembles it from the same private pieces `predict_between` uses:

- `splink.internals.pipeline.CTEPipeline`
- `splink.internals.comparison_vector_values.compute_comparison_vector_values_from_id_pairs_sqls`
- `splink.internals.predict.predict_from_comparison_vectors_sqls_using_settings`
- `Linker._settings_obj` and `Linker._sql_dialect_str`; on the settings,
  `column_info_settings`, `_columns_to_select_for_blocking`,
  `_columns_to_select_for_comparison_vector_values` and `_link_type`
- the table names Splink's SQL reads (`__splink__df_concat_with_tf_left`,
  `..._right`, `__splink__blocked_id_pairs`) and the names its charts and
  dashboards expect their input under (`PREDICT_TABLE`, `CLUSTERED_TABLE`,
  used by linkage.explain's QA report)

Nothing else in linkage/ touches `splink.internals` or a private attribute of
Splink. When an upgrade moves one of these, `scoring_sql` raises
`SplinkInternalsError` naming what moved, the real-time linker falls back to
`predict_between` (slower, the same scores) and says so in the log, and
`tests/linkage/test_splink_private.py` fails: re-check this module against the
new version and update `CHECKED_AGAINST`.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from linkage.errors import LinkageError

#: the Splink version this module was last checked against
CHECKED_AGAINST: Final[str] = "5.0.0"

#: private functions and classes: module -> names
PRIVATE_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "splink.internals.pipeline": ("CTEPipeline",),
    "splink.internals.comparison_vector_values": (
        "compute_comparison_vector_values_from_id_pairs_sqls",
    ),
    "splink.internals.predict": ("predict_from_comparison_vectors_sqls_using_settings",),
}
#: private attributes of a Linker, and of its settings object
LINKER_ATTRIBUTES: Final[tuple[str, ...]] = ("_settings_obj", "_sql_dialect_str")
SETTINGS_ATTRIBUTES: Final[tuple[str, ...]] = (
    "column_info_settings",
    "_columns_to_select_for_blocking",
    "_columns_to_select_for_comparison_vector_values",
    "_link_type",
)

#: the names Splink's charts and dashboards read pairwise predictions and
#: clusters under (linkage.explain registers its tables so)
PREDICT_TABLE: Final[str] = "__splink__df_predict"
CLUSTERED_TABLE: Final[str] = "__splink__df_clustered"

_LEFT: Final[str] = "__splink__df_concat_with_tf_left"
_RIGHT: Final[str] = "__splink__df_concat_with_tf_right"
_PAIRS: Final[str] = "__splink__blocked_id_pairs"


class SplinkInternalsError(LinkageError):
    """A private name of Splink this module relies on has moved."""

    def __init__(self, moved: list[str]) -> None:
        import splink

        super().__init__(
            f"Splink {splink.__version__} no longer has {', '.join(moved)} (linkage/"
            f"splink_private.py was checked against {CHECKED_AGAINST}): re-check that module"
        )
        self.moved = moved


def missing(linker: Any) -> list[str]:
    """Every private name above that Splink (and `linker`, a Linker) lacks."""
    out: list[str] = []
    for module_name, names in PRIVATE_NAMES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            out.append(module_name)
            continue
        out.extend(f"{module_name}.{n}" for n in names if not hasattr(module, n))
    out.extend(f"Linker.{a}" for a in LINKER_ATTRIBUTES if not hasattr(linker, a))
    settings = getattr(linker, "_settings_obj", None)
    if settings is not None:
        out.extend(f"Settings.{a}" for a in SETTINGS_ATTRIBUTES if not hasattr(settings, a))
    return out


def scoring_sql(linker: Any, left: str, right: str) -> str:
    """The SQL `predict_between` runs to score every row of table `left`
    against every row of `right` (both with the model's input columns and the
    tf_ columns), generated once from `linker`'s model. Raises
    SplinkInternalsError when Splink has moved what it needs."""
    moved = missing(linker)
    if moved:
        raise SplinkInternalsError(moved)
    from splink.internals.comparison_vector_values import (
        compute_comparison_vector_values_from_id_pairs_sqls,
    )
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.predict import predict_from_comparison_vectors_sqls_using_settings

    settings = linker._settings_obj
    unique_id = settings.column_info_settings.unique_id_input_column
    pipeline = CTEPipeline()
    pipeline.enqueue_sql(f"SELECT * FROM {left}", _LEFT)
    pipeline.enqueue_sql(f"SELECT * FROM {right}", _RIGHT)
    pipeline.enqueue_sql(
        f"""SELECT '0' AS match_key, l.{unique_id.name} AS join_key_l,
                   r.{unique_id.name} AS join_key_r
            FROM {left} l CROSS JOIN {right} r""",
        _PAIRS,
    )
    pipeline.enqueue_list_of_sqls(
        compute_comparison_vector_values_from_id_pairs_sqls(
            settings._columns_to_select_for_blocking,
            settings._columns_to_select_for_comparison_vector_values,
            input_tablename_l=_LEFT,
            input_tablename_r=_RIGHT,
            source_dataset_input_column=None,
            unique_id_input_column=unique_id,
            link_type=settings._link_type,
            sql_dialect_str=linker._sql_dialect_str,
        )
    )
    pipeline.enqueue_list_of_sqls(predict_from_comparison_vectors_sqls_using_settings(settings))
    return str(pipeline.generate_cte_pipeline_sql())


__all__ = [
    "CHECKED_AGAINST",
    "CLUSTERED_TABLE",
    "LINKER_ATTRIBUTES",
    "PREDICT_TABLE",
    "PRIVATE_NAMES",
    "SETTINGS_ATTRIBUTES",
    "SplinkInternalsError",
    "missing",
    "scoring_sql",
]
