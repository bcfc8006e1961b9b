"""The `hub` command line.

Every command exits non-zero with one clear line on bad input: errors from any
package are caught by meaning (USER_ERRORS) and printed as `hub: error: ...`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console

from connectors.cli import make_ingest_commands
from connectors.errors import ConnectorError
from graph import GraphError
from hub import erasure, localgraph, pipeline, subject_access
from hub.dashboard import login_link
from hub.dci.cli import make_dci_app
from hub.demo import run_demo
from hub.errors import HubError
from hub.failures import DEBUG_ENV, debug_requested, describe
from hub.intake import IntakeStore, intake_readers
from hub.priority import yield_to_server
from hub.report_cli import make_report_app
from hub.security.cli import make_audit_app, make_keys_app
from hub.security.watch_cli import make_alerts_app, make_consents_app
from hub.server import serve_app
from hub.settings import Settings, load_settings
from hub.status import collect_status, healthy, print_status
from linkage import LinkageError, LinkSummary, make_linkage_commands
from reports.errors import ReportError
from simulator import ProfileError, generate_city, load_profile
from store import StoreError

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="hub",
    help="Satupintu: the one-data welfare hub (connect, link, graph, serve).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
neo4j_app = typer.Typer(help="The local Neo4j server (not used when NEO4J_URI is set).")
app.add_typer(neo4j_app, name="neo4j")


class _State:
    settings: Settings | None = None


def get_settings() -> Settings:
    if _State.settings is None:
        _State.settings = load_settings()
    return _State.settings


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option("--home", help="Working folder (default $HUB_HOME or .hub/).")
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help=f"Show the traceback of a failure (also {DEBUG_ENV}=1).")
    ] = False,
) -> None:
    settings = load_settings()
    _State.settings = settings.with_home(home) if home else settings
    yield_to_server(ctx.invoked_subcommand, settings)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Build the launcher on first use, start Neo4j and wait until Bolt answers."""
    settings = get_settings()
    before = localgraph.local_status(settings)
    st = localgraph.start_local(settings)
    word = "already running" if before.running else "started"
    console.print(f"Neo4j {word}: {st.uri} (pid {st.pid}, data in {settings.neo4j_home})")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j cleanly."""
    stopped = localgraph.stop_local(get_settings())
    console.print("Neo4j stopped." if stopped else "Neo4j was not running.")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the local Neo4j runs and answers (exit 1 when it does not)."""
    st = localgraph.local_status(get_settings())
    if st.running:
        answer = "answering" if st.answering else "not answering yet"
        console.print(f"Neo4j running: {st.uri} (pid {st.pid}), {answer}")
    else:
        console.print(f"Neo4j not running ({st.uri})")
    if not (st.running and st.answering):
        raise typer.Exit(1)


def _open_db() -> duckdb.DuckDBPyConnection:
    return pipeline.open_db(get_settings())


def _model_dir() -> Path:
    return pipeline.model_dir(get_settings())


def _link(con: duckdb.DuckDBPyConnection, model: Path, **options: Any) -> LinkSummary:
    return pipeline.link(get_settings(), con, model, **options)


make_ingest_commands(
    app,
    _open_db,
    default_config=Path("sources"),
    extra_configs=lambda: [IntakeStore.config_dir_of(get_settings().home)],
    after_ingest=lambda con: pipeline.publish_staging(get_settings(), con),
    readers=lambda: intake_readers(get_settings()),
)
make_linkage_commands(app, _open_db, _model_dir, run=_link)
app.add_typer(make_keys_app(get_settings), name="keys", help="API keys per organization.")


class _SubjectAccess:
    def build(self, person_id: str) -> dict[str, Any]:
        settings = get_settings()
        con = pipeline.open_db(settings)
        try:
            return subject_access.build_report(settings, con, person_id)
        finally:
            con.close()

    def to_html(self, report: dict[str, Any]) -> str:
        return subject_access.to_html(report)


