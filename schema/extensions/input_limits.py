"""Size limits on every input: the length of each String/ID (and Date) value,
the number of items in each list, and the size of each JSON value, whether the
value is written in the document, passed as a variable, or nested in an input
object or list.

The limits live in one table, `INPUT_LIMITS`: a default per kind plus the
exceptions, keyed by schema coordinate (`Query.searchPersons(name:)` for an
argument, `RecordInput.address` for an input field). A new argument or input
field is covered by the defaults without a new line here.

The document is walked once per query text (with graphql-core's TypeInfo, so
every value knows its position); literals are judged then, and the variables
each request sends are checked against the positions they feed, before
graphql-core coerces them and long before a resolver or Neo4j sees them.
An oversized value is a BAD_USER_INPUT error naming the coordinate and the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLInputType,
    GraphQLObjectType,
    GraphQLSchema,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
    value_from_ast_untyped,
    visit,
)
from graphql.language import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    ObjectFieldNode,
    VariableDefinitionNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from schema.errors import InputError

JSON_SCALARS = frozenset({"JSON"})


@dataclass(frozen=True)
class InputLimits:
    """Defaults per kind of value and the exceptions by schema coordinate."""

    string: int = 200
    list: int = 100
    json_chars: int = 4_000
    json_depth: int = 5
    strings: Mapping[str, int] = field(default_factory=dict)
    lists: Mapping[str, int] = field(default_factory=dict)
    json: Mapping[str, int] = field(default_factory=dict)

    def string_limit(self, coordinate: str) -> int:
        return self.strings.get(coordinate, self.string)

    def list_limit(self, coordinate: str) -> int:
        return self.lists.get(coordinate, self.list)

    def json_limit(self, coordinate: str) -> int:
        return self.json.get(coordinate, self.json_chars)

    def coordinates(self) -> set[str]:
        return {*self.strings, *self.lists, *self.json}


#: The hub's limits: every string 200 characters, every list 100 items, every JSON
#: value 4,000 characters and 5 levels deep, except:
INPUT_LIMITS = InputLimits(
    strings={
        "Query.searchPersons(name:)": 100,
        "RecordInput.address": 300,
        "AssessmentInput.plan": 2_000,
        "AssessmentInput.notes": 4_000,
        "ReferralInput.note": 1_000,
        "Mutation.advanceReferral(note:)": 1_000,
        "Mutation.referOnward(note:)": 1_000,
        "Mutation.decideReviewPair(note:)": 1_000,
        "ChangeRequestInput.reason": 1_000,
    },
    lists={
        "RecordInput.ppks": 26,  # there are 26 PPKS categories
        "AssessmentInput.ppks": 26,
    },
)


class InputTooLarge(InputError):
    """BAD_USER_INPUT with the coordinate (`field`) and the `limit` in the extensions."""

    def __init__(
        self, coordinate: str, reason: str, limit: int, variable: str | None = None
    ) -> None:
        where = coordinate if variable is None else f"{coordinate} (variable ${variable})"
        super().__init__(where, reason)
        assert self.extensions is not None
        self.extensions["limit"] = limit
        if variable is not None:
            self.extensions["variable"] = variable


def check_string(
    value: str, coordinate: str, limits: InputLimits, variable: str | None = None
) -> InputTooLarge | None:
    limit = limits.string_limit(coordinate)
    if len(value) <= limit:
        return None
    return InputTooLarge(
        coordinate,
        f"{len(value):,} characters is too long; at most {limit:,} characters are allowed.",
        limit,
        variable,
    )


def check_list(
    length: int, coordinate: str, limits: InputLimits, variable: str | None = None
) -> InputTooLarge | None:
    limit = limits.list_limit(coordinate)
    if length <= limit:
        return None
    return InputTooLarge(
        coordinate, f"{length:,} items is too many; at most {limit:,} are allowed.", limit, variable
    )


def check_json(
    value: Any, coordinate: str, limits: InputLimits, variable: str | None = None
) -> InputTooLarge | None:
    limit = limits.json_limit(coordinate)
    if _depth(value, limits.json_depth) > limits.json_depth:
        return InputTooLarge(
            coordinate,
            f"JSON nested more than {limits.json_depth} levels deep is not accepted.",
            limits.json_depth,
            variable,
        )
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))
    if size <= limit:
        return None
    return InputTooLarge(
        coordinate,
        f"{size:,} characters of JSON is too large; at most {limit:,} are allowed.",
        limit,
        variable,
    )


def _depth(value: Any, stop: int) -> int:
    """Nesting depth of lists and objects, counted without recursion (stops past `stop`)."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            level += 1
            deepest = max(deepest, level)
            if deepest > stop:
                return deepest
            todo += [(v, level) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


def check_value(
    value: Any,
    type_: GraphQLInputType | None,
    coordinate: str,
    limits: InputLimits,
    variable: str | None = None,
) -> InputTooLarge | None:
    """The first oversized part of a variable's value (JSON as sent) at a position of
    type `type_`; values of the wrong shape are left to graphql-core's coercion."""
    if value is None or type_ is None:
        return None
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        items = value if isinstance(value, list) else [value]
        error = check_list(len(items), coordinate, limits, variable)
        for item in items:
            error = error or check_value(item, nullable.of_type, coordinate, limits, variable)
        return error
    named = get_named_type(nullable)
    if is_input_object_type(named):
        if not isinstance(value, dict):
            return None
        for name, input_field in named.fields.items():
            if name in value:
                error = check_value(
                    value[name], input_field.type, f"{named.name}.{name}", limits, variable
                )
                if error is not None:
                    return error
        return None
    if named.name in JSON_SCALARS:
        return check_json(value, coordinate, limits, variable)
    if isinstance(value, str):
        return check_string(value, coordinate, limits, variable)
    return None


@dataclass
class InputPlan:
    """What one document needs checked: errors in its literals, and the positions its
    variables feed (variable, type at that position, coordinate)."""

    literal_errors: list[InputTooLarge] = field(default_factory=list)
    usages: list[tuple[str, GraphQLInputType | None, str]] = field(default_factory=list)
    defaults: dict[str, ValueNode] = field(default_factory=dict)

    def check(self, variables: Mapping[str, Any] | None, limits: InputLimits) -> None:
        if self.literal_errors:
            raise self.literal_errors[0]
        supplied = variables or {}
        for name, type_, coordinate in self.usages:
            if name in supplied:
                value = supplied[name]
            elif name in self.defaults:
                value = value_from_ast_untyped(self.defaults[name])
            else:
                continue
            error = check_value(value, type_, coordinate, limits, name)
            if error is not None:
                raise error


class _Walker(Visitor):
    def __init__(self, info: TypeInfo, limits: InputLimits) -> None:
        super().__init__()
        self.info = info
        self.limits = limits
        self.plan = InputPlan()
        self.fields: list[str] = []
        self.coordinates: list[str] = []
        self.in_definition = False

    # -- where we are --------------------------------------------------------------
    def enter_field(self, node: FieldNode, *_args: object) -> None:
        parent = self.info.get_parent_type()
        name = node.name.value
        self.fields.append(f"{parent.name}.{name}" if parent is not None else name)

    def leave_field(self, *_args: object) -> None:
        self.fields.pop()

    def enter_directive(self, node: DirectiveNode, *_args: object) -> None:
        self.fields.append("@" + node.name.value)

    def leave_directive(self, *_args: object) -> None:
        self.fields.pop()

    def enter_argument(self, node: ArgumentNode, *_args: object) -> None:
        owner = self.fields[-1] if self.fields else "?"
        self.coordinates.append(f"{owner}({node.name.value}:)")

    def leave_argument(self, *_args: object) -> None:
        self.coordinates.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_args: object) -> None:
        parent = get_named_type(self.info.get_parent_input_type())
        if parent is not None and is_input_object_type(parent):
            self.coordinates.append(f"{parent.name}.{node.name.value}")
        else:
            self.coordinates.append(self.coordinates[-1] if self.coordinates else "?")

    def leave_object_field(self, *_args: object) -> None:
        self.coordinates.pop()

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: object) -> None:
        self.in_definition = True
        if node.default_value is not None:
            self.plan.defaults[node.variable.name.value] = node.default_value

    def leave_variable_definition(self, *_args: object) -> None:
        self.in_definition = False

    # -- values --------------------------------------------------------------------
    def _literal(self) -> bool:
        return bool(self.coordinates) and not self.in_definition

    def _json(self, type_: GraphQLInputType | None) -> bool:
        named = get_named_type(type_)
        return named is not None and named.name in JSON_SCALARS

    def _report(self, error: InputTooLarge | None) -> None:
        if error is not None:
            self.plan.literal_errors.append(error)

    def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
        if not self._literal():
            return
        if self._json(self.info.get_input_type()):
            self._report(check_json(node.value, self.coordinates[-1], self.limits))
        else:
            self._report(check_string(node.value, self.coordinates[-1], self.limits))

    def enter_list_value(self, node: ListValueNode, *_args: object) -> Any:
        if not self._literal():
            return None
        if self._json(self.info.get_parent_input_type()):
            self._report(
                check_json(value_from_ast_untyped(node), self.coordinates[-1], self.limits)
            )
            return self.SKIP
        self._report(check_list(len(node.values), self.coordinates[-1], self.limits))
        return None

    def enter_object_value(self, node: ObjectValueNode, *_args: object) -> Any:
        if self._literal() and self._json(self.info.get_input_type()):
            self._report(
                check_json(value_from_ast_untyped(node), self.coordinates[-1], self.limits)
            )
            return self.SKIP
        return None

    def enter_variable(self, node: VariableNode, *_args: object) -> None:
        if self._literal():
            self.plan.usages.append(
                (node.name.value, self.info.get_input_type(), self.coordinates[-1])
            )


