"""Open Neo4j drivers, and turn "cannot reach Neo4j" into one clear error.

The driver is opened on a `GraphTarget` (uri, user, password, database), plain
values, so the caller decides where they come from (`hub.settings.graph_target`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase
from neo4j.exceptions import (
    AuthError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from graph.errors import GraphError, GraphQueryError, GraphUnavailable

T = TypeVar("T")


@dataclass(frozen=True)
class GraphTarget:
    """Where the graph lives and how to log in: what a driver is opened on (not an
    open connection; `open_driver` and `open_async_driver` make those)."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"


def open_driver(target: GraphTarget) -> Driver:
    driver = GraphDatabase.driver(
        target.uri, auth=(target.user, target.password), notifications_min_severity="OFF"
    )
    try:
        driver.verify_connectivity()
    except BaseException as exc:
        driver.close()
        raise unavailable(target.uri, exc) from exc
    return driver


async def open_async_driver(
    target: GraphTarget, verify: bool = True, max_retry_seconds: float = 5.0
) -> AsyncDriver:
    """An async driver for the API. Transient failures are retried for at most
    `max_retry_seconds` (the driver's default, 30 s, is too long for a caller
    waiting on an answer) before GraphUnavailable."""
    driver = AsyncGraphDatabase.driver(
        target.uri,
        auth=(target.user, target.password),
        max_transaction_retry_time=max_retry_seconds,
        connection_acquisition_timeout=max_retry_seconds * 2,
        notifications_min_severity="OFF",
    )
    if verify:
        try:
            await driver.verify_connectivity()
        except BaseException as exc:
            await driver.close()
            raise unavailable(target.uri, exc) from exc
    return driver


def unavailable(uri: str, exc: BaseException) -> BaseException:
    """Map a driver failure to GraphUnavailable; other errors pass through."""
    if isinstance(exc, AuthError):
        return GraphUnavailable(
            f"Neo4j at {uri} refused the credentials ({exc.message}): "
            "check NEO4J_USER and NEO4J_PASSWORD."
        )
    if isinstance(exc, ServiceUnavailable | SessionExpired | OSError):
        return GraphUnavailable(
            f"Neo4j at {uri} cannot be reached ({_reason(exc)}): start it with "
            "`hub neo4j start` or check NEO4J_URI."
        )
    return exc


def _reason(exc: BaseException) -> str:
    """The driver's explanation on one line: its last `(reason ...)`, if it gives one."""
    text = " ".join(str(exc).split())
    _, found, reason = text.rpartition("(reason ")
    return reason.rstrip(")") if found else (text[:200] or type(exc).__name__)


def refused(server: str, exc: Neo4jError | DriverError) -> GraphError:
    """A statement Neo4j failed, as a GraphError that carries its status code but not
    the server's message (Java exception text, parts of the statement). `server` names
    it in the message, e.g. "Neo4j at bolt://127.0.0.1:7687"."""
    code = getattr(exc, "code", None)
    if isinstance(exc, TransientError):
        return GraphUnavailable(f"{server} is busy ({code}); try again in a moment.")
    what = f" ({code})" if code else ""
    return GraphQueryError(
        f"{server} refused a statement{what}; that statement wrote nothing.", code
    )


async def guarded(uri: str, call: Callable[[], Awaitable[T]]) -> T:
    """Await `call`, re-raising connection failures as GraphUnavailable and other
    driver and server errors as GraphQueryError (the original stays as the cause)."""
    try:
        return await call()
    except (AuthError, ServiceUnavailable, SessionExpired, OSError) as exc:
        raise unavailable(uri, exc) from exc
    except (Neo4jError, DriverError) as exc:
        raise refused(f"Neo4j at {uri}", exc) from exc


__all__ = [
    "GraphTarget",
    "guarded",
    "open_async_driver",
    "open_driver",
    "refused",
    "unavailable",
]
