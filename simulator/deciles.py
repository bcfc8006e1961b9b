"""A DTSEN decile update: the next DTSEN period's deciles (desil) for some of
the city's households, as Kemensos sends them (a source with `content =
"deciles"`, read by `connectors/deciles.py`), with threshold crossings planted.

It is the next month's file, so `generate_city` writes it beside the city in
`updates/` (`updates/sources/dtsen-desil.csv`, `updates/config/dtsen-desil.toml`),
not in `config/`: a hub first loads the city, then ingests `updates/config`
and loads again, and the decile changes the file brings raise their threshold
alerts (`hub.decile_alerts`). `hub demo` does exactly that.

The file gives every household the DTSEN register re-surveyed
(`DTSEN_SHARE` of those in deciles 1-6) its decile of the new period: most
keep theirs; at `CROSS` a household in the last decile of a program's cut-off
(the `decile_max` of the eligibility rules: 4 for PKH, BLT and KIP, 5 for
BPNT and PBI-JK, 6 for the city's food and health programs) moves one decile
up, out of it; at `DOWN` one moves a decile down, which crosses no cut-off
outwards. `CROSS` is high so that a test city of a few hundred households has
crossings among the families enrolled. A row names its household by the
head's NIK, or one in ten by the family card (KK) number only.
`updates/deciles-truth.csv` lists every row with its true household, the
deciles before and after and whether it was a planted crossing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from connectors import reference
from simulator import configs, writers
from simulator.population import HEAD, TODAY, Population
from simulator.spec import SourceSpec

#: the DTSEN period of the update: the month after the city's day
PERIOD: Final = str((TODAY.astype("datetime64[M]") + 1).astype(str))
#: the households in deciles 1-6 the register re-surveys, and the rates of each move
DTSEN_SHARE: Final = 0.9
CROSS: Final = 0.25
DOWN: Final = 0.05
#: the update's folder under the city
UPDATES: Final = "updates"

SPEC: Final = SourceSpec(
    id="dtsen-desil",
    kind="csv",
    organization="ORG-BPS-DTSEN",
    organization_name="BPS / Kemensos: Data Tunggal Sosial dan Ekonomi Nasional",
    organization_type="agency",
    delimiter=",",
    date_formats=[],
    columns={
        "ID_DESIL": "source_record_id",
        "NIK": "nik",
        "NO_KK": "no_kk",
        "DESIL": "welfare_decile",
        "PERIODE": "dtsen_period",
    },
    content="deciles",
)


@dataclass(frozen=True)
class DecileUpdate:
    source: Path
    config: Path
    truth: Path
    rows: int
    crossings: int


def cutoffs() -> tuple[int, ...]:
    """The last decile of every program's cut-off, from the eligibility rules."""
    found = {
        int(r.params["decile_max"])
        for r in reference.eligibility_rules().rules
        if "decile_max" in r.params
    }
    return tuple(sorted(found))


def decile_update(
    pop: Population,
    rng: np.random.Generator,
    out: Path,
    truth_id: Callable[[pd.Series], pd.Series],
) -> DecileUpdate:
    """Write the update under `out/updates/` (see the module); `truth_id` names
    a household as truth.csv does."""
    heads = pop.people[pop.people["role"] == HEAD].drop_duplicates("household")
    decile = heads["decile"].to_numpy()
    draw = rng.random((3, len(heads)))
    surveyed = (decile <= 6) & (draw[0] < DTSEN_SHARE)
    cross = surveyed & np.isin(decile, cutoffs()) & (draw[1] < CROSS)
    down = surveyed & ~cross & (decile > 1) & (draw[1] > 1 - DOWN)
    by_kk = draw[2][surveyed] < 0.1
    chosen = heads[surveyed]
    before = decile[surveyed]
    after = before + cross[surveyed] - down[surveyed]
    frame = pd.DataFrame(
        {
            "ID_DESIL": [f"DESIL-{PERIOD}-{i:07d}" for i in range(1, len(chosen) + 1)],
            "NIK": np.where(by_kk, "", chosen["nik"].astype(str)),
            "NO_KK": chosen["no_kk"].astype(str).to_numpy(),
            "DESIL": after,
            "PERIODE": PERIOD,
        }
    )
    root = out / UPDATES
    (root / "sources").mkdir(parents=True, exist_ok=True)
    (root / "config").mkdir(parents=True, exist_ok=True)
    source = root / "sources" / SPEC.file_name
    writers.write(frame, SPEC, source)
    config = configs.write(SPEC, root / "config")
    truth = root / "deciles-truth.csv"
    pd.DataFrame(
        {
            "nik": frame["NIK"],
            "no_kk": frame["NO_KK"],
            "household_truth_id": truth_id(chosen["household"]).to_numpy(),
            "decile_from": before,
            "decile_to": after,
            "crossing": cross[surveyed],
        }
    ).to_csv(truth, index=False)
    return DecileUpdate(source, config, truth, len(frame), int(cross.sum()))


__all__ = ["CROSS", "DOWN", "PERIOD", "SPEC", "UPDATES", "DecileUpdate", "cutoffs", "decile_update"]
