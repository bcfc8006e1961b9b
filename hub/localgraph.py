"""Which Neo4j the hub talks to: the local launcher, or an external server.

With `NEO4J_URI` unset the hub runs its own Neo4j from graph/launcher; with it
set (Aura, a cluster, docker compose) the local launcher is never used.
"""

from __future__ import annotations

from graph import LocalNeo4j, LocalNeo4jStatus, server_status, start_server, stop_server
from hub.errors import ConfigError
from hub.settings import Settings


def local_neo4j(settings: Settings) -> LocalNeo4j:
    if not settings.uses_local_neo4j:
        raise ConfigError(
            f"NEO4J_URI is set ({settings.neo4j_uri}): the hub uses that server and does not "
            "start or stop a local one."
        )
    user, password = settings.neo4j_auth()
    return LocalNeo4j(
        home=settings.neo4j_home,
        logs=settings.logs_dir,
        port=settings.neo4j_port,
        user=user,
        password=password,
        heap=settings.neo4j_heap,
        pagecache_mb=settings.neo4j_pagecache_mb,
    )


def start_local(settings: Settings) -> LocalNeo4jStatus:
    return start_server(local_neo4j(settings))


def stop_local(settings: Settings) -> bool:
    return stop_server(local_neo4j(settings))


def local_status(settings: Settings) -> LocalNeo4jStatus:
    return server_status(local_neo4j(settings))


def ensure_neo4j(settings: Settings) -> str:
    """Make sure a Neo4j answers; start the local one if that is the set-up.

    Returns the Bolt URI in use."""
    if settings.uses_local_neo4j:
        return start_local(settings).uri
    return settings.bolt_uri
