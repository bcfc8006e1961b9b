"""No introspection (`__schema`, `__type`) in production; `__typename` stays."""

from __future__ import annotations

from graphql import ValidationRule
from graphql.validation import NoSchemaIntrospectionCustomRule


def introspection_rule() -> type[ValidationRule]:
    return NoSchemaIntrospectionCustomRule


__all__ = ["introspection_rule"]
