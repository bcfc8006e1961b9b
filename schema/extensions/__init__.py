"""Protection for the GraphQL schema: one small extension or validation rule
per module, and `protection_extensions` to assemble them.

    depth               maximum query depth (strawberry's QueryDepthLimiter rule)
    tokens              maximum tokens per document (strawberry's MaxTokensLimiter)
    aliases             maximum aliases (strawberry's MaxAliasesLimiter rule)
    batch_size          maximum `first:`/`last:`/`limit:`, literal or variable
    input_limits        maximum length of every string, list and JSON input (INPUT_LIMITS)
    introspection       no `__schema`/`__type` in production
    masking             masked errors (every mode): no internals reach a caller
    trusted_documents   persisted-query store and the extension that enforces it
    rules               one extension adding a fixed tuple of rules
    protection          protection_extensions(mode, limits) -> list of factories
"""

from schema.extensions.batch_size import BatchTooLarge, check_batch_size
from schema.extensions.input_limits import (
    INPUT_LIMITS,
    InputLimits,
    InputTooLarge,
    unknown_coordinates,
)
from schema.extensions.masking import MASKED_MESSAGE
from schema.extensions.protection import (
    ExtensionFactory,
    ProtectionLimits,
    protection_extensions,
)
from schema.extensions.trusted_documents import (
    TrustedDocumentFileError,
    TrustedDocuments,
    UntrustedDocument,
    document_id,
)

__all__ = [
    "INPUT_LIMITS",
    "MASKED_MESSAGE",
    "BatchTooLarge",
    "ExtensionFactory",
    "InputLimits",
    "InputTooLarge",
    "ProtectionLimits",
    "TrustedDocumentFileError",
    "TrustedDocuments",
    "UntrustedDocument",
    "check_batch_size",
    "document_id",
    "protection_extensions",
    "unknown_coordinates",
]
