"""`hub report monthly --month YYYY-MM --out FILE.xlsx [--csv DIR]`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from hub.analytics import goals_of
from hub.settings import Settings
from journal import Journal
from reports.queries import Period
from reports.workbook import monthly_report


def make_report_app(
    open_db: Callable[[], duckdb.DuckDBPyConnection],
    console: Console,
    get_settings: Callable[[], Settings],
) -> typer.Typer:
    app = typer.Typer(help="Reports: the monthly update to Kemensos.", no_args_is_help=True)

    @app.command("monthly")
    def monthly(
        month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
        out: Annotated[Path, typer.Option(help="The workbook to write (*.xlsx).")],
        csv: Annotated[
            Path | None, typer.Option("--csv", help="Also write one CSV per sheet here.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    ) -> None:
        """The month's update to Kemensos: new, corrected and deactivated persons (from the
        sources and from the change requests approved in the month), services (staged and
        recorded through the API), summaries. The month ends on the cut-off day
        (`report_cutoff_day`, default the 17th). The poverty rate is poor people over the
        population file's figures (`population_file`), against `poverty_baseline` and
        `poverty_target`."""
        settings = get_settings()
        goals = goals_of(settings)
        period = Period.parse(month, settings.report_cutoff_day, settings.report_timezone)
        journal = Journal.of(settings)
        con = open_db()
        try:
            with Progress(
                TextColumn("report {task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console,
                transient=as_json,
                disable=as_json,
            ) as bar:
                task = bar.add_task("start", total=1)

                def progress(step: str, done: int, total: int) -> None:
                    bar.update(task, description=step, completed=done, total=total)

                summary = monthly_report(con, period, out, csv, progress, goals, journal=journal)
        finally:
            con.close()
            journal.close()
        if as_json:
            console.print_json(
                json.dumps(
                    {
                        "month": summary.month,
                        "out": str(summary.out),
                        "rows": summary.rows,
                        "poverty": summary.poverty,
                        "csv": [str(p) for p in summary.csv_files],
                    }
                )
            )
            return
        for name, n in summary.rows.items():
            console.print(f"  {name}: {n:,}")
        rate = summary.poverty["rate"]
        console.print(
            f"poverty: {summary.poverty['poor_people']:,} poor people, "
            f"rate {float(rate):.2%} of {summary.poverty['population']:,} people, against the "
            f"{goals.target:.2%} target (baseline {goals.baseline:.2%})"
        )
        console.print(
            f"wrote {out}" + (f" and {len(summary.csv_files)} CSV files in {csv}" if csv else "")
        )

    return app
