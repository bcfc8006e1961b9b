"""The GraphQL contract of the one-data hub.

    schema = build_schema()            # once, at start-up
    context = Context.for_request(services, principal, request=..., response=...)

See `schema.context` for what the context holds and `schema.services` for the
Protocols hub/ implements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import strawberry
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from schema.errors import ServiceErrors


def build_schema(
    extensions: Iterable[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
    *,
    caches: bool = True,
) -> strawberry.Schema:
    """The schema with our error extension and strawberry's parser/validation
    caches; `extensions` (e.g. the protection layer's limits, audit and
    masking) run in the order given, before ours."""
    from schema.mutation import Mutation
    from schema.query import Query
    from schema.subscription import Subscription

    exts: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [*extensions]
    if caches:
        exts += [ParserCache(maxsize=256), ValidationCache(maxsize=256)]
    exts.append(ServiceErrors)
    return strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription,
                             extensions=exts)


__all__ = ["build_schema"]
