import csv
import hashlib
import json
import tomllib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from connectors import reference
from connectors.canonical import PERSON_FIELDS, SERVICE_FIELDS
from simulator import GenerateSummary, generate_city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("city")
    return out, generate_city(households=300, seed=11, out=out)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _read(config_path: Path) -> tuple[dict[str, object], pd.DataFrame]:
    config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    path = (config_path.parent / str(config["location"])).resolve()
    skip = int(config.get("header_row", 1)) - 1
    if config["kind"] == "csv":
        frame = pd.read_csv(
            path,
            sep=str(config.get("delimiter", ",")),
            encoding=str(config.get("encoding", "utf-8")),
            skiprows=skip,
            dtype=str,
            keep_default_na=False,
        )
    elif config["kind"] == "xlsx":
        frame = pd.read_excel(path, sheet_name=config.get("sheet", 0), skiprows=skip, dtype=str)
    else:
        frame = pd.DataFrame(json.loads(path.read_text(encoding="utf-8")), dtype=str)
    return config, frame


def test_same_seed_same_bytes_other_seed_other_city(tmp_path: Path) -> None:
    a = generate_city(households=120, seed=5, out=tmp_path / "a", foundations=25)
    generate_city(households=120, seed=5, out=tmp_path / "b", foundations=25)
    generate_city(households=120, seed=6, out=tmp_path / "c", foundations=25)
    assert a.sources == 31
    assert any(p.suffix == ".xlsx" for p in (tmp_path / "a" / "sources").iterdir())
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert _digests(tmp_path / "a")["truth.csv"] != _digests(tmp_path / "c")["truth.csv"]


