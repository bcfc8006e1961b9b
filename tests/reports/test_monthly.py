"""`hub report monthly` through the CLI on a synthetic city whose history
spans two months: last month's ingest and link, then this month's changes
(a death, a move out of Bandung, a correction, a withdrawn row, a new person,
and a duplicate merged by a reviewer's decision)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hubcli import hub, hub_env, linked_city

from reports.queries import Period
from reports.targeting import TOP
from reports.workbook import ALL_SHEETS

#: the report month today falls in (by the default cut-off day, the 17th)
PERIOD = Period.containing(dt.date.today())
MONTH = PERIOD.label
START = PERIOD.start


@dataclass
class City:
    home: Path
    env: dict[str, str]
    changed: dict[str, str]  # role in the story -> disdukcapil ID_PDDK


def _rewrite_disdukcapil(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    bandung = [r for r in rows if r["KAB_NAME"].upper() == "KOTA BANDUNG"]
    dead, moved, corrected, withdrawn = bandung[3], bandung[10], bandung[20], bandung[30]
    dead["STAT_HBKEL"] = "MENINGGAL"
    moved["KAB_NAME"] = "KABUPATEN GARUT"
    corrected["ALAMAT"] = corrected["ALAMAT"] + " BLOK C"
    rows.remove(withdrawn)
    new = dict(corrected)
    new.update(
        {
            "ID_PDDK": "PDDK9999999999",
            "NIK": "3273015505990001",
            "NAMA_LGKP": "SITI BARU",
            "TGL_LHR": "1999-05-15",
            "JENIS_KLMN": "2",
            "STAT_HBKEL": "ANAK",
        }
    )
    rows.append(new)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return {
        "dead": dead["ID_PDDK"],
        "moved": moved["ID_PDDK"],
        "corrected": corrected["ID_PDDK"],
        "withdrawn": withdrawn["ID_PDDK"],
        "new": new["ID_PDDK"],
    }


def _last_month(home: Path) -> None:
    """Move the first run's history one month back, as if it happened then."""
    con = duckdb.connect(str(home / "hub.duckdb"))
    con.execute("UPDATE records SET valid_from = valid_from - INTERVAL 40 DAY")
    con.execute('UPDATE identity_events SET "at" = "at" - INTERVAL 40 DAY')
    con.close()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    env, src = linked_city(tmp_path_factory, "report", households=150, seed=7, foundations=3)
    home = Path(env["HUB_HOME"])
    _last_month(home)
    changed = _rewrite_disdukcapil(src / "sources" / "disdukcapil.csv")
    hub(env, "ingest", "--config", str(src / "config"), "--source", "disdukcapil")
    con = duckdb.connect(str(home / "hub.duckdb"))
    pair = con.execute(
        """SELECT q.pair_id FROM review_queue q
           JOIN identity_map a ON a.record_key = q.record_key_l
           JOIN identity_map b ON b.record_key = q.record_key_r
           WHERE q.status = 'open' AND a.person_id <> b.person_id
             AND a.record_key IN (SELECT record_key FROM current_records)
             AND b.record_key IN (SELECT record_key FROM current_records)
           ORDER BY q.match_probability DESC LIMIT 1"""
    ).fetchone()
    con.close()
    assert pair is not None, "the synthetic city has no open review pair to decide"
    hub(env, "review", "decide", pair[0], "same")
    hub(env, "link")
    return City(home, env, changed)


