"""The shapes that cross package boundaries on every read: a row, a caller's
scope, a page of rows. graph/ returns them, schema/ declares the services that
return them, hub/ implements some of those services; all take them from here.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypedDict

Row: TypeAlias = dict[str, Any]
"""One record as the stores hand it out: the graph's snake_case property names
(or a security table's column names) to their values. Values are whatever the
store holds (str, int, float, bool, date, datetime, lists of those, nested rows),
so the type stays `Any`; the GraphQL types read the keys they declare."""


class Scope(TypedDict):
    """What a caller may see. `organization` None means every household;
    otherwise only households opened to that organization (it serves them, a
    live referral to it concerns them, or they hold only its own records).
    `opened` lists persons whose households are opened to it besides: an
    active consent receipt or a Dinsos link confirmation.
    `special_category` False hides special-category PPKS and assessments."""

    organization: str | None
    special_category: bool
    opened: list[str]


class Page(TypedDict):
    """One page of a longer list: the rows of the page and the length of the list."""

    rows: list[Row]
    total: int


class AuditPage(Page):
    """A page of the audit log, read over the snapshot of the log up to seq `as_of`."""

    as_of: int


__all__ = ["AuditPage", "Page", "Row", "Scope"]
