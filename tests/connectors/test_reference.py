from pathlib import Path

import duckdb
import pytest

from connectors import reference
from hub.settings import Settings


def test_ppks_has_26_stable_codes_with_special_categories() -> None:
    rows = reference.ppks()
    assert [r.code for r in rows] == [f"PPKS{i:02d}" for i in range(1, 27)]
    special = {r.code for r in rows if r.special_category}
    assert special == {
        "PPKS03",
        "PPKS05",
        "PPKS06",
        "PPKS09",
        "PPKS10",
        "PPKS15",
        "PPKS16",
        "PPKS17",
        "PPKS18",
        "PPKS19",
    }
    kinds = {r.special_kind for r in rows if r.special_category}
    assert kinds == {"health", "criminal", "sexual", "drugs", "trafficking", "violence"}
    assert all(r.special_kind is None for r in rows if not r.special_category)


def test_bandung_has_30_kecamatan_and_151_kelurahan() -> None:
    kec = reference.kecamatan()
    kel = reference.kelurahan()
    assert len(kec) == 30 and len({k.code for k in kec}) == 30
    assert len(kel) == 151 and len({k.code for k in kel}) == 151
    assert all(len(k.code) == 6 and k.code.startswith("3273") for k in kec)
    kec_codes = {k.code for k in kec}
    for k in kel:
        assert len(k.code) == 10 and k.code.isdigit()
        assert k.code.startswith(k.kecamatan_code) and k.kecamatan_code in kec_codes
    assert {k.kecamatan_code for k in kel} == kec_codes


def test_regions_cover_west_java_and_big_cities() -> None:
    codes = {r.code for r in reference.regions()}
    assert {"3273", "3204", "3217", "3277", "3171", "3578", "3374", "1275", "3471"} <= codes
    assert sum(c.startswith("32") for c in codes) == 27
    assert all(len(c) == 4 and c.isdigit() for c in codes)


def test_programs_reference_known_ppks_funders_and_combinations() -> None:
    programs = {p.code for p in reference.programs()}
    assert {"PKH", "BPNT", "PBI-JK", "BLT", "KIP", "ATENSI", "RUTILAHU"} <= programs
    funders = {f.code for f in reference.funder_types()}
    assert funders == {"APBN", "APBD_PROV", "APBD_KOTA", "FOUNDATION", "CSR", "ZAKAT"}
    assert {p.funder_type for p in reference.programs()} <= funders
    assert {p.benefit_kind for p in reference.programs()} <= {
        "cash",
        "food",
        "health",
        "education",
        "rehab",
        "housing",
    }
    ppks = {r.code for r in reference.ppks()}
    assert {m.ppks_code for m in reference.program_ppks()} <= ppks
    assert {m.program_code for m in reference.program_ppks()} == programs
    assert reference.combination_allowed("PKH", "BPNT")
    assert reference.combination_allowed("PBI-JK", "PKH")
    assert not reference.combination_allowed("BLT", "PKH")
    assert not reference.combination_allowed("PBI-JK", "PBI-DAERAH")
    # a foundation's food package on top of state food aid is the double-dipping
    # Dinsos wants to see; zakat is the family's right and tops up anything
    assert not reference.combination_allowed("BPNT", "SEMBAKO-YAYASAN")
    assert reference.combination_allowed("PKH", "ZAKAT")


def test_load_reference_is_idempotent() -> None:
    con = duckdb.connect()
    reference.load_reference(con)
    reference.load_reference(con)
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()
        for t in ("ref_ppks", "ref_kecamatan", "ref_kelurahan", "ref_funder_type")
    }
    assert counts == {
        "ref_ppks": (26,),
        "ref_kecamatan": (30,),
        "ref_kelurahan": (151,),
        "ref_funder_type": (6,),
    }
    special = con.execute("SELECT count(*) FROM ref_ppks WHERE special_category").fetchone()
    assert special == (10,)
    for table in ("ref_region", "ref_program", "ref_program_ppks", "ref_program_combination"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() != (0,)


def test_load_reference_skips_unchanged_files_but_restores_a_dropped_table() -> None:
    con = duckdb.connect()
    reference.load_reference(con)
    marker = "SELECT count(*) FROM ref_funder_type WHERE code = 'MARKER'"
    con.execute("INSERT INTO ref_funder_type VALUES ('MARKER', 'kept when nothing changed', false)")
    reference.load_reference(con)
    assert con.execute(marker).fetchone() == (1,)
    con.execute("DROP TABLE ref_ppks")
    reference.load_reference(con)
    assert con.execute("SELECT count(*) FROM ref_ppks").fetchone() == (26,)
    assert con.execute(marker).fetchone() == (0,)


def test_every_kecamatan_has_a_social_worker_and_an_office_file_is_checked(
    tmp_path: Path,
) -> None:
    areas = reference.worker_areas()
    assert {a.kecamatan_code for a in areas} == {k.code for k in reference.kecamatan()}
    own = tmp_path / "areas.csv"
    own.write_text(
        "worker,organization,kecamatan_code,kelurahan_code\n"
        "rina,DINSOS,327301,3273011001\n"
        "budi,,327301,3273021001\n"
    )
    with pytest.raises(ValueError, match="row 3, kelurahan_code"):
        reference.worker_areas(own)


def test_the_social_workers_belong_to_the_front_desks_organization(tmp_path: Path) -> None:
    desk = Settings().desk_organization
    # the shipped file names the organization id its staff sign in with
    assert {a.organization for a in reference.worker_areas(organization=desk)} == {desk}
    own = tmp_path / "areas.csv"
    header = "worker,organization,kecamatan_code,kelurahan_code\n"
    own.write_text(header + f"rina,{desk},327301,\nbudi,DINSOS,327302,\n")
    with pytest.raises(ValueError, match="row 3, organization: 'DINSOS'"):
        reference.worker_areas(own, desk)
    own.write_text(header + "rina,,327301,\n")
    with pytest.raises(ValueError, match="row 2, organization"):
        reference.worker_areas(own)
