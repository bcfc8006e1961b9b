"""What the city's figures are weighed against: the population behind the poverty
rate (`domain.regions.population`), the baseline and the target rate (settings,
defaults in `domain.thresholds`), and the funders' budgets (`reports.budgets`).
The hub builds one `Goals` from its settings and hands it to the report, the
API's figures and the dashboard alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from connectors import reference
from domain.regions.population import POPULATION_FILE, Population, read_population
from domain.thresholds import POVERTY_BASELINE, POVERTY_TARGET
from reports.budgets import Budgets

#: the temp table of population figures: code, level (KECAMATAN, KELURAHAN), population
POPULATION_TABLE = "_rp_population"


def city_population(path: Path = POPULATION_FILE) -> Population:
    """The population file at `path`, checked against the city's kelurahan."""
    return read_population(path, {k.code: k.kecamatan_code for k in reference.kelurahan()})


@dataclass(frozen=True)
class Goals:
    population: Population
    baseline: float = POVERTY_BASELINE
    target: float = POVERTY_TARGET
    budgets: Budgets = field(default_factory=Budgets)

    def targets(self) -> dict[str, Any]:
        """The row `schema.services.Analytics.targets` returns."""
        return {
            "baseline": self.baseline,
            "target": self.target,
            "population": self.population.total,
            "population_year": self.population.year,
            "population_source": self.population.source,
        }


@cache
def default_goals() -> Goals:
    """The shipped population file, the default baseline and target."""
    return Goals(city_population())


def stage_population(con: duckdb.DuckDBPyConnection, population: Population) -> None:
    """Put the figures in `POPULATION_TABLE` on `con` (a temp table: staging may be
    read-only)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {POPULATION_TABLE} "
        "(code VARCHAR, level VARCHAR, population BIGINT)"
    )
    rows = [(c, "KECAMATAN", n) for c, n in population.kecamatan.items()]
    rows += [(c, "KELURAHAN", n) for c, n in population.kelurahan.items()]
    con.executemany(f"INSERT INTO {POPULATION_TABLE} VALUES (?, ?, ?)", rows)


__all__ = ["POPULATION_TABLE", "Goals", "city_population", "default_goals", "stage_population"]
