"""Running the console's GraphQL operations in-process as the signed-in person.

Each `console/operations/<Name>.graphql` holds one named operation. The runner
executes it through the real schema with the context the /graphql endpoint
builds for the same principal and purpose (the hub hands over its one
context factory), and names it by its trusted-document id, so the trusted-
document rule, permissions, masking, purpose and audit apply unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

OPERATIONS_DIR = Path(__file__).parent / "operations"


class Executor(Protocol):
    """What the runner needs of a strawberry schema."""

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = ...,
        context_value: Any | None = ...,
        root_value: Any | None = ...,
        operation_name: str | None = ...,
        allowed_operation_types: Any = ...,
        operation_extensions: dict[str, Any] | None = ...,
    ) -> Any: ...


ContextFactory = Callable[[Any, str | None], Any]
"""(principal, purpose) -> the GraphQL context, as the /graphql endpoint makes it."""


class UnknownOperation(KeyError):
    """No `console/operations/<name>.graphql`: add the document, or fix the name."""


def document_id(text: str) -> str:
    """The trusted-document id of an operation's text (as schema.extensions names it)."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def load_operations(directory: Path = OPERATIONS_DIR) -> dict[str, str]:
    """The console's documents by operation name (the file's stem)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.graphql"))}


@dataclass(frozen=True)
class Outcome:
    """An operation's data and its errors: each its message, code and the rest of its
    extensions (e.g. `field`, `retryAfter`)."""

    data: Mapping[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors


class Runner:
    def __init__(
        self,
        schema: Executor,
        context: ContextFactory,
        operations: Mapping[str, str] | None = None,
    ) -> None:
        self.schema = schema
        self.context = context
        self.operations = dict(operations if operations is not None else load_operations())

    async def run(
        self,
        name: str,
        principal: Any,
        *,
        purpose: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Run operation `name` as `principal`, stating `purpose`."""
        try:
            text = self.operations[name]
        except KeyError:
            raise UnknownOperation(
                f"console operation {name!r} is not in {OPERATIONS_DIR}"
            ) from None
        result = await self.schema.execute(
            text,
            variable_values=dict(variables or {}),
            context_value=self.context(principal, purpose),
            operation_name=name,
            operation_extensions={"documentId": document_id(text)},
        )
        errors = [
            {**(e.extensions or {}), "message": e.message, "code": (e.extensions or {}).get("code")}
            for e in result.errors or []
        ]
        return Outcome(result.data, errors)


__all__ = ["Executor", "Outcome", "Runner", "UnknownOperation", "document_id", "load_operations"]
