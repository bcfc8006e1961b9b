"""Helpers for API tests: principals, fake services, a query counter, the Api runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry

from schema.context import Context, Services


@dataclass(frozen=True)
class Principal:
    organization: str
    role: str
    subject: str = "tester"


ADMIN = Principal("DINSOS", "dinsos_admin")
WORKER = Principal("DINSOS", "social_worker")
YAY_A = Principal("YAY-A", "foundation")
YAY_B = Principal("YAY-B", "foundation")
ANALYST = Principal("BAPPEDA", "analyst")
AUDITOR = Principal("INSPEKTORAT", "auditor")


class FakeIntake:
    """Stands in for linkage's realtime API: links by NIK against a given map."""

    def __init__(self, known: dict[str, tuple[str, str]]) -> None:
        self.known = known
        self.calls: list[dict[str, Any]] = []

    async def submit(self, record: Any, organization: str) -> dict[str, Any]:
        self.calls.append(dict(record))
        nik = record.get("nik")
        if nik in self.known:
            pid, hid = self.known[nik]
            return {"record_key": f"{organization}:{record['source_record_id']}",
                    "person_id": pid, "household_id": hid, "match_probability": 0.98,
                    "new_person": False, "new_household": False}
        n = len(self.calls)
        return {"record_key": f"{organization}:{record['source_record_id']}",
                "person_id": f"PN{n}", "household_id": f"HN{n}", "match_probability": None,
                "new_person": True, "new_household": True, "kelurahan_code": "3273011002",
                "name_tokens": [record["full_name"].lower()]}


class FakeReview:
    def __init__(self) -> None:
        self.decisions: list[tuple[str, str, bool, str, str | None]] = []

    async def decide(self, record_key_l: str, record_key_r: str, same: bool, reviewer: str,
                     note: str | None) -> dict[str, Any]:
        self.decisions.append((record_key_l, record_key_r, same, reviewer, note))
        return {"same": same}


class CountingDriver:
    """Wraps the async driver to count the statements a request sends."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self.queries: list[str] = []

    async def execute_query(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append(query)
        return await self._driver.execute_query(query, *args, **kwargs)

    def session(self, **kwargs: Any) -> Any:
        return CountingSession(self, self._driver.session(**kwargs))


class CountingSession:
    def __init__(self, counter: CountingDriver, session: Any) -> None:
        self._counter, self._session = counter, session

    async def __aenter__(self) -> CountingSession:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._session.__aexit__(*exc)

    async def run(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._counter.queries.append(query)
        return await self._session.run(query, *args, **kwargs)


@dataclass
class Api:
    schema: strawberry.Schema
    services: Services
    counter: CountingDriver
    intake: FakeIntake
    review: FakeReview

    async def run(self, query: str, principal: Any = ADMIN,
                  **variables: Any) -> strawberry.types.ExecutionResult:
        context = Context.for_request(self.services, principal)
        return await self.schema.execute(query, variable_values=variables,
                                         context_value=context)

    async def data(self, query: str, principal: Any = ADMIN, **variables: Any) -> Any:
        result = await self.run(query, principal, **variables)
        assert result.errors is None, result.errors
        return result.data


