"""The fencing token of a DCI worker's lease, one rule for both leased tables:
the async answers' deliveries (hub.dci.transactions, `dci_transactions`) and
the notify pump's subscriptions (hub.dci.subscribe, `dci_subscriptions`).

A worker claims a row for a while (its lease) so that two servers sharing the
store do not both send it. A lease can run out while its worker still works
(a slow search, a partner that times out), and another worker may then claim
the row; without more, the first one would still post and write its outcome
over the second's. So:

- each claim increments the row's `lease_token` (`TOKEN`, `TOKEN_DDL`) and the
  claimer keeps the new value; so does ending the row (an unsubscribe), which
  takes the lease from whoever holds it;
- every outcome written after is conditional on it (`... AND lease_token = ?`),
  checked first under the row's lock by `Fence.taken_over`, which logs on
  `hub.dci` when a later claim took the row: then nothing is written, and a
  worker that learns it before posting does not post;
- a table made before the token gets the column at start (`add_columns`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from hub.security.db import SecurityDB
from store import Conn

_log = logging.getLogger("hub.dci")

#: the fencing token's column, and its DDL for a table made before it
TOKEN: Final = "lease_token"
TOKEN_DDL: Final = "INTEGER NOT NULL DEFAULT 0"


def add_columns(db: SecurityDB, table: str, later: Mapping[str, str]) -> None:
    """Columns of later versions (name -> DDL), added once to an older `table`
    (under a lock: several servers start at once)."""
    if not set(later) - db.database.columns(table):
        return
    with db.write(lock=f"{table.replace('_', '-')}:columns") as con:
        have = db.database.columns(table)
        for column, ddl in later.items():
            if column not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")


@dataclass(frozen=True)
class Fence:
    """The leased rows of one table: `key` names a row, `noun` says what it is in the log."""

    table: str
    key: str
    noun: str

    def taken_over(self, con: Conn, row: str, token: int, outcome: str) -> bool:
        """Whether a claim later than `token`'s took `row` (logged: `outcome` is
        not written). Call it in the write that is conditional on `token`,
        under the row's lock."""
        found = con.execute(
            f"SELECT {TOKEN} FROM {self.table} WHERE {self.key} = ?", (row,)
        ).fetchone()
        if found is not None and int(found[0]) == token:
            return False
        _log.warning(
            "%s %s: %s not written, the worker's lease %s was taken over (now %s)",
            self.noun,
            row,
            outcome,
            token,
            None if found is None else found[0],
        )
        return True


__all__ = ["TOKEN", "TOKEN_DDL", "Fence", "add_columns"]