def test_writes_sources_configs_and_truth(city: tuple[Path, GenerateSummary]) -> None:
    out, summary = city
    assert summary.sources == 306
    assert {"disdukcapil", "dtks", "dtsen", "p3ke", "dinkes", "disdik"} <= set(
        summary.records_by_source
    )
    assert len(list((out / "config").glob("*.toml"))) == 306
    assert len(list((out / "sources").iterdir())) == 306
    assert 3.3 < summary.people / summary.households < 4.3
    with (out / "truth.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["source", "source_record_id", "person_truth_id", "household_truth_id"]
    assert len(rows) == summary.records
    assert len({(r["source"], r["source_record_id"]) for r in rows}) == len(rows)


def test_every_source_row_is_in_truth_and_configs_use_canonical_fields(
    city: tuple[Path, GenerateSummary],
) -> None:
    out, summary = city
    truth = pd.read_csv(out / "truth.csv", dtype=str)
    keys = set(zip(truth["source"], truth["source_record_id"], strict=True))
    for path in sorted((out / "config").glob("*.toml")):
        config, frame = _read(path)
        columns = config["columns"]
        assert isinstance(columns, dict)
        assert set(columns.values()) <= set(PERSON_FIELDS)
        assert set(columns) <= set(frame.columns), path.name
        services = config.get("services", {})
        assert isinstance(services, dict)
        assert set(services) <= set(SERVICE_FIELDS)
        values = config.get("values", {})
        assert isinstance(values, dict)
        assert set(values) <= set(PERSON_FIELDS) | set(SERVICE_FIELDS)
        assert config["organization_type"] in ("agency", "foundation", "dinsos")
        id_column = next(c for c, f in columns.items() if f == "source_record_id")
        assert len(frame) == summary.records_by_source[str(config["id"])]
        rows = {(str(config["id"]), str(v)) for v in frame[id_column]}
        assert rows <= keys, path.name


def test_nik_and_kk_follow_the_rules(city: tuple[Path, GenerateSummary]) -> None:
    out, _ = city
    registry = pd.read_csv(out / "sources" / "disdukcapil.csv", dtype=str)
    regions = {r.code for r in reference.regions()}
    kecamatan = {k.code for k in reference.kecamatan()}
    assert registry["NIK"].str.fullmatch(r"\d{16}").all()
    assert registry["NIK"].str.slice(0, 4).isin(regions).all()
    assert registry["NIK"].str.slice(0, 4).eq("3273").mean() > 0.8
    assert registry["NO_KK"].str.slice(0, 6).isin(kecamatan).all()
    assert registry["NIK"].is_unique
    day = registry["NIK"].str.slice(6, 8).astype(int)
    female = registry["JENIS_KLMN"] == "2"
    assert (day[female] > 40).all() and (day[female] <= 71).all()
    assert (day[~female] >= 1).all() and (day[~female] <= 31).all()
    born = pd.to_datetime(registry["TGL_LHR"])
    same = (day - 40 * female) == born.dt.day
    assert same.mean() > 0.95  # a few NIK dates disagree with corrected birth dates
    assert born.max() <= pd.Timestamp(date(2025, 6, 30))


def test_errors_are_injected(city: tuple[Path, GenerateSummary]) -> None:
    out, _ = city
    truth = pd.read_csv(out / "truth.csv", dtype=str)
    found_names: list[str] = []
    nik_cells = nik_missing = 0
    for path in sorted((out / "config").glob("yayasan-*.toml")):
        config, frame = _read(path)
        columns = config["columns"]
        assert isinstance(columns, dict)
        by_field = {f: c for c, f in columns.items()}
        found_names += frame[by_field["full_name"]].tolist()
        if "nik" in by_field:
            nik_cells += len(frame)
            nik_missing += int((frame[by_field["nik"]].fillna("") == "").sum())
    names = pd.Series(found_names, dtype=str).str.upper()
    variants = names.str.extract(r"^(MU\w*|MO\w*\.?|M\.)\s")[0].dropna().unique()
    assert len(variants) >= 3  # Muhammad written several ways
    assert names.str.contains(r"\bBIN\b|\bBINTI\b").any()
    assert names.str.contains(r"^(?:H|HJ|DRS|IR)\.? |, S\.").any()
    assert 0 < nik_missing < nik_cells
    without_nik = sum(
        "nik" not in tomllib.loads(p.read_text())["columns"].values()
        for p in (out / "config").glob("yayasan-*.toml")
    )
    assert without_nik > 100
    # the same person appears under several spellings somewhere
    dtks = pd.read_csv(out / "sources" / "dtks.csv", sep=";", dtype=str)
    registry = pd.read_csv(out / "sources" / "disdukcapil.csv", dtype=str)
    t = truth.set_index(["source", "source_record_id"])["person_truth_id"]
    dtks["person"] = t.loc[[("dtks", i) for i in dtks["IDARTBDT"]]].to_numpy()
    registry["person"] = t.loc[[("disdukcapil", i) for i in registry["ID_PDDK"]]].to_numpy()
    both = dtks.merge(registry, on="person")
    assert (both["NAMA"] != both["NAMA_LGKP"]).mean() > 0.05
    assert (both["NIK_x"].fillna("") != both["NIK_y"]).mean() > 0.03


def test_foundations_write_xlsx_with_title_rows(city: tuple[Path, GenerateSummary]) -> None:
    out, _ = city
    titled = [
        p
        for p in (out / "config").glob("yayasan-*.toml")
        if tomllib.loads(p.read_text())["kind"] == "xlsx"
        and "header_row" in tomllib.loads(p.read_text())
    ]
    assert titled
    config = tomllib.loads(titled[0].read_text())
    sheet = load_workbook(titled[0].parent / config["location"], read_only=True)[config["sheet"]]
    rows = list(sheet.iter_rows(max_row=2, values_only=True))
    assert str(rows[0][0]).startswith("DATA PENERIMA BANTUAN")
    assert set(config["columns"]) <= {str(c) for c in rows[1] if c is not None}


def test_rejects_an_empty_city(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="households"):
        generate_city(households=0, seed=1, out=tmp_path)
