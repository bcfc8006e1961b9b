"""How a load is cut into transactions: whole households at a time.

A reader of the graph must never see half a household: its members without
their records, a person gone from the old household and not yet in the new
one, a merged household's services neither here nor there. So every row the
loader writes for a household's table (see `loader.HOUSEHOLD_TABLES`), and
every lifecycle step (graph.lifecycle: retire, drop), names the households
it touches: where it belongs now and, for a row that moves, where it was.
Households touched by one row form one unit (union-find); a unit is never
split between transactions, and a transaction takes whole units, in a fixed
order, until it holds about `rows` rows. Rows that touch no household go in
transactions of their own, after the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Step:
    """Lifecycle work run as `UNWIND $rows` in the transaction of the
    households each row touches. `count` is the result column whose sum is
    the step's count (or None: nodes and relationships deleted)."""

    name: str
    statement: LiteralString
    rows: Sequence[Any]
    households: Sequence[Sequence[str]]
    count: str | None = None


@dataclass(frozen=True)
class Touched:
    """The households the rows of one table or step touch: `primary` (one
    per row, null for none) and, sparsely, the other ones a row touches."""

    primary: Any  # a pyarrow string array
    also: Mapping[int, Sequence[str]]


def touched_by_lists(households: Sequence[Sequence[str]]) -> Touched:
    primary = pa.array([h[0] if h else None for h in households], pa.string())
    return Touched(primary, {i: h[1:] for i, h in enumerate(households) if len(h) > 1})


def plan_transactions(touched: Mapping[str, Touched], rows: int) -> list[dict[str, Any]]:
    """Cut the rows of every table and step (by name) into transactions:
    each is {name: sorted row indices (an Arrow int64 array)}."""
    parent: dict[str, str] = {}

    def find(h: str) -> str:
        root = h
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(h, h) != root:
            parent[h], h = root, parent[h]
        return root

    for t in touched.values():
        for i, others in t.also.items():
            first = t.primary[i].as_py()
            for other in others:
                a, b = find(first), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    roots = {h: find(h) for h in list(parent)}
    parts = []
    for n, t in enumerate(touched.values()):
        unit = t.primary
        if roots:
            keys = pa.array(list(roots), pa.string())
            where = pc.index_in(unit, value_set=keys)
            unit = pc.if_else(
                pc.is_valid(where),
                pc.take(pa.array(list(roots.values()), pa.string()), where),
                unit,
            )
        size = len(unit)
        parts.append(
            pa.table(
                {
                    "unit": unit,
                    "name": pa.array([n] * size, pa.int32()),
                    "row": pa.array(range(size), pa.int64()),
                }
            )
        )
    if not parts:
        return []
    everything = pa.concat_tables(parts)
    homed = everything.filter(pc.is_valid(everything.column("unit")))
    homeless = everything.filter(pc.is_null(everything.column("unit")))
    homed = homed.sort_by([("unit", "ascending"), ("name", "ascending"), ("row", "ascending")])
    names = list(touched)
    out = []
    for piece in [*_cut(homed, rows), *_cut_anywhere(homeless, rows)]:
        txn: dict[str, Any] = {}
        for n, name in enumerate(names):
            mine = piece.filter(pc.equal(piece.column("name"), n)).column("row")
            if len(mine):
                txn[name] = pc.take(mine, pc.array_sort_indices(mine)).combine_chunks()
        out.append(txn)
    return out


def _cut(table: Any, rows: int) -> list[Any]:
    """Slices of `table` (sorted by unit) of about `rows` rows, each ending
    where a unit ends."""
    if table.num_rows == 0:
        return []
    units = table.column("unit").combine_chunks()
    ends = pc.indices_nonzero(pc.not_equal(units[:-1], units[1:])).to_numpy() + 1
    bounds = [0]
    for end in [*ends.tolist(), table.num_rows]:
        if end - bounds[-1] >= rows:
            bounds.append(end)
    if bounds[-1] != table.num_rows:
        bounds.append(table.num_rows)
    return [table.slice(a, b - a) for a, b in itertools.pairwise(bounds)]


def _cut_anywhere(table: Any, rows: int) -> list[Any]:
    return [table.slice(s, rows) for s in range(0, table.num_rows, max(rows, 1))]


__all__ = ["Step", "Touched", "plan_transactions", "touched_by_lists"]
