"""A synthetic Kota Bandung with ground truth, for tests, demos and benchmarks.

`generate_city` builds households and people (`population`), then writes what
each source would export about them (`sources`, `foundations`), one config
per source (`configs`), `truth.csv`, which says who every row really is, and
`reference/population.csv`, the city's population per kecamatan and kelurahan
(`domain.regions.population`): the true people of each kelurahan are
`REGISTERED_SHARE` of it, and `updates/`, the next DTSEN period's decile
file with threshold crossings planted (`simulator.deciles`), for a second
ingest and load. The same seed gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from connectors import reference
from domain.city import CITY_CODE
from domain.regions.population import write_population
from simulator import configs, deciles, foundations, population, sources, writers
from simulator.profile import PROFILES, Profile, ProfileError, load_profile
from simulator.spec import Emission

Progress = Callable[[str, int, int], None]

TRUTH_COLUMNS = ("source", "source_record_id", "person_truth_id", "household_truth_id")
#: the generated people (every one is on some list) are this share of the population
REGISTERED_SHARE = 0.25
#: and each kelurahan has this many people on no list at all
UNLISTED_PER_KELURAHAN = 40
#: the decile update draws from its own stream of the seed
DECILE_STREAM = 16


@dataclass(frozen=True)
class GenerateSummary:
    out: Path
    households: int
    people: int
    sources: int
    records: int  # source rows written, equal to the rows of truth.csv
    records_by_source: dict[str, int]
    population_file: Path
    decile_update: deciles.DecileUpdate | None = None


def person_truth_id(index: pd.Series) -> pd.Series:
    return "P" + index.astype("str").str.zfill(8)


def household_truth_id(index: pd.Series) -> pd.Series:
    return "H" + index.astype("str").str.zfill(7)


def generate_city(
    households: int,
    seed: int,
    out: Path,
    foundations: int = 300,
    progress: Progress | None = None,
    profile: Profile = PROFILES["standard"],
) -> GenerateSummary:
    """Write `out/sources/*`, `out/config/*.toml` and `out/truth.csv`.

    `profile` widens the sources' errors (see `simulator.profile`)."""
    if households < 1:
        raise ValueError(f"households must be at least 1, not {households}.")
    report = progress or (lambda step, done, total: None)
    rng = np.random.default_rng(seed)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "config").mkdir(parents=True, exist_ok=True)
    total = len(sources.AGENCY_SOURCES) + foundations + 2
    report("population", 0, total)
    pop = population.build(rng, households)
    report("population", 1, total)
    population_file = out / "reference" / "population.csv"
    _write_population(pop, population_file)
    truth_path = out / "truth.csv"
    counts: dict[str, int] = {}
    with truth_path.open("wb") as truth:
        truth.write((",".join(TRUTH_COLUMNS) + "\n").encode())
        for make in sources.AGENCY_SOURCES:
            emission = profile.rename(make(pop, rng, profile))
            counts[emission.spec.id] = _write(emission, out, truth)
            report(emission.spec.id, len(counts) + 1, total)
        profiles = foundations_profiles(rng, foundations, households, profile)
        for emission in _foundation_emissions(pop, rng, profiles, profile):
            emission = profile.rename(emission)
            counts[emission.spec.id] = _write(emission, out, truth)
            report(emission.spec.id, len(counts) + 1, total)
    # the next DTSEN period's deciles, a month's update beside the city (its own
    # generator, so the city's files are what they were without it)
    update = deciles.decile_update(
        pop, np.random.default_rng([seed, DECILE_STREAM]), out, household_truth_id
    )
    report("done", total, total)
    return GenerateSummary(
        out=out,
        households=households,
        people=len(pop.people),
        sources=len(counts),
        records=sum(counts.values()),
        records_by_source=counts,
        population_file=population_file,
        decile_update=update,
    )


def _write_population(pop: population.Population, path: Path) -> None:
    """The population file of the generated city: each kelurahan's true people
    over `REGISTERED_SHARE`, plus `UNLISTED_PER_KELURAHAN`."""
    code = {(k.kecamatan_code, k.name): k.code for k in reference.kelurahan()}
    kecamatan = {k.name: k.code for k in reference.kecamatan()}
    people = pop.people.groupby(["kecamatan", "kelurahan"]).size()
    true = {code[(kecamatan[kec], kel)]: int(n) for (kec, kel), n in people.items()}
    figures = {
        k.code: (
            k.kecamatan_code,
            round(true.get(k.code, 0) / REGISTERED_SHARE) + UNLISTED_PER_KELURAHAN,
        )
        for k in reference.kelurahan()
    }
    write_population(path, figures, int(str(population.TODAY)[:4]), "generated city", CITY_CODE)


def foundations_profiles(
    rng: np.random.Generator, count: int, households: int, profile: Profile = PROFILES["standard"]
) -> list[foundations.Foundation]:
    return foundations.profiles(rng, count, households, profile)


def _foundation_emissions(
    pop: population.Population,
    rng: np.random.Generator,
    profiles: list[foundations.Foundation],
    profile: Profile,
) -> list[Emission]:
    return foundations.emissions(pop, rng, profiles, profile) if profiles else []


def _write(emission: Emission, out: Path, truth: BinaryIO) -> int:
    spec = emission.spec
    writers.write(emission.frame, spec, out / "sources" / spec.file_name)
    configs.write(spec, out / "config")
    table = pa.table(
        {
            "source": pa.array([spec.id] * len(emission.frame), pa.string()),
            "source_record_id": pa.array(emission.record_ids.astype("str").to_numpy()),
            "person_truth_id": pa.array(person_truth_id(emission.person).to_numpy()),
            "household_truth_id": pa.array(household_truth_id(emission.household).to_numpy()),
        }
    )
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(table, truth, write_options=options)
    return len(emission.frame)


__all__ = [
    "PROFILES",
    "REGISTERED_SHARE",
    "UNLISTED_PER_KELURAHAN",
    "GenerateSummary",
    "Profile",
    "ProfileError",
    "Progress",
    "generate_city",
    "load_profile",
]
