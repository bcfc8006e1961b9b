"""Maximum number of aliases in a document: strawberry's MaxAliasesLimiter rule,
built once for all requests."""

from __future__ import annotations

from graphql import ValidationRule
from strawberry.extensions.max_aliases import create_validator


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    return create_validator(max_aliases)


__all__ = ["alias_rule"]