@pytest.fixture(scope="module")
def report(city: City, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("report-out")
    hub(
        city.env,
        "report",
        "monthly",
        "--month",
        MONTH,
        "--out",
        str(out / "r.xlsx"),
        "--csv",
        str(out / "csv"),
    )
    return out / "r.xlsx", out / "csv"


def _sheet(path: Path, name: str) -> list[dict[str, object]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    wb.close()
    header = [str(h) for h in rows[0]]
    pad = len(header)  # empty trailing cells are not stored
    return [dict(zip(header, (*r, *[None] * (pad - len(r))), strict=True)) for r in rows[1:]]


def _person_of(city: City, source_record_id: str) -> str:
    con = duckdb.connect(str(city.home / "hub.duckdb"), read_only=True)
    row = con.execute(
        "SELECT person_id FROM identity_map WHERE record_key = ?",
        [f"disdukcapil:{source_record_id}"],
    ).fetchone()
    con.close()
    assert row is not None
    return str(row[0])


@pytest.mark.slow
def test_workbook_has_every_sheet_with_its_header(report: tuple[Path, Path]) -> None:
    wb = openpyxl.load_workbook(report[0], read_only=True)
    assert wb.sheetnames == ["Ringkasan", *(s.name for s in ALL_SHEETS)]
    for spec in ALL_SHEETS:
        header = next(wb[spec.name].iter_rows(max_row=1, values_only=True))
        assert tuple(header) == spec.columns, spec.name
    wb.close()
    with zipfile.ZipFile(report[0]) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 3  # coverage bar, funding pie, monthly trend line


@pytest.mark.slow
def test_usulan_baru_is_the_persons_first_seen_this_month(
    city: City, report: tuple[Path, Path]
) -> None:
    rows = _sheet(report[0], "Usulan Baru")
    con = duckdb.connect(str(city.home / "hub.duckdb"), read_only=True)
    expected = {
        r[0]
        for r in con.execute(
            """SELECT i.person_id FROM identity_map i JOIN records r USING (record_key)
           GROUP BY 1 HAVING min(r.valid_from) >= ?""",
            [START],
        ).fetchall()
    }
    con.close()
    assert {r["ID_INDIVIDU"] for r in rows} == expected
    new = next(r for r in rows if r["NIK"] == "3273015505990001")
    assert new["NAMA"] == "SITI BARU"
    assert new["KAB_KOTA"] == "KOTA BANDUNG" and new["KECAMATAN"]


@pytest.mark.slow
def test_penonaktifan_gives_a_reason_for_each_person(city: City, report: tuple[Path, Path]) -> None:
    rows = _sheet(report[0], "Penonaktifan")
    reason = {r["ID_INDIVIDU"]: r["ALASAN"] for r in rows}
    assert reason[_person_of(city, city.changed["dead"])] == "meninggal"
    assert reason[_person_of(city, city.changed["moved"])] == "pindah"
    duplicates = [r for r in rows if r["ALASAN"] == "duplikat"]
    assert duplicates and all(r["ID_PENGGANTI"] for r in duplicates)
    withdrawn = [r for r in rows if city.changed["withdrawn"] in str(r["KETERANGAN"])]
    assert withdrawn and withdrawn[0]["ALASAN"] == "meninggal"
    con = duckdb.connect(str(city.home / "hub.duckdb"), read_only=True)
    merged = con.execute(
        """SELECT count(*) FROM (SELECT unnest(ids) AS id, survivor_id FROM identity_events
           WHERE kind = 'merge' AND entity = 'person' AND "at" >= ?) WHERE id <> survivor_id""",
        [START],
    ).fetchone()
    con.close()
    assert merged is not None and len(duplicates) == merged[0]


@pytest.mark.slow
def test_perbaikan_names_the_changed_fields_and_merges(
    city: City, report: tuple[Path, Path]
) -> None:
    rows = {r["ID_INDIVIDU"]: r for r in _sheet(report[0], "Perbaikan")}
    corrected = rows[_person_of(city, city.changed["corrected"])]
    assert "perubahan data" in str(corrected["JENIS_PERBAIKAN"])
    assert "address" in str(corrected["KETERANGAN"])
    assert any("penggabungan ID" in str(r["JENIS_PERBAIKAN"]) for r in rows.values())
    # a deactivated person is not also a correction
    assert _person_of(city, city.changed["dead"]) not in rows


@pytest.mark.slow
def test_summaries_add_up(city: City, report: tuple[Path, Path]) -> None:
    con = duckdb.connect(str(city.home / "hub.duckdb"), read_only=True)
    # the poverty figures count the persons still active: not the one who died, not the
    # one who moved out of Bandung (the story's), and the households with one left
    persons, households = con.execute(
        """WITH gone AS (
               SELECT i.person_id FROM identity_map i JOIN current_records r USING (record_key)
               WHERE r.source = 'disdukcapil' AND r.source_record_id IN ($dead, $moved))
           SELECT count(DISTINCT person_id), count(DISTINCT household_id) FROM identity_map
           WHERE person_id NOT IN (SELECT person_id FROM gone)""",
        {"dead": city.changed["dead"], "moved": city.changed["moved"]},
    ).fetchone() or (0, 0)
    services = con.execute("SELECT count(*) FROM current_services").fetchone()
    con.close()
    target = _sheet(report[0], "Target Kemiskinan")
    city_row = target[-1]
    assert city_row["KECAMATAN"] == "KOTA BANDUNG"
    assert city_row["ORANG_TERDAFTAR"] == persons
    assert city_row["KELUARGA_TERDAFTAR"] == households
    assert sum(int(str(r["KELUARGA_TERDAFTAR"])) for r in target[:-1]) == households
    by_program = _sheet(report[0], "Layanan per Program")
    assert services is not None
    assert sum(int(str(r["LAYANAN_KUMULATIF"])) for r in by_program) == services[0]
    by_funder = _sheet(report[0], "Layanan per Penyandang Dana")
    assert sum(int(str(r["LAYANAN_KUMULATIF"])) for r in by_funder) == services[0]
    shares = sum(float(str(r["PANGSA_NILAI"] or 0)) for r in by_funder)
    assert shares == pytest.approx(1.0, abs=0.01)
    coverage = _sheet(report[0], "Cakupan per Kecamatan")
    gaps = _sheet(report[0], "Celah Cakupan")
    assert sum(int(str(r["KELUARGA_CELAH"])) for r in coverage) == len(gaps)
    trend = _sheet(report[0], "Tren Bulanan")
    assert len(trend) == 24 and trend[-1]["BULAN"] == MONTH


@pytest.mark.slow
def test_findings_sheets_count_and_list_the_same_findings(report: tuple[Path, Path]) -> None:
    every = _sheet(report[0], "Temuan per Kecamatan")
    assert {str(r["JENIS"]) for r in every} <= {"EXCLUSION", "INCLUSION", "DUPLICATION"}
    counts = [r for r in every if r["JENIS"] != "DUPLICATION"]
    top = _sheet(report[0], "Temuan Teratas")
    total = sum(int(str(r["KELUARGA"])) for r in counts)
    assert total > 0 and len(top) == min(total, TOP)
    # each duplicated-aid household listed is counted under each of its programs
    duplicated = _sheet(report[0], "Bantuan Ganda")
    dup_counts = {
        (r["KODE_KECAMATAN"], r["PROGRAM"]): int(str(r["KELUARGA"]))
        for r in every
        if r["JENIS"] == "DUPLICATION"
    }
    for r in duplicated:
        for program in str(r["PROGRAM"]).split(", "):
            assert dup_counts[(r["KODE_KECAMATAN"] or "-", program)] >= 1
    listed = Counter((r["KODE_KECAMATAN"], r["JENIS"], r["PROGRAM"]) for r in top)
    counted = {(r["KODE_KECAMATAN"], r["JENIS"], r["PROGRAM"]): r["KELUARGA"] for r in counts}
    assert all(n <= int(str(counted[key])) for key, n in listed.items())
    # inclusion errors come first, each with the program's services as evidence
    kinds = [r["JENIS"] for r in top]
    assert kinds == sorted(kinds, key=lambda k: k != "INCLUSION")
    for r in top:
        if r["JENIS"] == "INCLUSION" and r["LAYANAN"]:
            assert str(r["PROGRAM"]) in str(r["LAYANAN"])
        assert r["SYARAT"]


@pytest.mark.slow
def test_csv_option_writes_one_file_per_sheet(report: tuple[Path, Path]) -> None:
    xlsx, folder = report
    names = sorted(p.name for p in folder.glob("*.csv"))
    assert len(names) == len(ALL_SHEETS) + 1
    with (folder / "usulan-baru.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert len(rows) - 1 == len(_sheet(xlsx, "Usulan Baru"))


@pytest.mark.slow
def test_libreoffice_opens_the_workbook(report: tuple[Path, Path], tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.fail(
            "libreoffice is not installed: scripts/test.sh installs it "
            "(apt-get install libreoffice-calc)"
        )
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    for target in ("pdf", "csv"):
        result = subprocess.run(
            [
                office,
                "--headless",
                profile,
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path),
                str(report[0]),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        out = tmp_path / f"r.{target}"
        assert out.exists() and out.stat().st_size > 0, result.stdout + result.stderr


def test_bad_month_is_one_clear_line(tmp_path: Path) -> None:
    result = hub(
        hub_env(tmp_path),
        "report",
        "monthly",
        "--month",
        "2026/11",
        "--out",
        str(tmp_path / "r.xlsx"),
        code=1,
    )
    assert result.stderr.strip().splitlines() == [
        "hub: error: --month '2026/11': write the month as YYYY-MM, e.g. 2026-11."
    ]


def test_report_before_linking_says_what_to_run(tmp_path: Path) -> None:
    result = hub(
        hub_env(tmp_path),
        "report",
        "monthly",
        "--month",
        "2026-11",
        "--out",
        str(tmp_path / "r.xlsx"),
        code=1,
    )
    assert "run `hub ingest` and `hub link` first" in result.stderr
