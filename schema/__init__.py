"""The GraphQL contract of the one-data hub.

    schema = build_schema()            # once, at start-up
    context = Context.for_request(services, principal, request=..., response=...)

See `schema.context` for what the context holds and `schema.services` for the
Protocols hub/ implements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from schema.errors import ServiceErrors


def build_schema(
    extensions: Iterable[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
    *,
    caches: bool = True,
) -> strawberry.Schema:
    """The schema with strawberry's parser/validation caches, the audit flush
    (`schema.audit`) and our error extension; `extensions` (e.g. the
    protection layer's limits and masking) run in the order given, before ours."""
    from schema.audit import AuditFlush
    from schema.mutation import Mutation
    from schema.query import Query
    from schema.subscription import Subscription

    exts: list[Any] = [*extensions]
    if caches:
        # factories: a fresh extension per request, the LRU caches are shared
        exts += [lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)]
    exts += [AuditFlush, ServiceErrors]
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=exts
    )


__all__ = ["build_schema"]
