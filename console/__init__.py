"""Konsol Satupintu: the web console at /app for Dinsos staff, social workers
and foundations. Server-rendered pages (Starlette + Jinja2); every page gets
its data by running the GraphQL operations in `console/operations/` through
the real schema as the signed-in person (console.runner), so permissions,
masking, purpose and audit are the API's. hub/console.py mounts it."""

from console.app import Console, ConsoleSettings

__all__ = ["Console", "ConsoleSettings"]
