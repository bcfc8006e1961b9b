"""Maximum page size: list arguments such as `first:` may not ask for more than
`maximum` items, whether written in the document or passed as a variable.

Literals are checked by a validation rule (cached with the document); values
that arrive in variables are checked just before execution. Resolvers that take
a size from elsewhere can call `check_batch_size` themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    IntValueNode,
    ValidationContext,
    ValidationRule,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.language import Node
from strawberry.extensions import SchemaExtension

DEFAULT_BATCH_ARGUMENTS = ("first", "last", "limit")


class BatchTooLarge(GraphQLError):
    pass


def _too_large(argument: str, value: int, maximum: int) -> BatchTooLarge:
    return BatchTooLarge(
        f"`{argument}: {value}` asks for more than {maximum} items; page through"
        f" the results with at most {maximum} per request."
    )


def check_batch_size(value: int | None, maximum: int, argument: str = "first") -> int | None:
    if value is not None and value > maximum:
        raise _too_large(argument, value, maximum)
    return value


def batch_size_rule(
    maximum: int, arguments: tuple[str, ...] = DEFAULT_BATCH_ARGUMENTS
) -> type[ValidationRule]:
    class MaxBatchSizeRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)

        def enter_argument(self, node: ArgumentNode, *_args: object) -> None:
            value = node.value
            name = node.name.value
            if name not in arguments or not isinstance(value, IntValueNode):
                return
            if int(value.value) > maximum:
                self.report_error(_too_large(name, int(value.value), maximum))

    return MaxBatchSizeRule


class _VariableFinder(Visitor):
    def __init__(self, arguments: tuple[str, ...]) -> None:
        super().__init__()
        self.arguments = arguments
        self.found: dict[str, str] = {}  # variable -> argument it sizes
        self.defaults: dict[str, int] = {}

    def enter_argument(self, node: ArgumentNode, *_args: object) -> None:
        if node.name.value in self.arguments and isinstance(node.value, VariableNode):
            self.found[node.value.name.value] = node.name.value

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: object) -> None:
        if isinstance(node.default_value, IntValueNode):
            self.defaults[node.variable.name.value] = int(node.default_value.value)


def sized_variables(
    document: Node, arguments: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, int]]:
    """The variables that feed a size argument, and their integer defaults."""
    finder = _VariableFinder(arguments)
    visit(document, finder)
    return finder.found, finder.defaults


class _SizedVariablesCache:
    """Query text -> sized variables, shared by the per-request extensions."""

    def __init__(self, arguments: tuple[str, ...], maxsize: int = 512) -> None:
        self.arguments = arguments
        self.maxsize = maxsize
        self._entries: dict[str, tuple[dict[str, str], dict[str, int]]] = {}

    def get(
        self, document: DocumentNode, query: str | None
    ) -> tuple[dict[str, str], dict[str, int]]:
        if query is None:
            return sized_variables(document, self.arguments)
        entry = self._entries.get(query)
        if entry is None:
            entry = sized_variables(document, self.arguments)
            if len(self._entries) >= self.maxsize:
                self._entries.clear()
            self._entries[query] = entry
        return entry


def check_variables(
    sized: tuple[dict[str, str], dict[str, int]],
    variables: Mapping[str, Any] | None,
    maximum: int,
) -> None:
    found, defaults = sized
    supplied = variables or {}
    for variable, argument in found.items():
        value = supplied.get(variable, defaults.get(variable))
        if isinstance(value, int) and value > maximum:
            raise _too_large(argument, value, maximum)


class MaxBatchSize(SchemaExtension):
    def __init__(self, maximum: int, cache: _SizedVariablesCache) -> None:
        super().__init__()
        self.maximum = maximum
        self.cache = cache

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            sized = self.cache.get(ctx.graphql_document, ctx.query)
            check_variables(sized, ctx.variables, self.maximum)
        yield


def max_batch_size(
    maximum: int, arguments: tuple[str, ...] = DEFAULT_BATCH_ARGUMENTS
) -> Callable[[], SchemaExtension]:
    """Checks sizes passed in variables; pair it with `batch_size_rule` for literals."""
    return partial(MaxBatchSize, maximum, _SizedVariablesCache(arguments))


__all__ = [
    "DEFAULT_BATCH_ARGUMENTS",
    "BatchTooLarge",
    "MaxBatchSize",
    "batch_size_rule",
    "check_batch_size",
    "check_variables",
    "max_batch_size",
    "sized_variables",
]
