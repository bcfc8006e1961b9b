"""DataLoaders, made per request so caching never leaks between callers.

Each loader turns the ids asked for during one execution tick into one
repository call (one Cypher statement), scoped to the caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader

from schema.services import Repository, Row, Scope

T = TypeVar("T")


class Loaders:
    def __init__(self, repository: Repository, scope: Scope) -> None:
        def make(
            fn: Callable[[Sequence[str], Scope], Awaitable[list[T]]],
        ) -> DataLoader[str, T]:
            async def batch(keys: list[str]) -> list[T]:
                return await fn(keys, scope)

            return DataLoader(batch, max_batch_size=1000)

        self.household: DataLoader[str, Row | None] = make(repository.households)
        self.person: DataLoader[str, Row | None] = make(repository.persons)
        self.members: DataLoader[str, list[Row]] = make(repository.members)
        self.person_problems: DataLoader[str, list[Row]] = make(repository.person_problems)
        self.household_problems: DataLoader[str, list[Row]] = make(
            repository.household_problems)
        self.current_programs: DataLoader[str, list[Row]] = make(repository.current_programs)
        self.service_history: DataLoader[str, list[Row]] = make(repository.service_history)
        self.assessments: DataLoader[str, list[Row]] = make(repository.assessments)
        self.referrals: DataLoader[str, list[Row]] = make(repository.referrals)
        self.source_records: DataLoader[str, list[Row]] = make(repository.source_records)


__all__ = ["Loaders"]
