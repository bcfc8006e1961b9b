"""Maximum query depth: strawberry's QueryDepthLimiter rule, built once so that
every request shares one rule class (and the ValidationCache can hit)."""

from __future__ import annotations

from graphql import ValidationRule
from strawberry.extensions.query_depth_limiter import create_validator


def depth_rule(max_depth: int) -> type[ValidationRule]:
    return create_validator(max_depth, should_ignore=None)


__all__ = ["depth_rule"]
