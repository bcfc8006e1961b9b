"""Maximum number of tokens in a document: strawberry's MaxTokensLimiter, which
makes the parser stop early rather than parse a huge document."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from strawberry.extensions import MaxTokensLimiter, SchemaExtension


def max_tokens(max_token_count: int) -> Callable[[], SchemaExtension]:
    return partial(MaxTokensLimiter, max_token_count=max_token_count)


__all__ = ["max_tokens"]
