"""Aid for a ground-truth city (`simulator.graph_city`) with targeting errors
planted, and the truth they make, for tests that must recover them.

Within one month every household gets one delivery of each program whose rule
(`connectors/reference/eligibility.toml`) finds it eligible, skipping a
program the combination table forbids alongside one it already gets (so the
city's own aid is neither duplicated nor an exclusion). Then, each with its
rate, a household:

- loses one of those programs (an exclusion error);
- gets a program its rule finds it not eligible for (an inclusion error);
- gets PKH and BANSOS-LANSIA-KOTA together (a pair the table forbids);
- gets SEMBAKO-YAYASAN from three foundations (one program, three funders),
  when it gets no other food aid.

`Planted.truth` is then (household, kind, program or rule) of every exclusion
and inclusion error, judged by the domain's rules on the generator's own
households, and of every duplication planted: the triples, and every pair of
programs a household got that the table forbids (the planted pair, and what
it clashes with, e.g. PKH with BLT).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import numpy as np
import pyarrow as pa

from connectors import reference
from domain.eligibility import RuleBook, household_facts
from domain.targeting import TargetingRow, eligibility_findings
from simulator.graph_city import FOUNDATIONS, Aid

PAIR: Final[tuple[str, str]] = ("BANSOS-LANSIA-KOTA", "PKH")
FOOD_PARCEL: Final[str] = "SEMBAKO-YAYASAN"


@dataclass(frozen=True)
class Rates:
    exclusion: float = 0.05
    inclusion: float = 0.04
    pair: float = 0.03
    triple: float = 0.03


@dataclass
class Planted:
    """What was planted, filled in when the city's aid is drawn."""

    truth: set[tuple[str, str, str]] = field(default_factory=set)


def planting(book: RuleBook, month: date, planted: Planted, rates: Rates = Rates()) -> Aid:
    """An `Aid` for `simulator.graph_city.truth_city` delivering in `month` (its
    first day), judged on the month's last day, that records its truth in `planted`."""
    on = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    forbidden = {
        frozenset((c.program_a, c.program_b))
        for c in reference.program_combinations()
        if not c.allowed
    }
    kind = {p.code: p.funder_type for p in reference.programs()}
    public = {f.code for f in reference.funder_types() if f.public}
    food = {p.code for p in reference.programs() if p.need == "food"}

    def clashes(program: str, served: list[str]) -> bool:
        return any(frozenset((program, s)) in forbidden for s in served)

    def aid(
        rng: np.random.Generator, hids: np.ndarray, deciles: np.ndarray, persons: pa.Table
    ) -> tuple[pa.Table, pa.Table]:
        members: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in persons.select(["household_id", "birth_date", "status", "ppks"]).to_pylist():
            members[p["household_id"]].append(p)
        rows: list[dict[str, Any]] = []
        facts_rows = []
        for h, d in zip(hids.tolist(), deciles.tolist(), strict=True):
            served = _served(book, rng, h, int(d), members[h], on, rates, clashes)
            triple = bool(rng.random() < rates.triple and not food & set(served))
            for program in served:
                org = "DINSOS" if kind.get(program) in public else FOUNDATIONS[0]
                rows.append(_service(h, program, month, rng, kind.get(program), org))
            if triple:
                for org in rng.choice(FOUNDATIONS, size=3, replace=False).tolist():
                    rows.append(_service(h, FOOD_PARCEL, month, rng, kind[FOOD_PARCEL], org))
                planted.truth.add((h, "DUPLICATION", f"same_program:{FOOD_PARCEL}"))
            for a, b in itertools.combinations(sorted(served), 2):  # the pair, and what
                if frozenset((a, b)) in forbidden:  # it clashes with (PKH with BLT)
                    planted.truth.add((h, "DUPLICATION", f"not_allowed:{a}+{b}"))
            facts_rows.append(
                TargetingRow(
                    h,
                    household_facts(int(d), members[h], on),
                    frozenset(served + ([FOOD_PARCEL] if triple else [])),
                )
            )
        for f in eligibility_findings(book, facts_rows, on):
            planted.truth.add((f.household_id, f.kind.upper(), f.programs[0]))
        return _services_table(rows), _no_enrolments()

    return aid


def _served(
    book: RuleBook,
    rng: np.random.Generator,
    household: str,
    decile: int,
    members: list[dict[str, Any]],
    on: date,
    rates: Rates,
    clashes: Callable[[str, list[str]], bool],
) -> list[str]:
    results = book.evaluate(household_facts(decile, members, on), on)
    served: list[str] = []
    for e in results:
        if e.eligible and not clashes(e.program, served):
            served.append(e.program)
    if served and rng.random() < rates.exclusion:
        served.remove(served[int(rng.integers(len(served)))])
    if rng.random() < rates.inclusion:
        wrong = [e.program for e in results if not e.eligible and not clashes(e.program, served)]
        if wrong:
            served.append(wrong[int(rng.integers(len(wrong)))])
    if rng.random() < rates.pair:
        served += [p for p in PAIR if p not in served]
    return served


def _service(
    household: str,
    program: str,
    month: date,
    rng: np.random.Generator,
    funder: str | None,
    org: str,
) -> dict[str, Any]:
    return {
        "service_id": f"S-{household}-{program}-{org}",
        "household_id": household,
        "program": program,
        "service_date": month + timedelta(days=int(rng.integers(0, 28))),
        "amount": 300000.0,
        "funder": funder,
        "organization": org,
        "source": "planted",
    }


def _services_table(rows: list[dict[str, Any]]) -> pa.Table:
    table = pa.Table.from_pylist(rows)
    at = table.column_names.index("service_date")
    return table.set_column(at, "service_date", table["service_date"].cast(pa.date32()))


def _no_enrolments() -> pa.Table:
    return pa.table(
        {
            "household_id": pa.array([], pa.string()),
            "program": pa.array([], pa.string()),
            "since": pa.array([], pa.date32()),
            "until": pa.array([], pa.date32()),
            "active": pa.array([], pa.bool_()),
            "organization": pa.array([], pa.string()),
        }
    )
