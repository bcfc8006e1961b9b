"""Masked errors, in every mode: an unexpected exception reaches the caller as
"Internal error" with no message or trace; the server log keeps the original.

Errors meant for callers pass through: GraphQL validation errors, GraphQLErrors
raised on purpose, and the exception types listed in `safe` (for example the
hub's SecurityError: Unauthenticated, RateLimited)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

MASKED_MESSAGE = "Internal error. The server log has the details."


def should_mask(error: GraphQLError, safe: tuple[type[BaseException], ...] = ()) -> bool:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not isinstance(original, safe)


def masked_errors(safe: tuple[type[BaseException], ...] = ()) -> Callable[[], SchemaExtension]:
    return partial(
        MaskErrors, should_mask_error=partial(should_mask, safe=safe), error_message=MASKED_MESSAGE
    )


__all__ = ["MASKED_MESSAGE", "masked_errors", "should_mask"]
