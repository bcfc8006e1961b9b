"""The poverty rate over a real population, and budgets against the need, on a
generated city ingested and linked for real (DuckDB; no graph needed), plus the
population and budgets files' bad inputs."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest

from connectors import ingest, load_configs, reference
from domain.regions.population import POPULATION_FILE, PopulationError
from hub import pipeline
from hub.analytics import goals_of
from hub.errors import ConfigError
from hub.settings import Settings, load_settings
from reports.analytics import poverty, prepare_figures
from reports.budgets import funding_pool, spending
from reports.goals import city_population
from reports.queries import SHEET_BY_NAME, Period, sheet_rows
from simulator import REGISTERED_SHARE, UNLISTED_PER_KELURAHAN, generate_city, population

HOUSEHOLDS, SEED, FOUNDATIONS = 150, 11, 4
PERIOD = Period.containing(dt.date.today())


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    root = tmp_path_factory.mktemp("goals")
    out = root / "city"
    summary = generate_city(HOUSEHOLDS, SEED, out, foundations=FOUNDATIONS)
    settings = Settings(home=root / "home", population_file=summary.population_file)
    splink = logging.getLogger("splink")
    level = splink.level
    splink.setLevel(logging.ERROR)
    con = pipeline.open_db(settings)
    try:
        ingest(con, load_configs(out / "config"))
        pipeline.link(settings, con, pipeline.model_dir(settings), train=True)
    finally:
        con.close()
        splink.setLevel(level)
    return settings, out


@pytest.fixture
def staging(city: tuple[Settings, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(city[0].duckdb_path), read_only=True)
    yield con
    con.close()


def test_a_generated_citys_population_is_its_true_people_over_the_registered_share(
    city: tuple[Settings, Path], staging: duckdb.DuckDBPyConnection
) -> None:
    settings, _ = city
    truth = population.build(np.random.default_rng(SEED), HOUSEHOLDS).people
    code = {(k.kecamatan_code, k.name): k.code for k in reference.kelurahan()}
    kecamatan = {k.name: k.code for k in reference.kecamatan()}
    people = Counter(
        code[(kecamatan[kec], kel)]
        for kec, kel in zip(truth["kecamatan"], truth["kelurahan"], strict=True)
    )
    figures = city_population(settings.population_file)
    assert figures.kelurahan == {
        k.code: round(people[k.code] / REGISTERED_SHARE) + UNLISTED_PER_KELURAHAN
        for k in reference.kelurahan()
    }
    registered = staging.execute("SELECT count(DISTINCT person_id) FROM identity_map").fetchone()
    assert registered is not None and 0 < registered[0] < figures.total


def test_the_rate_is_poor_people_over_population_in_the_api_figures_and_the_report(
    city: tuple[Settings, Path], staging: duckdb.DuckDBPyConnection
) -> None:
    settings, _ = city
    goals = goals_of(replace(settings, poverty_target=0.05, poverty_baseline=0.06))
    con = staging.cursor()
    prepare_figures(con, PERIOD, None, goals)
    areas = {level: poverty(con, level) for level in ("KECAMATAN", "KELURAHAN")}
    sheet = sheet_rows(con, SHEET_BY_NAME["Target Kemiskinan"], PERIOD)
    # the population of every area is the file's; the report's rate is poor / population
    for level, figures in (
        ("KECAMATAN", goals.population.kecamatan),
        ("KELURAHAN", goals.population.kelurahan),
    ):
        assert {r["code"]: r["population"] for r in areas[level]} == figures
    report = {str(r[0]): r for r in sheet}
    for row in areas["KECAMATAN"]:
        _, _, households, people, _, poor, pop, rate = report[row["code"]]
        assert (households, people, poor, pop) == (
            row["households"],
            row["people"],
            row["poor_people"],
            row["population"],
        )
        assert rate == pytest.approx(row["poor_people"] / row["population"], abs=1e-6)
    city_row = report["KOTA"]
    poor = sum(r["poor_people"] for r in areas["KELURAHAN"])
    assert poor == sum(r["poor_people"] for r in areas["KECAMATAN"]) == city_row[5] > 0
    assert city_row[6] == goals.population.total
    assert city_row[7] == pytest.approx(poor / goals.population.total, abs=1e-6)
    # poor: decile 1-4 or P3KE, counted here from the staged records directly
    poor_households = {
        h
        for (h,) in con.execute("""
            SELECT i.household_id FROM identity_map i JOIN linkage_records r USING (record_key)
            GROUP BY 1
            HAVING coalesce(min(r.welfare_decile) <= 4, false) OR bool_or(r.source = 'p3ke')
            """).fetchall()
    }
    counted = {h for (h,) in con.execute("SELECT household_id FROM _rp_counted").fetchall()}
    assert city_row[4] == len(poor_households & counted)
    con.close()


def _budgets_file(path: Path, staging: duckdb.DuckDBPyConnection) -> tuple[int, dict[str, float]]:
    """Budgets for every (funder, program) that delivered in the busiest year, and
    four bad rows: (the year, the amount budgeted per program)."""
    year, _ = staging.execute(
        "SELECT year(service_date), count(*) FROM current_services GROUP BY 1 ORDER BY 2 DESC"
    ).fetchone() or (0, 0)
    pairs = staging.execute(
        """SELECT DISTINCT coalesce(nullif(s.funder, ''), p.funder_type), s.program
           FROM current_services s JOIN ref_program p ON p.code = s.program
           WHERE year(s.service_date) = $y ORDER BY ALL""",
        {"y": year},
    ).fetchall()
    lines = ["funder,program,year,quota_households,amount"]
    per_program: Counter[str] = Counter()
    for i, (funder, program) in enumerate(pairs):
        amount = 1_000_000.0 * (i + 1)
        per_program[program] += amount
        lines.append(f"{funder},{program},{year},{10 + i},{amount:.0f}")
    lines += [
        f"NOBODY,PKH,{year},1,1",  # not a funder
        f"APBN,NO-SUCH,{year},1,1",  # not a program
        f"APBN,PKH,{year},-1,5",  # negative
        f"APBN,BPNT,{year},1,nan",  # not a finite amount (GraphQL could not send it)
        f"APBN,KIP,{year},1,inf",
        f"{pairs[0][0]},{pairs[0][1]},{year},1,1",  # a second budget of one key
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return int(year), dict(per_program)


def test_budgets_spending_and_the_share_of_need_covered(
    city: tuple[Settings, Path], staging: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    settings, _ = city
    year, per_program = _budgets_file(tmp_path / "budgets.csv", staging)
    goals = goals_of(replace(settings, budgets_file=tmp_path / "budgets.csv"))
    assert [(q.row, q.reason.split(" ")[0]) for q in goals.budgets.quarantined] == [
        (len(goals.budgets.budgets) + 2 + i, word)
        for i, word in enumerate(("funder", "program", "quota_households", "amount", "amount", "a"))
    ]
    con = staging.cursor()
    prepare_figures(con, PERIOD, None, goals)
    # spent: the year's staged services of the budget's program its funder paid
    want = {
        (f, p): (float(a), int(h))
        for f, p, a, h in con.execute(
            """SELECT coalesce(nullif(s.funder, ''), p.funder_type), s.program,
                      sum(coalesce(s.amount, 0)), count(DISTINCT i.household_id)
               FROM current_services s JOIN identity_map i USING (record_key)
               JOIN ref_program p ON p.code = s.program
               WHERE year(s.service_date) = $y AND s.service_date < $end GROUP BY 1, 2""",
            {"y": year, "end": PERIOD.end},
        ).fetchall()
    }
    got = spending(con, year)
    assert {(b["funder"], b["program"]) for b in got} == set(want)
    for b in got:
        assert b["spent"] == pytest.approx(want[(b["funder"], b["program"])][0])
        assert b["households"] == want[(b["funder"], b["program"])][1]
    pool = funding_pool(con, year)
    assert pool["pool"] == pytest.approx(sum(per_program.values()))
    cost = {p.code: p.cost_per_household for p in reference.programs()}
    need = {p["program"]: p["households_in_need"] for p in pool["programs"]}
    need_cost = sum(need[c] * cost[c] for c in cost)
    payable = sum(min(need[c] * cost[c], per_program.get(c, 0.0)) for c in cost)
    assert need_cost > 0 and pool["need_cost"] == pytest.approx(need_cost)
    assert pool["share_of_need_covered"] == pytest.approx(payable / need_cost)
    # in need: poor households with an active person with a problem the program addresses
    poor = {
        h
        for (h,) in con.execute(
            "SELECT household_id FROM _rp_counted WHERE "
            "coalesce(welfare_decile <= 4, false) OR p3ke"
        ).fetchall()
    }
    problems = con.execute("""SELECT i.household_id, unnest(r.ppks)
        FROM identity_map i JOIN linkage_records r USING (record_key)""").fetchall()
    addressed = con.execute("SELECT program_code, ppks_code FROM ref_program_ppks").fetchall()
    for program in cost:
        codes = {c for p, c in addressed if p == program}
        assert need[program] <= len({h for h, c in problems if c in codes and h in poor})
    con.close()


# --- bad input ---------------------------------------------------------------------------
def _population_with(tmp_path: Path, change: str, to: str) -> Path:
    text = POPULATION_FILE.read_text(encoding="utf-8")
    assert change in text
    path = tmp_path / "population.csv"
    path.write_text(text.replace(change, to, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "to", "says"),
    [
        ("3273011001,kelurahan,327301,", "3273011001,kelurahan,327302,", "lies in kecamatan"),
        ("3273011001,kelurahan", "3273999999,kelurahan", "is not a kelurahan of the city"),
        ("3273011001,kelurahan,327301,16557", "3273011001,kelurahan,327301,-5", "negative"),
        ("3273011001,kelurahan,327301,16557", "3273011001,kelurahan,327301,16558", "add up"),
        ("3273011001,kelurahan,327301,16557", "3273011001,kelurahan,327301,many", "whole number"),
        ("code,level,parent", "code,kind,parent", "no column level"),
        ("3273011001,kelurahan,327301,16557,", "3273011001,kelurahan,", "fewer or more cells"),
        ("\n3273011001,kelurahan", "\n3273011001,kelurahan,327301,16557,2024,x\nz", "one version"),
    ],
)
def test_a_bad_population_file_is_refused_with_where_and_what(
    tmp_path: Path, change: str, to: str, says: str
) -> None:
    path = _population_with(tmp_path, change, to)
    with pytest.raises(PopulationError, match=says):
        city_population(path)
    settings = load_settings({"HUB_POPULATION_FILE": str(path)}, tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="population_file"):
        goals_of(settings)


def test_a_missing_kelurahan_is_named(tmp_path: Path) -> None:
    lines = POPULATION_FILE.read_text(encoding="utf-8").splitlines()
    gone = next(line for line in lines if line.startswith("3273011002,"))
    (tmp_path / "p.csv").write_text("\n".join(x for x in lines if x != gone) + "\n")
    with pytest.raises(PopulationError, match="no figure for kelurahan 3273011002"):
        city_population(tmp_path / "p.csv")


def test_the_shipped_population_is_complete() -> None:
    figures = city_population()
    assert set(figures.kelurahan) == {k.code for k in reference.kelurahan()}
    assert set(figures.kecamatan) == {k.code for k in reference.kecamatan()}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"HUB_POVERTY_TARGET": "3.14"}, "between 0 and 1"),
        ({"HUB_POVERTY_BASELINE": "lots"}, "fraction"),
    ],
)
def test_bad_poverty_settings_are_refused(tmp_path: Path, env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings(env, tmp_path / "none.toml")


def test_a_budgets_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("funder,program,year\nAPBN,PKH,2026\n")
    settings = load_settings({"HUB_BUDGETS_FILE": str(tmp_path / "b.csv")}, tmp_path / "x.toml")
    with pytest.raises(ConfigError, match="no column quota_households, amount"):
        goals_of(settings)
