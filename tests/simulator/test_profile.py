"""Error profiles: the standard city is unchanged, a wider profile widens it."""

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from simulator import PROFILES, ProfileError, generate_city, load_profile

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "bench" / "heldout-profile.toml"


def _files(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_the_standard_profile_writes_the_city_it_always_did(tmp_path: Path) -> None:
    generate_city(60, 5, tmp_path / "default", foundations=6)
    generate_city(60, 5, tmp_path / "standard", foundations=6, profile=load_profile("standard"))
    assert _files(tmp_path / "default") == _files(tmp_path / "standard")


@pytest.fixture(scope="module")
def heldout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("heldout")
    profile = load_profile(HELDOUT)
    assert profile.seed is not None
    generate_city(400, profile.seed, out, foundations=40, profile=profile)
    return out


def test_the_heldout_profile_renames_headers_in_files_and_configs(heldout: Path) -> None:
    dtks = pd.read_csv(heldout / "sources" / "dtks.csv", sep=";", dtype=str, nrows=5)
    assert {"NAMA_ART", "NO_KK", "TANGGAL_LAHIR", "HUBUNGAN_KRT"} <= set(dtks.columns)
    assert "NAMA" not in dtks.columns
    config = tomllib.loads((heldout / "config" / "dtks.toml").read_text(encoding="utf-8"))
    assert config["columns"]["NAMA_ART"] == "full_name"
    assert config["columns"]["NO_KK"] == "no_kk"
    foundation = tomllib.loads((heldout / "config" / "yayasan-001.toml").read_text("utf-8"))
    assert all(h == h.upper() for h in foundation["columns"])


def test_bare_foundations_know_only_a_name_an_address_and_a_phone(heldout: Path) -> None:
    bare = {"source_record_id", "full_name", "address", "phone"}
    people = [
        set(tomllib.loads(path.read_text("utf-8"))["columns"].values())
        for path in sorted((heldout / "config").glob("yayasan-*.toml"))
    ]
    assert sum(fields == bare for fields in people) >= 5
    standard = [fields == bare for fields in people if "nik" in fields]
    assert not any(standard)


def test_family_members_lose_the_kk_while_the_head_keeps_it(heldout: Path) -> None:
    dtks = pd.read_csv(heldout / "sources" / "dtks.csv", sep=";", dtype=str)
    truth = pd.read_csv(heldout / "truth.csv", dtype=str)
    rows = dtks.merge(
        truth[truth["source"] == "dtks"], left_on="IDARTBDT", right_on="source_record_id"
    )
    per_family = rows.groupby("household_truth_id")["NO_KK"].agg(["count", "size"])
    partly = per_family[(per_family["count"] > 0) & (per_family["count"] < per_family["size"])]
    assert len(partly) > 0


def test_bad_profiles_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no profile 'nope'"):
        load_profile("nope")
    bad = tmp_path / "bad.toml"
    bad.write_text("kk_missing = 1.5\n")
    with pytest.raises(ProfileError, match="kk_missing must be between 0 and 1"):
        load_profile(bad)
    bad.write_text("kk_mising = 0.1\n")
    with pytest.raises(ProfileError, match="unknown profile keys"):
        load_profile(bad)
    bad.write_text("[headers.dtks]\nNOPE = 'X'\n")
    with pytest.raises(ProfileError, match="does not have"):
        generate_city(30, 1, tmp_path / "city", foundations=0, profile=load_profile(bad))


def test_the_heldout_profile_is_not_the_tuning_profile() -> None:
    heldout = load_profile(HELDOUT)
    assert heldout.name == "heldout" and heldout != PROFILES["wide"]
    assert heldout.seed is not None and heldout.headers