app.add_typer(
    make_audit_app(get_settings, _SubjectAccess()),
    name="audit",
    help="The keyed, anchored audit log and subject access reports.",
)
app.add_typer(make_alerts_app(get_settings), name="alerts", help="Submission pattern alerts.")
app.add_typer(
    make_consents_app(get_settings),
    name="consents",
    help="Consent receipts and link confirmations.",
)
app.add_typer(
    make_report_app(_open_db, console, get_settings), name="report", help="The monthly report."
)
app.add_typer(
    make_dci_app(get_settings),
    name="dci",
    help="The DCI Social Registry API: the hub's signing key and partner senders.",
)


@app.command("status")
def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """What is loaded, when, from which sources; DuckDB and Neo4j health (exit 1 if unhealthy)."""
    report = collect_status(get_settings())
    if as_json:
        console.print_json(data=report)
    else:
        print_status(report, console)
    if not healthy(report):
        raise typer.Exit(1)


@app.command("dashboard-link")
def dashboard_link(
    org: Annotated[str, typer.Option(help="Organization shown on the dashboard.")] = "ORG-DINSOS",
    role: Annotated[str, typer.Option(help="dinsos_admin or social_worker.")] = "dinsos_admin",
    base_url: Annotated[str | None, typer.Option(help="Default http://HUB_HOST:HUB_PORT.")] = None,
) -> None:
    """Print a one-time sign-in link to /dashboard, valid for 5 minutes."""
    settings = get_settings()
    if role not in ("dinsos_admin", "social_worker"):
        raise typer.BadParameter(
            f"{role!r}: the dashboard is for dinsos_admin or social_worker.", param_hint="--role"
        )
    console.print(
        login_link(settings, org, role, base_url or f"http://{settings.host}:{settings.port}"),
        soft_wrap=True,
    )


@app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Folder for sources/, config/ and truth.csv.")],
    households: Annotated[int, typer.Option(min=1, help="How many households.")] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same city.")] = 1,
    foundations: Annotated[int, typer.Option(min=0, help="How many foundation sources.")] = 300,
    profile: Annotated[
        str | None,
        typer.Option(help="Error profile: standard (default), wide, or a profile TOML file."),
    ] = None,
) -> None:
    """Write a synthetic Bandung with ground truth: sources, configs, truth.csv."""
    try:
        chosen = load_profile(profile)
    except ProfileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--profile") from exc
    summary = generate_city(
        households, seed, out, foundations, _progress_printer("generate"), chosen
    )
    console.print(
        f"{summary.households:,} households, {summary.people:,} people, "
        f"{summary.records:,} records in {summary.sources} sources written to {out}; "
        f"its population in {summary.population_file} (set HUB_POPULATION_FILE to it)"
    )


@app.command("load")
def load_command() -> None:
    """Load everything staged and linked into Neo4j (idempotent; unchanged rows write nothing)."""
    settings = get_settings()
    con = pipeline.open_db(settings)
    try:
        started = time.perf_counter()
        report = pipeline.load_graph(settings, con, _step_printer("load"))
        seconds = time.perf_counter() - started
    finally:
        con.close()
    console.print(
        f"loaded {report.rows_sent:,} changed of {report.rows_built:,} rows: "
        f"{report.entities_written:,} nodes+relationships created, {report.retired:,} ids "
        f"retired ({report.merged:,} merged), {report.dropped:,} gone rows dropped "
        f"in {seconds:.1f} s"
    )


retention_app = typer.Typer(help="Retention rules per source (UU PDP).")
app.add_typer(retention_app, name="retention")


@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
) -> None:
    """Erase the records each source's `retention` rule lets go, from staging,
    the identity map and the graph; audited. Safe to run again."""
    settings = get_settings()
    con = pipeline.open_db(settings)
    try:
        result = erasure.apply_retention(settings, con, dry_run=dry_run)
        if not dry_run and result.record_keys:
            pipeline.publish_staging(settings, con, erased=True)
    finally:
        con.close()
    console.print(result.summary())