def input_plan(schema: GraphQLSchema, document: DocumentNode, limits: InputLimits) -> InputPlan:
    info = TypeInfo(schema)
    walker = _Walker(info, limits)
    visit(document, TypeInfoVisitor(info, walker))
    return walker.plan


class _PlanCache:
    """Query text -> plan, shared by the per-request extensions."""

    def __init__(self, limits: InputLimits, maxsize: int = 512) -> None:
        self.limits = limits
        self.maxsize = maxsize
        self._plans: dict[str, InputPlan] = {}

    def get(self, schema: GraphQLSchema, document: DocumentNode, query: str | None) -> InputPlan:
        if query is None:
            return input_plan(schema, document, self.limits)
        plan = self._plans.get(query)
        if plan is None:
            plan = input_plan(schema, document, self.limits)
            if len(self._plans) >= self.maxsize:
                self._plans.clear()
            self._plans[query] = plan
        return plan


class InputLimitsExtension(SchemaExtension):
    def __init__(self, cache: _PlanCache) -> None:
        super().__init__()
        self.cache = cache

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            plan = self.cache.get(ctx.schema._schema, ctx.graphql_document, ctx.query)
            plan.check(ctx.variables, self.cache.limits)
        yield


def input_limits(limits: InputLimits = INPUT_LIMITS) -> Callable[[], SchemaExtension]:
    return partial(InputLimitsExtension, _PlanCache(limits))


def unknown_coordinates(schema: GraphQLSchema, limits: InputLimits) -> set[str]:
    """Coordinates in `limits` that name no argument or input field of `schema` (typos)."""
    known: set[str] = set()
    for type_ in schema.type_map.values():
        if is_input_object_type(type_):
            known.update(f"{type_.name}.{name}" for name in type_.fields)
        elif isinstance(type_, GraphQLObjectType):
            known.update(
                f"{type_.name}.{name}({arg}:)"
                for name, fld in type_.fields.items()
                for arg in fld.args
            )
    return limits.coordinates() - known


__all__ = [
    "INPUT_LIMITS",
    "InputLimits",
    "InputLimitsExtension",
    "InputPlan",
    "InputTooLarge",
    "check_value",
    "input_limits",
    "input_plan",
    "unknown_coordinates",
]
