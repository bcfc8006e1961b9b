"""All of the schema's protection extensions, as one list for
`strawberry.Schema(extensions=protection_extensions(mode, limits))`.

Plain values in (schema/ never imports hub/): the mode, the limits, and
optionally a trusted-document store with the rule for who must use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import ValidationRule
from strawberry.extensions import SchemaExtension

from schema.extensions.aliases import alias_rule
from schema.extensions.batch_size import DEFAULT_BATCH_ARGUMENTS, batch_size_rule, max_batch_size
from schema.extensions.depth import depth_rule
from schema.extensions.input_limits import INPUT_LIMITS, InputLimits, input_limits
from schema.extensions.introspection import introspection_rule
from schema.extensions.masking import masked_errors
from schema.extensions.rules import validation_rules
from schema.extensions.tokens import max_tokens
from schema.extensions.trusted_documents import TrustedDocuments, trusted_documents

ExtensionFactory = Callable[[], SchemaExtension]


@dataclass(frozen=True)
class ProtectionLimits:
    max_depth: int = 10
    max_tokens: int = 2000
    max_aliases: int = 15
    max_batch: int = 100
    batch_arguments: tuple[str, ...] = DEFAULT_BATCH_ARGUMENTS
    inputs: InputLimits = INPUT_LIMITS


def protection_extensions(
    mode: str,
    limits: ProtectionLimits | None = None,
    *,
    trusted: TrustedDocuments | None = None,
    trusted_required: Callable[[Any], bool] | None = None,
    safe_errors: tuple[type[BaseException], ...] = (),
) -> list[ExtensionFactory]:
    """In every mode: depth, token, alias, batch-size and input-size limits, masked
    errors (unexpected exceptions become "Internal error"; GraphQL errors raised on
    purpose and exceptions in `safe_errors` keep their message), and trusted
    documents when a store is given. In production also: no introspection."""
    if mode not in ("dev", "production"):
        raise ValueError(f"mode must be 'dev' or 'production', not {mode!r}.")
    limits = limits or ProtectionLimits()
    production = mode == "production"
    rules: list[type[ValidationRule]] = [
        depth_rule(limits.max_depth),
        alias_rule(limits.max_aliases),
        batch_size_rule(limits.max_batch, limits.batch_arguments),
    ]
    if production:
        rules.append(introspection_rule())
    extensions: list[ExtensionFactory] = [masked_errors(safe_errors)]
    if trusted is not None:
        extensions.append(trusted_documents(trusted, trusted_required or (lambda _ctx: False)))
    extensions += [
        max_tokens(limits.max_tokens),
        validation_rules(rules),
        max_batch_size(limits.max_batch, limits.batch_arguments),
        input_limits(limits.inputs),
    ]
    return extensions


__all__ = ["ExtensionFactory", "ProtectionLimits", "protection_extensions"]