@app.command("erase")
def erase_command(
    person: Annotated[str, typer.Option("--person", help="The person's id (P-...).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, e.g. the request's number.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
) -> None:
    """Erase a person on request (UU PDP Art. 8): every record linked to them in
    staging, the identity map and the graph; audited without the erased data."""
    settings = get_settings()
    con = pipeline.open_db(settings)
    try:
        result = erasure.erase_person(settings, con, person, reason, dry_run=dry_run)
        if not dry_run:
            pipeline.publish_staging(settings, con, erased=True)
    finally:
        con.close()
    console.print(f"{person}: {result.summary()}")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Default from settings (127.0.0.1).")] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Default from settings (8000); 0: a free port, named in the log's "
            "'Uvicorn running on' line.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Server processes on the one port (rate limits, audit and "
            "subscriptions stay shared).",
        ),
    ] = 1,
) -> None:
    """Serve GraphQL at /graphql (HTTP and websocket) with uvicorn."""
    settings = get_settings()
    localgraph.ensure_neo4j(settings)
    serve_app(settings, host or settings.host, settings.port if port is None else port, workers)


@app.command("demo")
def demo_command(
    households: Annotated[int, typer.Option(min=10, help="Size of the synthetic city.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same city.")] = 2026,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server at the end.")
    ] = True,
) -> None:
    """Generate a synthetic city, ingest, link, load into Neo4j, print keys, and serve."""
    run_demo(get_settings(), console, households=households, seed=seed, serve=serve_after)


def _progress_printer(label: str) -> Callable[[str, int, int], None]:
    last: dict[str, int] = {}

    def report(step: str, done: int, total: int) -> None:
        if done == total or last.get(step, -1) < 0:
            console.print(f"[dim]{label}: {step} {done}/{total}[/dim]")
        last[step] = done

    return report


def _step_printer(label: str) -> Callable[[str], None]:
    return lambda step: console.print(f"[dim]{label}: {step}[/dim]")


USER_ERRORS: tuple[type[Exception], ...] = (
    HubError,
    StoreError,  # the shared store unreachable, a key file it does not know: say so, no "bug"
    GraphError,
    ConnectorError,
    LinkageError,
    ReportError,
    FileNotFoundError,
)


def main(argv: list[str] | None = None) -> None:
    """Run `hub`; every failure ends as one line on standard error and exit 1 (a
    traceback only with `--debug` or HUB_DEBUG=1)."""
    args = sys.argv[1:] if argv is None else argv
    debug = debug_requested(args)
    # Splink's training chatter (levels not observed, max_pairs advice) is for
    # model developers; `hub link` reports what an operator needs.
    logging.getLogger("splink").setLevel(logging.ERROR)
    if not debug:  # the driver's retry warnings: the one line below says what happened
        logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    try:
        code = app(args=args, prog_name="hub", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("hub: aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors, missing files, unknown options
        if _is_help_request(exc):  # `hub keys` alone: its help, and success
            err_console.print(exc.format_message())
            sys.exit(0)
        err_console.print(
            f"hub: error: {exc.format_message()}{_help_hint(exc)}", soft_wrap=True, markup=False
        )
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("hub: interrupted")
        sys.exit(130)
    except USER_ERRORS as exc:
        if debug:
            raise
        err_console.print(f"hub: error: {exc}", soft_wrap=True, markup=False)
        sys.exit(1)
    except Exception as exc:  # anything else: one line, never a traceback
        if debug:
            raise
        err_console.print(f"hub: error: {describe(exc)}", soft_wrap=True, markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _is_help_request(exc: typer.TyperException) -> bool:
    """`hub` alone (no_args_is_help) raises NoArgsIsHelpError, which only
    Typer's private click package exports; its name is the public promise."""
    return any(kind.__name__ == "NoArgsIsHelpError" for kind in type(exc).__mro__)


def _help_hint(exc: typer.TyperException) -> str:
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return ""
    return f" (see `{ctx.command_path} --help`)"
