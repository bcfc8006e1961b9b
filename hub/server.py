"""Run the app under uvicorn: one process, or `workers` processes on one port.

With several workers uvicorn starts each from the import string
`hub.server:worker_app`, which builds the app from the same settings: the
parent passes its home as HUB_HOME. What must agree across the processes
lives outside them: rate-limit buckets and the audit chain in SQLite (see
hub.security.ratelimit, hub.security.audit), the submission budget in the
security database, subscriptions in the journal (each worker tails it).
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from starlette.applications import Starlette

from hub.app import create_app, max_body_bytes
from hub.settings import Settings, load_settings


def _options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "log_level": "info",
        "proxy_headers": False,
        "server_header": False,
        "ws": "websockets-sansio",
        "ws_max_size": max_body_bytes(settings),
    }


def worker_app() -> Starlette:
    """The app of one worker process (uvicorn calls it in each)."""
    return create_app(load_settings())


def serve_app(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    if workers < 1:
        raise ValueError("--workers must be 1 or more.")
    if workers == 1:
        uvicorn.Server(uvicorn.Config(create_app(settings), **_options(settings, host, port))).run()
        return
    os.environ["HUB_HOME"] = str(settings.home)  # the workers load the same settings
    uvicorn.run(
        "hub.server:worker_app", factory=True, workers=workers, **_options(settings, host, port)
    )
