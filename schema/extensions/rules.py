"""One extension that adds a fixed tuple of validation rules to each request.

The rule classes are made once, so the tuple is equal from request to request
and strawberry's ValidationCache keeps hitting."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from graphql import ValidationRule
from strawberry.extensions import AddValidationRules, SchemaExtension


def validation_rules(rules: Sequence[type[ValidationRule]]) -> Callable[[], SchemaExtension]:
    return partial(AddValidationRules, list(rules))


__all__ = ["validation_rules"]
