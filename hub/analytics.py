"""The API's city figures from the reports (`schema.services.Analytics`), read
on the staging generation the server publishes, as the dashboard reads it.

`published_staging` is the one way the server's readers of staging open it:
the generation the server holds (hub.intake.Generations) when it holds one,
else the current published generation, else hub.duckdb, read-only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import anyio.to_thread
import duckdb

from domain.regions.population import PopulationError
from domain.thresholds import POOR_DECILE_MAX
from hub.errors import ConfigError
from hub.published import current
from hub.settings import Settings
from journal import Journal
from reports.analytics import coverage_gaps, poverty, prepare_figures
from reports.budgets import (
    BudgetFileError,
    Budgets,
    budget_problem,
    funding_pool,
    read_budgets,
    spending,
    versions,
)
from reports.errors import ReportError
from reports.goals import Goals, city_population
from reports.queries import Period
from reports.trend import months, poverty_trend

if TYPE_CHECKING:
    from hub.intake import Generations

Staging = Callable[[], "Generations | None"]


def goals_of(settings: Settings) -> Goals:
    """The population file, baseline and target the settings name, checked."""
    try:
        population = city_population(settings.population_file)
    except PopulationError as exc:
        raise ConfigError(f"population_file: {exc}") from None
    try:
        budgets = read_budgets(settings.budgets_file) if settings.budgets_file else Budgets()
    except BudgetFileError as exc:
        raise ConfigError(f"budgets_file: {exc}") from None
    return Goals(population, settings.poverty_baseline, settings.poverty_target, budgets)


@contextlib.contextmanager
def published_staging(
    settings: Settings,
    generations: Generations | None,
) -> Iterator[tuple[str, duckdb.DuckDBPyConnection] | None]:
    """(a stamp naming what is read, a connection of its own) for the published
    staging, or None when the server holds no generation yet."""
    if generations is None:
        found = current(settings.home)
        path = found.path if found is not None else settings.duckdb_path
        stamp = f"{path}:{path.stat().st_mtime if path.exists() else 0.0}"
        con = duckdb.connect(str(path), read_only=True)
        try:
            yield stamp, con
        finally:
            con.close()
        return
    with generations.lease() as held:
        if held is None:
            yield None
            return
        cursor = held.con.cursor()
        try:
            yield held.generation.name, cursor
        finally:
            cursor.close()


class StagingAnalytics:
    """`schema.services.Analytics` on the published staging and the journal: the
    figures of `reports.analytics`, the whole city's cached until a new staging
    generation is published (and the coverage gaps, which count what the API
    recorded, until the journal grows)."""

    def __init__(
        self, settings: Settings, journal: Journal, staging: Staging = lambda: None
    ) -> None:
        self._settings = settings
        self._journal = journal
        self._staging = staging
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._head: int | None = None  # the journal's head the cached gaps hold for
        self._goals: Goals | None = None  # read on first use: a bad file fails the figures

    @property
    def goals(self) -> Goals:
        if self._goals is None:
            self._goals = goals_of(self._settings)
        return self._goals

    async def targets(self) -> dict[str, Any]:
        return self.goals.targets()

    async def budgets(self, *, year: int | None = None) -> dict[str, Any]:
        return cast(
            dict[str, Any],
            await self._figure(
                ("budgets", True, year),
                None,
                lambda con: {
                    "budgets": spending(con, year),
                    "quarantined": [
                        {"row": q.row, "reason": q.reason} for q in self.goals.budgets.quarantined
                    ],
                },
            ),
        )

    async def funding_pool(self, *, year: int) -> dict[str, Any]:
        return cast(
            dict[str, Any],
            await self._figure(("pool", True, year), None, lambda con: funding_pool(con, year)),
        )

    async def budget_problem(
        self, *, funder: str, program: str, year: int, quota_households: int, amount: float
    ) -> str:
        return budget_problem(funder, program, year, quota_households, amount)

    async def budget_history(self, *, funder: str, program: str, year: int) -> list[dict[str, Any]]:
        return await anyio.to_thread.run_sync(
            versions, self.goals.budgets, self._journal, funder, program, year
        )

    async def poverty(
        self,
        *,
        level: str,
        poor_decile: int = POOR_DECILE_MAX,
        households: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        return cast(
            list[dict[str, Any]],
            await self._figure(
                ("poverty", False, level, poor_decile),
                households,
                lambda con: poverty(con, level, poor_decile=poor_decile, households=households),
            ),
        )

    async def poverty_trend(
        self,
        *,
        first: str | None = None,
        last: str | None = None,
        level: str = "CITY",
        area: str | None = None,
        households: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        settings = self._settings

        def trend(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
            try:
                periods = months(first, last, settings.report_cutoff_day, settings.report_timezone)
                return poverty_trend(
                    con, self._journal, periods, level=level, area=area, households=households
                )
            except ReportError as exc:  # the months or the area asked for
                raise ValueError(str(exc)) from None

        return cast(
            list[dict[str, Any]],
            await self._figure(("trend", True, first, last, level, area), households, trend),
        )

    async def coverage_gaps(
        self,
        *,
        area: str | None = None,
        ppks: str | None = None,
        special_category: bool = True,
        households: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        return cast(
            dict[str, Any],
            await self._figure(
                ("gaps", True, area, ppks, special_category),
                households,
                lambda con: coverage_gaps(
                    con,
                    area=area,
                    ppks=ppks,
                    special_category=special_category,
                    households=households,
                ),
            ),
        )

    async def _figure(
        self,
        what: tuple[Any, ...],
        households: Sequence[str] | None,
        read: Callable[[duckdb.DuckDBPyConnection], Any],
    ) -> Any:
        """`what`: (name, whether it reads the journal, arguments...)."""
        return await anyio.to_thread.run_sync(self._read, what, households, read)

    def _read(
        self,
        what: tuple[Any, ...],
        households: Sequence[str] | None,
        read: Callable[[duckdb.DuckDBPyConnection], Any],
    ) -> Any:
        head = self._journal.head() if what[1] else None
        period = Period.current(self._settings.report_cutoff_day, self._settings.report_timezone)
        with published_staging(self._settings, self._staging()) as opened:
            if opened is None:
                raise ConnectionError("no published staging yet: run `hub link`.")
            stamp, con = opened
            key = (stamp, head, period.label, *what)
            if households is None and key in self._cache:
                return self._cache[key]
            try:
                prepare_figures(con, period, self._journal, self.goals)
            except ReportError as exc:  # nothing linked yet: the figures are unavailable
                raise ConnectionError(str(exc)) from exc
            found = read(con)
        if households is None:  # keep what still holds: this generation, this journal
            if head is not None:
                self._head = head
            self._cache = {
                k: v for k, v in self._cache.items() if k[0] == stamp and k[1] in (self._head, None)
            }
            self._cache[key] = found
        return found


__all__ = ["StagingAnalytics", "goals_of", "published_staging"]
