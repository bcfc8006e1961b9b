"""Paging a list in GraphQL: Relay-style connections (edges, node, cursor,
pageInfo, with first/after). `Connection` here is Relay's word for a page of a
list, and it names the GraphQL types (`HouseholdConnection`...); it is not a
connection to a store.

Cursors are opaque base64 strings over an offset into the sorted result,
optionally with the snapshot the offset counts in (`o:<offset>@<snapshot>`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry

from domain.shapes import Row
from schema.errors import InputError

T = TypeVar("T")

MAX_FIRST = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def encode_cursor(offset: int, snapshot: int | None = None) -> str:
    text = f"o:{offset}" if snapshot is None else f"o:{offset}@{snapshot}"
    return base64.b64encode(text.encode()).decode()


def _parse(cursor: str) -> tuple[int, int | None]:
    try:
        kind, _, value = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        offset, at, snapshot = value.partition("@")
        if kind != "o" or not offset.isdigit() or (at and not snapshot.isdigit()):
            raise ValueError
        return int(offset), int(snapshot) if at else None
    except ValueError:
        raise InputError(
            "after", "is not a cursor from this API; pass an edge's cursor or pageInfo.endCursor."
        ) from None


def decode_cursor(cursor: str | None) -> int:
    """The offset of the first row after `cursor`."""
    return 0 if cursor is None else _parse(cursor)[0] + 1


def cursor_snapshot(cursor: str | None) -> int | None:
    """The snapshot a cursor was made in, if any."""
    return None if cursor is None else _parse(cursor)[1]


def window(first: int, after: str | None) -> tuple[int, int]:
    """(offset, limit) for first/after, validated."""
    if not 1 <= first <= MAX_FIRST:
        raise InputError("first", f"must be between 1 and {MAX_FIRST}.")
    return decode_cursor(after), first


def connection(
    rows: Sequence[Row],
    total: int,
    offset: int,
    make: Callable[[Row], T],
    snapshot: int | None = None,
) -> Connection[T]:
    edges = [
        Edge(node=make(r), cursor=encode_cursor(offset + i, snapshot)) for i, r in enumerate(rows)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(rows) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


__all__ = [
    "Connection",
    "Edge",
    "PageInfo",
    "connection",
    "cursor_snapshot",
    "decode_cursor",
    "encode_cursor",
    "window",
]
