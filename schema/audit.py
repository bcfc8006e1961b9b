"""Who read or changed whose data, collected per request and written once.

Resolvers that hand out named people or households call `read(info, ...)`
with the ids they return; mutations call `wrote(info, ...)`. The request's
`AuditTrail` groups the ids by field path (`read:household.members`), and the
`AuditFlush` extension appends them to the audit sink in one batch when the
operation ends. If the sink fails, the response's data is withheld: personal
data is never shown without a record of it.

Reads of personal data need a purpose (UU PDP): the `X-Purpose` header, or a
`purpose` argument on the root field, checked by `personal(info, purpose)`
against the purpose registry (`services.purposes`), which also gives the
legal basis the audit log records with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.extensions import SchemaExtension

from domain.shapes import Page, Row
from schema.errors import AuditUnavailable, PurposeRequired, PurposeUnknown
from schema.pagination import Connection, connection, window
from schema.permissions import Policy, require_personal
from schema.services import AuditEntry, PurposeResolver

PURPOSE_HELP = (
    "Why you read this personal data (recorded in the audit log); instead of the X-Purpose header."
)
#: the `purpose` argument of every root field `personal` gates
Purpose = Annotated[str | None, strawberry.argument(description=PURPOSE_HELP)]
#: the `purpose` of a root field that names households only to the roles shown
#: them (`require_purpose` when it does): a what-if's households left out
ShownPurpose = Annotated[
    str | None,
    strawberry.argument(description=PURPOSE_HELP + " Needed by the roles shown the households."),
]


@dataclass
class _Touched:
    persons: dict[str, None] = field(default_factory=dict)
    households: dict[str, None] = field(default_factory=dict)
    purpose: str | None = None


class AuditTrail:
    """The personal data one request touched, by operation, in first-seen order."""

    def __init__(self, purpose: str | None = None, registry: PurposeResolver | None = None) -> None:
        self.purpose = purpose
        """The request's purpose (the X-Purpose header)."""
        self.registry = registry
        self.root_purposes: dict[str, str] = {}
        """The purpose of each root field (response key) as recorded: resolved
        against the registry by `personal`."""
        self._touched: dict[str, _Touched] = {}

    def __bool__(self) -> bool:
        return bool(self._touched)

    def purpose_for(self, root: str) -> str | None:
        return self.root_purposes.get(root) or self.purpose

    def _recorded(self, purpose: str | None) -> str | None:
        """A purpose not resolved by `personal` (a write's), as the log keeps it."""
        if purpose is None or self.registry is None or purpose in self.root_purposes.values():
            return purpose
        return self.registry.resolve(purpose) or f"{purpose} [unregistered]"

    def touch(
        self,
        operation: str,
        root: str,
        persons: Iterable[object] = (),
        households: Iterable[object] = (),
    ) -> None:
        entry = self._touched.get(operation)
        if entry is None:
            entry = self._touched[operation] = _Touched(purpose=self.purpose_for(root))
        entry.persons.update((str(p), None) for p in persons if p is not None)
        entry.households.update((str(h), None) for h in households if h is not None)

    def drain(self, principal: Any) -> list[AuditEntry]:
        """The entries so far (and forget them)."""
        subject = str(getattr(principal, "subject", None) or principal.organization)
        out = [
            AuditEntry(
                subject,
                str(principal.organization),
                str(principal.role),
                op,
                tuple(t.persons),
                tuple(t.households),
                self._recorded(t.purpose),
            )
            for op, t in self._touched.items()
        ]
        self._touched.clear()
        return out


def _path(info: strawberry.Info[Any, Any]) -> list[str]:
    return [k for k in info.path.as_list() if isinstance(k, str)]


def read(
    info: strawberry.Info[Any, Any],
    *,
    persons: Iterable[object] = (),
    households: Iterable[object] = (),
) -> None:
    """Note that this field hands out these people's or households' data."""
    path = _path(info)
    info.context.audit.touch("read:" + ".".join(path), path[0], persons, households)


def wrote(
    info: strawberry.Info[Any, Any],
    *,
    persons: Iterable[object] = (),
    households: Iterable[object] = (),
) -> None:
    path = _path(info)
    info.context.audit.touch("write:" + info.field_name, path[0], persons, households)


def rows_read(info: strawberry.Info[Any, Any], rows: Iterable[dict[str, Any]]) -> None:
    """`read` for graph rows carrying `person_id` and/or `household_id`."""
    persons, households = [], []
    for r in rows:
        persons.append(r.get("person_id"))
        households.append(r.get("household_id"))
    read(info, persons=persons, households=households)


T = TypeVar("T")


async def read_page(
    info: strawberry.Info[Any, Any],
    first: int,
    after: str | None,
    fetch: Callable[[int, int], Awaitable[Page]],
    make: Callable[[Row], T],
) -> Connection[T]:
    """A list field's page of named rows: the window asked (`first`, `after`),
    the rows `fetch(offset, limit)` reads, recorded as read, each `make`d a node."""
    offset, limit = window(first, after)
    page = await fetch(offset, limit)
    rows_read(info, page["rows"])
    return connection(page["rows"], page["total"], offset, make)


def personal(info: strawberry.Info[Any, Any], purpose: str | None = None) -> Policy:
    """The gate of every root field that returns named people or households:
    the role must see personal data, and a purpose must be stated."""
    policy = require_personal(info.context.principal)
    require_purpose(info, purpose)
    return policy


def require_purpose(info: strawberry.Info[Any, Any], purpose: str | None = None) -> None:
    """A purpose stated for this root field (its `purpose` argument, else the
    request's X-Purpose header) and known to the registry: every root field that
    hands out named people or households calls it after its role's gate (as
    `personal` does), whatever that gate is."""
    root = _path(info)[0]
    stated = (purpose or "").strip() or info.context.audit.purpose_for(root)
    if not stated:
        raise PurposeRequired(info.field_name)
    registry = getattr(info.context.services, "purposes", None)
    if registry is not None:
        recorded = registry.resolve(stated)
        if recorded is None:
            raise PurposeUnknown(info.field_name, stated, registry.codes())
        stated = recorded
    info.context.audit.root_purposes[root] = stated


async def flush(context: Any) -> None:
    """Append what the request touched to the audit sink (if the hub has one)."""
    trail: AuditTrail | None = getattr(context, "audit", None)
    sink = getattr(getattr(context, "services", None), "audit", None)
    if not trail or sink is None:
        return
    await sink.record(trail.drain(context.principal))


class AuditFlush(SchemaExtension):
    """Writes the request's audit entries when the operation ends; if that
    fails the data is withheld and the caller gets AUDIT_UNAVAILABLE."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context
        try:
            await flush(ctx.context)
        except Exception:  # any failure to record withholds the data
            result = ctx.result
            if result is not None:
                result.data = None
                result.errors = [AuditUnavailable()]
            else:
                raise AuditUnavailable() from None


__all__ = [
    "PURPOSE_HELP",
    "AuditFlush",
    "AuditTrail",
    "Purpose",
    "ShownPurpose",
    "flush",
    "personal",
    "read",
    "read_page",
    "require_purpose",
    "rows_read",
    "wrote",
]
