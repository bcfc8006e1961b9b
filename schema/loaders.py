"""DataLoaders, made per request so caching never leaks between callers.

Each loader turns the ids asked for during one execution tick into one
repository call (one Cypher statement), scoped to the caller. The loaders of
a household's 360° parts (members, problems, programs, services, assessments,
referrals) go further, through the repository's `household_parts`: the parts
asked for in the same tick share one statement, and the members' problems
come with the members, so `person_problems` is primed rather than queried.
A household fetched by id brings its whole 360° view in the same statement,
priming the part loaders: `household(id) { ...360 }` is one statement.

Resolvers of those parts go through `now_or_later`: a value the request's
loader already holds (primed, or loaded earlier) is returned at once, so
graphql-core completes it without a task, a future and an await per field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeVar

from strawberry.dataloader import DataLoader

from domain.shapes import Row, Scope
from schema.eligibility import full_facts
from schema.errors import Forbidden
from schema.services import Repository

T = TypeVar("T")
R = TypeVar("R")

#: What a resolver using `now_or_later` returns: the value, or an awaitable of it.
Resolved: TypeAlias = R | Awaitable[R]


def now_or_later(loader: DataLoader[str, T], key: str, then: Callable[[T], R]) -> Resolved[R]:
    """`then(value)` now when `loader` already holds `key`'s value, else an
    awaitable that loads it (batched with the rest of the tick) first."""
    held = loader.cache_map.get(key) if loader.cache else None
    if held is not None and held.done() and not held.cancelled() and held.exception() is None:
        return then(held.result())

    async def later() -> R:
        return then(await loader.load(key))

    return later()


#: loader attribute -> part name of `household_parts`
PARTS: dict[str, str] = {
    "members": "members",
    "household_problems": "household_problems",
    "current_programs": "current_programs",
    "service_history": "service_history",
    "assessments": "assessments",
    "referrals": "referrals",
}


class HouseholdParts:
    """Collects the parts asked for while the event loop turns once, then
    fetches them all in one `household_parts` call."""

    def __init__(
        self,
        fetch: Callable[..., Awaitable[list[Any]]],
        scope: Scope,
        primed: Callable[[list[Row]], None],
    ) -> None:
        self._fetch = fetch
        self._scope = scope
        self._primed = primed
        self._waiting: list[tuple[str, list[str], asyncio.Future[list[list[Row]]]]] = []
        self._task: asyncio.Future[None] | None = None

    async def load(self, part: str, ids: list[str]) -> list[list[Row]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[list[Row]]] = loop.create_future()
        if not self._waiting:
            # two turns: sibling loaders dispatch in the same turn as this one
            loop.call_soon(loop.call_soon, self._flush)
        self._waiting.append((part, ids, future))
        return await future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        self._task = asyncio.ensure_future(self._run(waiting))

    async def _run(
        self, waiting: list[tuple[str, list[str], asyncio.Future[list[list[Row]]]]]
    ) -> None:
        parts = sorted({part for part, _, _ in waiting})
        ids = list(dict.fromkeys(i for _, keys, _ in waiting for i in keys))
        try:
            found = await self._fetch(ids, parts, self._scope)
        except BaseException as exc:
            for _, _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        by_id = dict(zip(ids, found, strict=True))
        if "members" in parts:
            self._primed([m for views in found if views for m in views["members"]])
        for part, keys, future in waiting:
            if not future.done():
                future.set_result([(by_id[k] or {}).get(part) or [] for k in keys])


class Loaders:
    """`personal` False (a role that may not read named people) makes every
    loader refuse before it reaches the graph: a second line behind the
    resolvers' own checks. `eligibility` (the caller sees eligibility): a
    household fetched by id brings its eligibility facts too, priming
    `eligibility_facts`."""

    def __init__(
        self,
        repository: Repository,
        scope: Scope,
        *,
        personal: bool = True,
        eligibility: bool = False,
    ) -> None:
        def make(
            fn: Callable[[Sequence[str], Scope], Awaitable[list[T]]],
        ) -> DataLoader[str, T]:
            async def batch(keys: list[str]) -> list[T]:
                if not personal:
                    raise Forbidden("this role cannot read named people or households.")
                return await fn(keys, scope)

            return DataLoader(batch, max_batch_size=1000)

        self.household: DataLoader[str, Row | None] = make(repository.households)
        self.person: DataLoader[str, Row | None] = make(repository.persons)
        self.person_problems: DataLoader[str, list[Row]] = make(repository.person_problems)
        self.source_records: DataLoader[str, list[Row]] = make(repository.source_records)
        self.members: DataLoader[str, list[Row]]
        self.household_problems: DataLoader[str, list[Row]]
        self.current_programs: DataLoader[str, list[Row]]
        self.service_history: DataLoader[str, list[Row]]
        self.assessments: DataLoader[str, list[Row]]
        self.referrals: DataLoader[str, list[Row]]
        fetch = repository.household_parts
        parts = HouseholdParts(fetch, scope, self._prime_member_problems)
        for attr, part in PARTS.items():
            setattr(self, attr, self._part_loader(parts, part, personal))

        # a caller who sees eligibility gets a household's eligibility facts with its
        # 360° view, so `household(id) { eligibility }` is one statement too; the
        # part reads the PPKS the scope shows, so only a scope showing every one
        eligibility = eligibility and bool(scope.get("special_category"))
        wanted = ["household", *PARTS.values(), *(["eligibility"] if eligibility else [])]

        async def household_360(keys: list[str]) -> list[Row | None]:
            # a household asked for by id is nearly always shown with its 360° view:
            # fetch it all at once and prime the part loaders
            if not personal:
                raise Forbidden("this role cannot read named people or households.")
            found = await fetch(keys, wanted, scope)
            out: list[Row | None] = []
            for key, views in zip(keys, found, strict=True):
                if not views:
                    out.append(None)
                    continue
                self._prime_member_problems(views["members"])
                for attr, part in PARTS.items():
                    getattr(self, attr).prime(key, views[part])
                if eligibility:
                    # by the id it answers with (a merged id resolves to another)
                    facts = views["eligibility"]
                    household_id = views["household"]["household_id"]
                    self.eligibility_facts.prime(household_id, facts[0] if facts else None)
                out.append(views["household"])
            return out

        self.household = DataLoader(household_360, max_batch_size=1000)

        async def eligibility_facts(keys: list[str]) -> list[Row | None]:
            if not personal:
                raise Forbidden("this role cannot read named people or households.")
            return await repository.eligibility_facts(keys, full_facts(scope))

        #: household id -> its `eligibility_facts` row, None when not visible
        self.eligibility_facts: DataLoader[str, Row | None] = DataLoader(
            eligibility_facts, max_batch_size=1000
        )

    @staticmethod
    def _part_loader(
        parts: HouseholdParts, part: str, personal: bool
    ) -> DataLoader[str, list[Row]]:
        async def batch(keys: list[str]) -> list[list[Row]]:
            if not personal:
                raise Forbidden("this role cannot read named people or households.")
            return await parts.load(part, keys)

        return DataLoader(batch, max_batch_size=1000)

    def _prime_member_problems(self, members: list[Row]) -> None:
        for member in members:
            problems = member.pop("problems", None)
            if problems is not None:
                self.person_problems.prime(member["person_id"], problems)


__all__ = ["HouseholdParts", "Loaders", "Resolved", "now_or_later"]
