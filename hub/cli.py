"""The `hub` command line.

Every command exits non-zero with one clear line on bad input: errors from any
package are caught by meaning (USER_ERRORS) and printed as `hub: error: ...`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from typer._click import exceptions as click_errors
from rich.console import Console

from graph.errors import GraphError
from hub import localgraph
from hub.errors import HubError
from hub.settings import Settings, load_settings

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
    home: Annotated[
        Path | None, typer.Option("--home", help="Working folder (default $HUB_HOME or .hub/).")
    ] = None,
) -> None:
    settings = load_settings()
    _State.settings = settings.with_home(home) if home else settings


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


USER_ERRORS: tuple[type[Exception], ...] = (HubError, GraphError)


def _register_user_errors(*more: type[Exception]) -> None:
    global USER_ERRORS
    USER_ERRORS = (*USER_ERRORS, *more)


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, prog_name="hub", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("hub: aborted")
        sys.exit(130)
    except click_errors.NoArgsIsHelpError as exc:
        err_console.print(exc.format_message())
        sys.exit(0)
    except click_errors.ClickException as exc:  # usage errors, missing files, unknown options
        err_console.print(f"hub: error: {exc.format_message()}{_help_hint(exc)}",
                          soft_wrap=True, markup=False)
        sys.exit(exc.exit_code)
    except USER_ERRORS as exc:
        err_console.print(f"hub: error: {exc}", soft_wrap=True, markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _help_hint(exc: click_errors.ClickException) -> str:
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return ""
    return f" (see `{ctx.command_path} --help`)"
