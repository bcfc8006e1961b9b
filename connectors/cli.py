"""`hub ingest` and `hub quarantine`, as a factory the hub CLI mounts.

make_ingest_commands(app, open_db, default_config=Path("sources"))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from connectors import flagged_rows, ingest, load_configs, quarantined_rows
from connectors.base import Reader
from connectors.config import SourceConfig
from connectors.errors import ConnectorError
from connectors.staging import SourceSummary
from domain.formula import escape_cell


def make_ingest_commands(
    app: typer.Typer,
    open_db: Callable[[], duckdb.DuckDBPyConnection],
    default_config: Path = Path("sources"),
    extra_configs: Callable[[], list[Path]] | None = None,
    after_ingest: Callable[[duckdb.DuckDBPyConnection], object] | None = None,
    readers: Callable[[], AbstractContextManager[Mapping[str, Reader]]] | None = None,
) -> None:
    """Register `ingest` and `quarantine` on `app`; `open_db` opens the staging DuckDB.

    `extra_configs` names config folders read on every ingest besides `--config`
    (the hub's API submissions); folders that do not exist yet are skipped.
    `after_ingest` runs on the open database after a successful ingest (the
    hub publishes it for its servers). `readers` opens, for one ingest, the
    readers of kinds only the caller can read (the hub's API submissions)."""

    @app.command("ingest")
    def ingest_command(
        config: Annotated[
            Path | None, typer.Option(help="A source TOML, or a directory of them.")
        ] = None,
        source: Annotated[str | None, typer.Option(help="Only this source id.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    ) -> None:
        """Read sources, validate and stage their records (read = staged + quarantined)."""
        console = Console(stderr=as_json)
        try:
            configs = load_configs(config or default_config)
            for extra in extra_configs() if extra_configs else []:
                if extra.is_dir() and any(extra.glob("*.toml")):
                    configs += load_configs(extra)
        except ConnectorError as exc:
            raise _fail(console, str(exc)) from exc
        if source is not None:
            configs = [c for c in configs if c.id == source]
            if not configs:
                raise _fail(console, f"no source with id '{source}' in {config or default_config}.")
        con = open_db()
        try:
            with readers() if readers else nullcontext({}) as chosen:
                summaries = _ingest_with_progress(con, configs, console, as_json, chosen)
            if after_ingest is not None:
                after_ingest(con)
        finally:
            con.close()
        if as_json:
            typer.echo(json.dumps([s.as_dict() for s in summaries], ensure_ascii=False))
        else:
            console.print(summary_table(summaries))
        failed = [s for s in summaries if s.error]
        if failed:
            for s in failed:
                console.print(f"[red]error:[/red] {s.error}", soft_wrap=True)
            raise typer.Exit(1)

    @app.command("quarantine")
    def quarantine_command(
        source: Annotated[str | None, typer.Option(help="Only this source id.")] = None,
        flagged: Annotated[
            bool,
            typer.Option(
                "--flagged", help="Staged rows with flags (suspicious but usable) instead."
            ),
        ] = False,
        flag: Annotated[
            str | None,
            typer.Option(help="With --flagged: only rows with this flag, e.g. formula_like_value."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON rows.")] = False,
    ) -> None:
        """List rows rejected in each source's latest batch, with the reason (or, with
        --flagged, the staged rows that carry flags)."""
        con = open_db()
        try:
            rows = flagged_rows(con, source, flag) if flagged else quarantined_rows(con, source)
        finally:
            con.close()
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
            return
        if flagged:
            table = _plain_table(
                "Flagged",
                ("source", "row", "record id", "name", "flags"),
                [
                    (
                        r["source"],
                        r["row_number"],
                        r["source_record_id"],
                        r["full_name"],
                        ", ".join(r["flags"]),
                    )
                    for r in rows
                ],
            )
        else:
            table = _plain_table(
                "Quarantine",
                ("source", "row", "record id", "reason", "detail"),
                [
                    (r["source"], r["row_number"], r["source_record_id"], r["reason"], r["detail"])
                    for r in rows
                ],
            )
        Console().print(table)


def _plain_table(title: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> Table:
    """A table of source values as plain text: no Rich markup, no control characters,
    and formula-like cells escaped (people paste these tables into spreadsheets)."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(Text(_printable(escape_cell("" if v is None else str(v)))) for v in row))
    return table


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _ingest_with_progress(
    con: duckdb.DuckDBPyConnection,
    configs: list[SourceConfig],
    console: Console,
    quiet: bool,
    readers: Mapping[str, Reader],
) -> list[SourceSummary]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=len(configs) > 20,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(source: str, step: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total, step=step)
            bar.update(tasks[source], completed=done, step=step)

        return ingest(con, configs, progress, raise_errors=False, readers=readers)


def summary_table(summaries: list[SourceSummary]) -> Table:
    table = Table(title="Ingest")
    for name in ("source", "read", "staged", "quarantined", "by reason", "new", "changed",
                 "unchanged", "withdrawn"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("source", "by reason") else "right")
    for s in summaries:
        if s.error:
            table.add_row(s.source, "", "", "", "[red]failed[/red]", "", "", "", "")
            continue
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s.quarantined_by_reason.items()))
        table.add_row(
            s.source, str(s.read), str(s.staged), str(s.quarantined), reasons, str(s.new),
            str(s.changed), str(s.unchanged), str(s.withdrawn),
        )  # fmt: skip
    return table


def _fail(console: Console, message: str) -> typer.Exit:
    """One line on standard error (where scripts look for it), exit 1."""
    Console(stderr=True).print(
        f"hub: error: {message}", soft_wrap=True, markup=False, highlight=False
    )
    return typer.Exit(1)


__all__ = ["make_ingest_commands", "summary_table"]
