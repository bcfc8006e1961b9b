"""Run the app under uvicorn."""

from __future__ import annotations

import uvicorn

from hub.app import create_app, max_body_bytes
from hub.settings import Settings


def serve_app(settings: Settings, host: str, port: int) -> None:
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_level="info",
        proxy_headers=False, server_header=False,
        ws="websockets-sansio", ws_max_size=max_body_bytes(settings),
    )
    uvicorn.Server(config).run()
