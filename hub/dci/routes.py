"""The DCI endpoints as Starlette routes, for hub.app to mount.

Each feature adds its routes here, one line each in `dci_routes`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from hub.dci.service import DciService


def dci_routes(dci: DciService) -> list[BaseRoute]:
    """Every DCI route of the app's one DciService (a feature that needs a
    worker beside the server appends it to `dci.workers` here)."""
    return []


__all__ = ["dci_routes"]
