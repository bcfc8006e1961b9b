"""The generator's ground-truth city as graph loader tables, for benches and
tests that need a big graph without linking it from source exports: its
households and people are `simulator.population.build`'s (real names, NIK/KK,
addresses, deciles, PPKS), one DTSEN source record per person, the catalogue's
reference tables; services and enrolments are the caller's (`aid`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import pyarrow as pa

#: the foundations that deliver foundation aid in such a city
FOUNDATIONS: Final[list[str]] = [f"YAY-{i:03d}" for i in range(1, 21)]

#: (rng, household ids, deciles, persons) -> (services, enrolments)
Aid = Callable[[np.random.Generator, np.ndarray, np.ndarray, pa.Table], tuple[pa.Table, pa.Table]]


def truth_city(households: int, aid: Aid, seed: int = 11) -> dict[str, Any]:
    """Loader tables of `households` households, with the services and enrolments `aid` gives."""
    from connectors import reference
    from simulator import population

    rng = np.random.default_rng(seed)
    people = population.build(rng, households).people
    kel = {(k.kecamatan_code, k.name): k.code for k in reference.kelurahan()}
    kec_name = {k.name: k.code for k in reference.kecamatan()}
    hid = np.char.add("H", np.char.zfill(people["household"].to_numpy().astype(str), 7))
    pid = np.char.add("P", np.char.zfill(people["person"].to_numpy().astype(str), 8))
    kec_code = people["kecamatan"].map(kec_name).to_numpy()
    kel_code = np.array(
        [kel.get((c, n)) for c, n in zip(kec_code, people["kelurahan"], strict=True)], dtype=object
    )
    ppks = [[] if not isinstance(v, str) else v.split(";") for v in people["ppks"]]
    persons = pa.table(
        {
            "person_id": pid,
            "household_id": hid,
            "full_name": people["full_name"].to_numpy(),
            "nik": people["nik"].astype(str).to_numpy(),
            "no_kk": people["no_kk"].astype(str),
            "birth_date": pa.array(people["birth_date"].dt.date.to_numpy(), pa.date32()),
            "birth_place": people["birth_place"].to_numpy(),
            "sex": people["sex"].to_numpy(),
            "relationship": people["relationship"].to_numpy(),
            "phone": pa.array([p if isinstance(p, str) else None for p in people["phone"]]),
            "status": ["active"] * len(people),
            "ppks": pa.array(ppks, pa.list_(pa.string())),
        }
    )
    heads = people.drop_duplicates("household")
    first = heads.index.to_numpy()
    hh = pa.table(
        {
            "household_id": hid[first],
            "no_kk": heads["no_kk"].astype(str).to_numpy(),
            "address": (heads["street"] + " No. " + heads["house_number"].astype(str)).to_numpy(),
            "street": heads["street"].to_numpy(),
            "house_number": heads["house_number"].astype(str),
            "rt": heads["rt"].astype(str).str.zfill(3),
            "rw": heads["rw"].astype(str).str.zfill(3),
            "kelurahan_code": kel_code[first],
            "kecamatan_code": kec_code[first],
            "welfare_decile": heads["decile"].to_numpy(),
            "status": ["active"] * len(heads),
        }
    )
    services, enrolments = aid(rng, hid[first], heads["decile"].to_numpy(), persons)
    return {
        "kecamatan": pa.Table.from_pylist(
            [{"code": k.code, "name": k.name} for k in reference.kecamatan()]
        ),
        "kelurahan": pa.Table.from_pylist(
            [
                {"code": k.code, "name": k.name, "kecamatan_code": k.kecamatan_code}
                for k in reference.kelurahan()
            ]
        ),
        "problems": pa.Table.from_pylist([vars(p) for p in reference.ppks()]),
        "funders": pa.Table.from_pylist([vars(f) for f in reference.funder_types()]),
        "organizations": pa.Table.from_pylist(
            [{"id": "DINSOS", "name": "Dinas Sosial", "type": "dinsos"}]
            + [{"id": f, "name": f"Yayasan {f}", "type": "foundation"} for f in FOUNDATIONS]
        ),
        "programs": pa.Table.from_pylist(
            [
                {
                    **vars(p),
                    "ppks": [
                        x.ppks_code for x in reference.program_ppks() if x.program_code == p.code
                    ],
                }
                for p in reference.programs()
            ]
        ),
        "program_combinations": pa.Table.from_pylist(
            [vars(c) for c in reference.program_combinations()]
        ),
        "households": hh,
        "persons": persons,
        "source_records": pa.table(
            {
                "record_key": np.char.add("dtsen:", pid),
                "source": ["dtsen"] * len(pid),
                "organization": ["DINSOS"] * len(pid),
                "source_record_id": pid,
                "full_name": persons["full_name"],
                "nik": persons["nik"],
                "person_id": pid,
                "match_probability": [1.0] * len(pid),
            }
        ),
        "services": services,
        "enrolments": enrolments,
    }
