"""The linkage commands of `hub`: link, review, export identities, evaluate.

hub/ owns the Typer app and the database; it calls `make_linkage_commands` once.
Errors are raised as `linkage.errors.LinkageError`, which the hub CLI prints as one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.table import Table

from linkage.errors import LinkageError
from linkage.evaluate import evaluate
from linkage.explain import explain_pair, write_qa_report
from linkage.export import export_identities
from linkage.households import explain_household
from linkage.pipeline import STEPS, LinkageSettings, LinkSummary, run_linkage
from linkage.review import decide, list_open

__all__ = ["make_linkage_commands"]


def _profile_table(summary: LinkSummary) -> Table:
    """Wall and CPU seconds of each step (CPU: every thread of the process)."""
    table = Table("step", "seconds", "CPU seconds", "share", title="where the time went")
    total = sum(stage.seconds for stage in summary.stages) or 1.0
    for stage in summary.stages:
        table.add_row(
            stage.step,
            f"{stage.seconds:.2f}",
            f"{stage.cpu_seconds:.2f}",
            f"{stage.seconds / total:.0%}",
        )
    table.add_row(
        "total", f"{total:.2f}", f"{sum(s.cpu_seconds for s in summary.stages):.2f}", "100%"
    )
    return table


def make_linkage_commands(
    app: typer.Typer,
    open_db: Callable[[], duckdb.DuckDBPyConnection],
    model_dir: Callable[[], Path],
    run: Callable[..., LinkSummary] = run_linkage,
) -> None:
    """`run` links (default `run_linkage`; the hub reconciles first and publishes after)."""
    console = Console()

    @app.command("link")
    def link_command(
        train: Annotated[bool, typer.Option(help="Retrain the person model first.")] = False,
        engine: Annotated[
            str | None,
            typer.Option(help="duckdb or spark (default: the linkage_engine setting)."),
        ] = None,
        profile: Annotated[
            bool, typer.Option("--profile", help="Print the time each step took.")
        ] = False,
    ) -> None:
        """Link staged records into people and households with stable ids."""
        con = open_db()
        with RichProgress(console=console, transient=True) as bar:
            task = bar.add_task("linking", total=len(STEPS))

            def step(name: str) -> None:
                bar.update(task, description=name, completed=STEPS.index(name))

            summary = run(
                con,
                model_dir(),
                progress=step,
                train=train,
                # no --engine: the hub's setting (HUB_LINKAGE_ENGINE) chooses
                settings=LinkageSettings(engine=engine) if engine else None,
            )
        table = Table(title=f"hub link ({summary.model_version})")
        for name in (
            "pairs",
            "clusters",
            "persons",
            "households",
            "merges",
            "splits",
            "review_open",
        ):
            table.add_column(name.replace("_", " "), justify="right")
        table.add_row(
            *(
                f"{getattr(summary, n):,}"
                for n in (
                    "pairs",
                    "clusters",
                    "persons",
                    "households",
                    "merges",
                    "splits",
                    "review_open",
                )
            )
        )
        console.print(table)
        if profile:
            console.print(_profile_table(summary))

    review = typer.Typer(help="Uncertain record pairs: list them, decide same / not same.")

    @review.command("list")
    def review_list(
        limit: Annotated[int, typer.Option(help="How many pairs to show.")] = 20,
    ) -> None:
        """Open pairs, costliest first (households receiving aid), with their evidence."""
        pairs = list_open(open_db(), limit)
        table = Table("pair id", "records", "probability", "cost", "evidence", "check")
        for pair in pairs:
            probability = f"{pair.match_probability:.3f}" if pair.match_probability else "-"
            evidence = "; ".join(
                f"{c['comparison']}: {c['level']} ({float(str(c['match_weight'] or 0)):+.1f})"
                for c in pair.evidence
            )
            table.add_row(
                pair.pair_id,
                f"{pair.record_key_l}\n{pair.record_key_r}",
                probability,
                pair.cost_reason,
                evidence,
                ", ".join(pair.to_check),
            )
        console.print(table)

    @review.command("decide")
    def review_decide(
        pair_id: Annotated[str, typer.Argument(help="Pair id from `hub review list`.")],
        decision: Annotated[str, typer.Argument(help="same or not_same.")],
        by: Annotated[str | None, typer.Option("--by", help="Who decides.")] = None,
        note: Annotated[str | None, typer.Option(help="Why.")] = None,
    ) -> None:
        """Record a decision; it overrides the model in every later `hub link`."""
        decide(open_db(), decision, pair=pair_id, decided_by=by, note=note)
        console.print(f"{pair_id}: {decision} (applied at the next `hub link`)")

    app.add_typer(review, name="review")

    export = typer.Typer(help="Export linkage results.")

    @export.command("identities")
    def export_command(
        out: Annotated[Path, typer.Option(help="FILE.csv or FILE.parquet")],
    ) -> None:
        """The crosswalk: source, source_record_id, person_id, household_id, probability."""
        rows = export_identities(open_db(), out)
        console.print(f"{rows:,} identities written to {out}")

    app.add_typer(export, name="export")

    @app.command("explain")
    def explain_command(
        record_a: Annotated[str, typer.Argument(help="A record key, source:source_record_id.")],
        record_b: Annotated[str, typer.Argument(help="The other record key.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Why two records are (or are not) one person: field-by-field match weights."""
        found = _found(
            explain_pair(open_db(), record_a, record_b, model_dir()),
            f"evidence for {record_a} and {record_b}",
        )
        if as_json:
            return _echo_json(found)
        table = Table(
            "comparison",
            "level",
            "match weight",
            "values",
            title=f"{found['record_key_l']} ~ {found['record_key_r']}: probability "
            f"{found['match_probability']:.4f}, weight "
            f"{found['match_weight'] or 0:.2f}",
        )
        for c in found["comparisons"]:
            values = "; ".join(f"{k}: {v[0]} / {v[1]}" for k, v in c.get("values", {}).items())
            table.add_row(c["comparison"], str(c["level"]), f"{c['match_weight']:+.2f}", values)
        console.print(table)
        if found.get("household_context"):
            console.print(f"one person by household context: {found['household_context']}")

    @app.command("explain-household")
    def explain_household_command(
        record: Annotated[str, typer.Argument(help="A record key, source:source_record_id.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Why a record sits in its household: the rule, the record it joined through."""
        found = _found(explain_household(open_db(), record), f"household evidence for {record}")
        if as_json:
            return _echo_json(found)
        console.print(f"{record} in household {found['household_id']}: rule {found['rule']}")
        console.print(f"  {found['detail']}")
        if found["via_record_key"]:
            console.print(f"  joined through {found['via_record_key']}")
        console.print(f"  other records: {', '.join(found['other_records']) or '-'}")

    @app.command("qa-report")
    def qa_report_command(
        out: Annotated[Path, typer.Option(help="The HTML file to write.")],
        truth: Annotated[
            Path | None, typer.Option(help="truth.csv, for evaluation figures.")
        ] = None,
    ) -> None:
        """The linkage QA report: Splink's charts and, with --truth, the evaluation."""
        written = write_qa_report(open_db(), model_dir(), out, truth=truth)
        console.print(f"QA report written to {written}")

    @app.command("evaluate")
    def evaluate_command(
        truth: Annotated[Path, typer.Option(help="truth.csv of a generated city.")],
    ) -> None:
        """Pairwise precision, recall and F1 for persons and households."""
        result = evaluate(open_db(), truth)
        table = Table(
            "entity",
            "precision",
            "recall",
            "F1",
            "true pairs",
            title=f"{result.records:,} records scored",
        )
        for name, scores in (("persons", result.persons), ("households", result.households)):
            table.add_row(
                name,
                f"{scores.precision:.4f}",
                f"{scores.recall:.4f}",
                f"{scores.f1:.4f}",
                f"{scores.true_pairs:,}",
            )
        console.print(table)


def _found(found: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if found is None:
        raise LinkageError(
            f"no {what}: check the record keys (`hub export identities`) and run `hub link` first"
        )
    return found


def _echo_json(found: dict[str, Any]) -> None:
    typer.echo(json.dumps(found, default=str, ensure_ascii=False))
