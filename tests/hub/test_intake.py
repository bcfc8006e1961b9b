"""Records submitted through the API: kept, linked in real time, then staged by
`hub ingest` and kept under the same ids by the next `hub link`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from connectors import ingest, load_configs
from hub import pipeline
from hub.intake import IntakeReader, IntakeStore, LinkageServices, intake_readers, intake_source_id
from hub.settings import Settings
from journal import Journal, kinds
from linkage import output_tables
from linkage.ledger import IdentityLedger
from simulator import generate_city
from store import Store

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("intake-home")
    city = tmp_path_factory.mktemp("intake-city")
    generate_city(households=150, seed=3, out=city, foundations=3)
    settings = Settings(home=home)
    con = pipeline.open_db(settings)
    ingest(con, load_configs(city / "config"))
    pipeline.link(settings, con, home / "models", train=True)
    con.close()
    return home, city


def a_known_person(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    row = con.execute(
        "SELECT c.full_name, c.birth_date, c.sex, c.kelurahan, c.rt, c.rw, c.nik, i.person_id,"
        " i.household_id FROM current_records c JOIN identity_map i USING (record_key)"
        " WHERE c.source = 'disdukcapil' AND c.nik IS NOT NULL ORDER BY c.record_key LIMIT 1"
    ).fetchone()
    assert row is not None
    keys = (
        "full_name",
        "birth_date",
        "sex",
        "kelurahan",
        "rt",
        "rw",
        "nik",
        "person_id",
        "household_id",
    )
    return dict(zip(keys, row, strict=True))


async def test_a_submission_of_a_known_person_gets_their_ids(linked: tuple[Path, Path]) -> None:
    home, _ = linked
    with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as con:
        known = a_known_person(con)
    services = LinkageServices.open(Settings(home=home), Journal.at_home(home))
    assert services.intake is not None
    try:
        record = {
            k: known[k] for k in ("full_name", "birth_date", "sex", "kelurahan", "rt", "rw", "nik")
        }
        result = await services.intake.submit(
            {**record, "source_record_id": "K-1"}, "ORG-YAYASAN-X"
        )
        fresh = await services.intake.submit(
            {
                "source_record_id": "N-1",
                "full_name": "Zulkarnaen Wiratmadja",
                "birth_date": "1931-02-03",
                "sex": "L",
            },
            "ORG-YAYASAN-X",
        )
    finally:
        services.close()
    assert (result["person_id"], result["household_id"]) == (
        known["person_id"],
        known["household_id"],
    )
    assert result["new_person"] is False
    assert result["record_key"] == f"{intake_source_id('ORG-YAYASAN-X')}:K-1"
    assert fresh["new_person"] is True
    assert fresh["person_id"] != known["person_id"]
    # kept in the ledger, not in staging, and journalled without the person's data
    ledger = IdentityLedger.at_home(home)
    kept = ledger.assignment(fresh["record_key"])
    assert kept is not None and (kept.person_id, kept.minted[0]) == (fresh["person_id"], "person")
    facts = Journal.at_home(home).read(kinds=[kinds.SUBMISSION_RECEIVED])
    about = [f for f in facts if f.subject == fresh["record_key"]]
    assert [(f.organization, f.household_ids) for f in about] == [
        ("ORG-YAYASAN-X", (fresh["household_id"],))
    ]
    assert "Zulkarnaen" not in json.dumps(dict(about[0].payload))
    with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM identity_map WHERE record_key = ?", [fresh["record_key"]]
        ).fetchone() == (0,)


async def test_submissions_are_staged_by_ingest_and_keep_their_ids(
    linked: tuple[Path, Path],
) -> None:
    home, _ = linked
    settings = Settings(home=home)
    services = LinkageServices.open(settings)
    assert services.intake is not None
    try:
        given = await services.intake.submit(
            {
                "source_record_id": "S-9",
                "full_name": "Rahmat Hidayatullah",
                "birth_date": "1944-04-04",
                "sex": "L",
                "kelurahan": "Sukaluyu",
            },
            "ORG-YAYASAN-Y",
        )
    finally:
        services.close()
    # the graph gets the linkage's own reading of the record
    assert (given["kelurahan_code"], given["kecamatan_code"]) == ("3273181004", "327318")
    assert given["name_tokens"] == ["RAHMAT", "HIDAYATULLAH"]
    con = pipeline.open_db(settings)
    try:
        configs = load_configs(IntakeStore.config_dir_of(home))
        assert [c.id for c in configs if c.id.endswith("yayasan-y")] == ["api-org-yayasan-y"]
        with intake_readers(settings) as readers:
            summary = ingest(con, configs, readers=readers)
        assert all(s.read == s.staged + s.quarantined for s in summary)
        pipeline.link(settings, con, home / "models")
        after = con.execute(
            "SELECT person_id, household_id FROM identity_map WHERE record_key = ?",
            [given["record_key"]],
        ).fetchone()
        registered = con.execute(
            "SELECT status FROM person_registry WHERE person_id = ?", [given["person_id"]]
        ).fetchall()
        # loaded into the graph as an API record: it opens no known person's household
        records = output_tables(con)["source_records"].to_pylist()
    finally:
        con.close()
    assert after == (given["person_id"], given["household_id"])
    assert registered == [("active",)]
    via_api = {r["record_key"]: r["via_api"] for r in records}
    assert via_api[given["record_key"]] is True
    assert {v for k, v in via_api.items() if not k.startswith("api-")} == {False}


@pytest.mark.parametrize("organization", ['ORG "QUOTED"', "ORG\\BACKSLASH", "O'BRIEN & SONS"])
def test_an_api_intake_config_reads_back_for_any_organization_name(
    tmp_path: Path, organization: str, store_backend: Store
) -> None:
    store = IntakeStore(tmp_path, store_backend.database("intake"))
    store.save(organization, {"source_record_id": "R1", "full_name": "Budi"})
    [config] = load_configs(store.config_dir)
    assert config.id == intake_source_id(organization)
    assert config.organization == organization
    # read back through the store, not a query on a file named in the config
    assert config.kind == "intake" and config.query is None
    table = IntakeReader(store).read(config)
    assert table.column("organization").to_pylist() == [organization]
    assert table.column("full_name").to_pylist() == ["Budi"]
