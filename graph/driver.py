"""Open Neo4j drivers, and turn "cannot reach Neo4j" into one clear error.

The driver is opened on a `GraphTarget` (uri, user, password, database), plain
values, so the caller decides where they come from (`hub.settings.graph_target`).

The URI's scheme says how: `bolt://` one server, `neo4j://` a cluster (or
Aura) through its routing table, writes to the leader and reads to the
readers; `+s` encrypts with the system's certificate authorities (Aura:
`neo4j+s://`), `+ssc` accepts a self-signed certificate. A cluster with its
own certificate authority uses `neo4j://` with `trusted_ca`, a PEM file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase, TrustCustomCAs
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
    #: a PEM file of the certificate authority that signed the servers' certificates
    trusted_ca: str | None = None


#: the URI schemes the driver takes: direct or routed, plain or encrypted
SCHEMES: Final[tuple[str, ...]] = tuple(
    f"{kind}{tls}" for kind in ("bolt", "neo4j") for tls in ("", "+s", "+ssc")
)


def scheme_problem(uri: str, trusted_ca: str | None = None) -> str | None:
    """What is wrong with `uri` (and `trusted_ca`) as a Neo4j address, or None."""
    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    if scheme not in SCHEMES:
        return (
            f"{uri!r} is not a Neo4j address: use bolt://host:7687 for one server, "
            "neo4j://host:7687 for a cluster, neo4j+s://... for Aura (encrypted)."
        )
    if trusted_ca is not None and "+" in scheme:
        return (
            f"{uri} already says how to check the server's certificate ({scheme}); with "
            f"a certificate authority of your own use {scheme.split('+')[0]}:// instead."
        )
    return None


def options(target: GraphTarget) -> dict[str, Any]:
    """The driver options every opener passes: credentials, no notifications,
    and encryption with `trusted_ca` when the target names one."""
    out: dict[str, Any] = {
        "auth": (target.user, target.password),
        "notifications_min_severity": "OFF",
    }
    if target.trusted_ca is not None:
        out |= {"encrypted": True, "trusted_certificates": TrustCustomCAs(target.trusted_ca)}
    return out


def open_driver(target: GraphTarget) -> Driver:
    driver = GraphDatabase.driver(target.uri, **options(target))
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
        max_transaction_retry_time=max_retry_seconds,
        connection_acquisition_timeout=max_retry_seconds * 2,
        **options(target),
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
    "SCHEMES",
    "GraphTarget",
    "guarded",
    "open_async_driver",
    "open_driver",
    "options",
    "refused",
    "scheme_problem",
    "unavailable",
]
