"""The agency sources, each as it really exports.

- disdukcapil: the population registry, the cleanest; everyone, current KK.
- dtks: a SIKS-NG export of the old DTKS; an older snapshot, upper case, `;`.
- dtsen: the national single dataset with the welfare decile (desil).
- p3ke: the extreme-poverty list, a CSV with a title row above the header.
- dinkes: the health office's JSON of patients and health-related PPKS.
- disdik: the education office's pupils with school aid (KIP, city scholarship).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from connectors import reference
from simulator import formats
from simulator.noise import NameNoise
from simulator.observe import SourceNoise, observe
from simulator.population import CHILD, HEAD, SPOUSE, Population
from simulator.profile import PROFILES, Profile
from simulator.spec import Emission, SourceSpec


def ppks_names(codes: pd.Series, upper: bool) -> pd.Series:
    out = codes
    for r in reference.ppks():
        out = out.str.replace(r.code, r.name.upper() if upper else r.name, regex=False)
    return out


def ppks_value_map(upper: bool) -> dict[str, str]:
    return {(r.name.upper() if upper else r.name): r.code for r in reference.ppks()}


def _ids(prefix: str, n: int, width: int) -> pd.Series:
    return prefix + pd.Series(np.arange(1, n + 1)).astype("str").str.zfill(width)


def _emit(spec: SourceSpec, frame: pd.DataFrame, ids: pd.Series, v: pd.DataFrame) -> Emission:
    return Emission(spec, frame, ids, v["person"], v["household"])


_STANDARD = PROFILES["standard"]


def disdukcapil(
    pop: Population, rng: np.random.Generator, profile: Profile = _STANDARD
) -> Emission:
    """The registry is the reference: a profile renames its headers, adds no errors."""
    p = pop.people
    rows = np.flatnonzero(rng.random(len(p)) < 0.985)
    v = observe(pop, rows, np.zeros(len(rows), bool), rng, SourceNoise(
        name=NameNoise(typo=0.004), nik_typo=0.0, phone_missing=1.0,
    ))  # fmt: skip
    ids = _ids("PDDK", len(v), 10)
    f = pd.DataFrame({
        "ID_PDDK": ids,
        "NIK": v["nik"],
        "NO_KK": v["no_kk"],
        "NAMA_LGKP": v["full_name"].str.upper(),
        "TMPT_LHR": v["birth_place"].str.upper(),
        "TGL_LHR": formats.dates(v["birth_date"], "%Y-%m-%d"),
        "JENIS_KLMN": formats.sex(v["sex"], "digit"),
        "STAT_HBKEL": v["relationship"].map(_REGISTRY_REL),
        "ALAMAT": (v["street"] + " NO. " + v["house_number"].astype("str")).str.upper(),
        "NO_RT": formats.padded(v["rt"], 3),
        "NO_RW": formats.padded(v["rw"], 3),
        "KEL_NAME": v["kelurahan"].str.upper(),
        "KEC_NAME": v["kecamatan"].str.upper(),
        "KAB_NAME": "KOTA BANDUNG",
    })  # fmt: skip
    spec = SourceSpec(
        id="disdukcapil",
        kind="csv",
        organization="ORG-DISDUKCAPIL",
        organization_name="Dinas Kependudukan dan Pencatatan Sipil Kota Bandung",
        organization_type="agency",
        delimiter=",",
        date_formats=["%Y-%m-%d"],
        columns={
            "ID_PDDK": "source_record_id", "NIK": "nik", "NO_KK": "no_kk",
            "NAMA_LGKP": "full_name", "TMPT_LHR": "birth_place",
            "TGL_LHR": "birth_date", "JENIS_KLMN": "sex", "STAT_HBKEL": "relationship",
            "ALAMAT": "address", "NO_RT": "rt", "NO_RW": "rw", "KEL_NAME": "kelurahan",
            "KEC_NAME": "kecamatan", "KAB_NAME": "city",
        },
        values={"sex": formats.sex_value_map("digit"), "relationship": _inverse(_REGISTRY_REL)},
    )  # fmt: skip
    return _emit(spec, f, ids, v)


_REGISTRY_REL = {
    "KEPALA": "KEPALA KELUARGA",
    "ISTRI": "ISTRI",
    "SUAMI": "SUAMI",
    "ANAK": "ANAK",
    "ORANG TUA": "ORANG TUA",
}
_DTKS_REL = {
    "KEPALA": "KEPALA RUMAH TANGGA",
    "ISTRI": "ISTRI/SUAMI",
    "SUAMI": "ISTRI/SUAMI",
    "ANAK": "ANAK",
    "ORANG TUA": "ORANG TUA/MERTUA",
}
_DTSEN_REL = {"KEPALA": "1", "ISTRI": "2", "SUAMI": "2", "ANAK": "3", "ORANG TUA": "5"}


def _inverse(m: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in m.items():
        out.setdefault(v, k)
    return out


def _poor(
    pop: Population, rng: np.random.Generator, share: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Households taken into a targeted register, chosen by decile."""
    p = pop.people
    hh_decile = p.groupby("household")["decile"].first().reindex(range(pop.households))
    chosen = rng.random(pop.households) < share(hh_decile.fillna(10).to_numpy())
    return chosen


def dtks(pop: Population, rng: np.random.Generator, profile: Profile = _STANDARD) -> Emission:
    p = pop.people
    chosen = _poor(pop, rng, lambda d: np.select([d <= 4, d <= 6], [0.78, 0.15], 0.0))
    # an old snapshot: split children sit in their parents' household
    in_old = p["old_seen"].to_numpy() & chosen[p["household"].to_numpy()]
    rows = np.flatnonzero(in_old)
    v = observe(pop, rows, np.ones(len(rows), bool), rng, profile.widen(SourceNoise(
        name=NameNoise(muhammad=0.4, old_spelling=0.06, title=0.06, typo=0.05, nickname=0.03,
                       p_for_f=0.03, mononym=0.04, patronym=0.02),
        nik_typo=0.03, head_nik=0.06, kk_missing=0.03, swap_day_month=0.03, default_date=0.05,
        year_slip=0.02, date_typo=0.02, birth_missing=0.01, address_missing=0.03,
        unmatched=0.17,
    )))  # fmt: skip
    ids = _ids("ART", len(v), 9)
    f = pd.DataFrame({
        "IDARTBDT": ids,
        "NIK": v["nik"],
        "NOKK": v["no_kk"],
        "NAMA": v["full_name"].str.upper(),
        "JNS_KEL": formats.sex(v["sex"], "LONG"),
        "TMP_LAHIR": v["birth_place"].str.upper(),
        "TGL_LAHIR": formats.dates(v["birth_date"], "%d-%m-%Y"),
        "HUB_RT": v["relationship"].map(_DTKS_REL),
        "ALAMAT": (v["street"] + " NO " + v["house_number"].astype("str")).str.upper(),
        "RT": v["rt"].astype("str"),
        "RW": v["rw"].astype("str"),
        "KELURAHAN": v["kelurahan"].str.upper(),
        "KECAMATAN": v["kecamatan"].str.upper(),
        "PPKS": ppks_names(v["ppks"], upper=True),
        "KET_PADAN": np.where(v["nik"].str.len() == 16, "PADAN DUKCAPIL", "BELUM PADAN"),
    })  # fmt: skip
    spec = SourceSpec(
        id="dtks",
        kind="csv",
        organization="ORG-DINSOS",
        organization_name="Dinas Sosial Kota Bandung (SIKS-NG, DTKS)",
        organization_type="dinsos",
        delimiter=";",
        date_formats=["%d-%m-%Y"],
        columns={
            "IDARTBDT": "source_record_id", "NIK": "nik", "NOKK": "no_kk", "NAMA": "full_name",
            "JNS_KEL": "sex", "TMP_LAHIR": "birth_place", "TGL_LAHIR": "birth_date",
            "HUB_RT": "relationship", "ALAMAT": "address", "RT": "rt", "RW": "rw",
            "KELURAHAN": "kelurahan", "KECAMATAN": "kecamatan", "PPKS": "ppks",
        },
        values={
            "sex": formats.sex_value_map("LONG"),
            "relationship": _inverse(_DTKS_REL),
            "ppks": ppks_value_map(upper=True),
        },
    )  # fmt: skip
    return _emit(spec, f, ids, v)


def dtsen(pop: Population, rng: np.random.Generator, profile: Profile = _STANDARD) -> Emission:
    p = pop.people
    chosen = _poor(pop, rng, lambda d: np.where(d <= 5, 0.92, 0.04))
    rows = np.flatnonzero(chosen[p["household"].to_numpy()])
    v = observe(pop, rows, np.zeros(len(rows), bool), rng, profile.widen(SourceNoise(
        name=NameNoise(muhammad=0.15, typo=0.02, nickname=0.005, title=0.01, mononym=0.01),
        nik_missing=0.01, nik_typo=0.01, head_nik=0.02, swap_day_month=0.005,
        default_date=0.01, unmatched=0.06,
    )))  # fmt: skip
    ids = _ids("DTSEN-", len(v), 9)
    kk_ids = v["no_kk"].fillna("")
    f = pd.DataFrame({
        "ID_INDIVIDU": ids,
        "ID_KELUARGA": "KLG-" + kk_ids.str.slice(6),
        "NIK": v["nik"],
        "NO_KK": v["no_kk"],
        "NAMA_LENGKAP": v["full_name"].str.upper(),
        "JENIS_KELAMIN": formats.sex(v["sex"], "long"),
        "TANGGAL_LAHIR": formats.dates(v["birth_date"], "%Y-%m-%d"),
        "HUB_KK": v["relationship"].map(_DTSEN_REL),
        "ALAMAT": v["street"] + " No. " + v["house_number"].astype("str"),
        "RT": formats.padded(v["rt"], 3),
        "RW": formats.padded(v["rw"], 3),
        "DESA_KELURAHAN": v["kelurahan"],
        "KECAMATAN": v["kecamatan"],
        "KABUPATEN_KOTA": "Kota Bandung",
        "DESIL": v["decile"],
        "NO_HP": v["phone"],
    })  # fmt: skip
    spec = SourceSpec(
        id="dtsen",
        kind="csv",
        organization="ORG-BPS-DTSEN",
        organization_name="BPS / Kemensos: Data Tunggal Sosial dan Ekonomi Nasional",
        organization_type="agency",
        delimiter=",",
        date_formats=["%Y-%m-%d"],
        columns={
            "ID_INDIVIDU": "source_record_id", "NIK": "nik", "NO_KK": "no_kk",
            "NAMA_LENGKAP": "full_name", "JENIS_KELAMIN": "sex", "TANGGAL_LAHIR": "birth_date",
            "HUB_KK": "relationship", "ALAMAT": "address", "RT": "rt", "RW": "rw",
            "DESA_KELURAHAN": "kelurahan", "KECAMATAN": "kecamatan", "KABUPATEN_KOTA": "city",
            "DESIL": "welfare_decile", "NO_HP": "phone",
        },
        values={
            "sex": formats.sex_value_map("long"),
            "relationship": {"1": "KEPALA", "2": "PASANGAN", "3": "ANAK", "5": "ORANG TUA"},
        },
    )  # fmt: skip
    return _emit(spec, f, ids, v)


def p3ke(pop: Population, rng: np.random.Generator, profile: Profile = _STANDARD) -> Emission:
    p = pop.people
    chosen = _poor(pop, rng, lambda d: np.where(d <= 2, 0.85, np.where(d == 3, 0.1, 0.0)))
    rows = np.flatnonzero(chosen[p["household"].to_numpy()])
    old = rng.random(len(rows)) < 0.5
    v = observe(pop, rows, old, rng, profile.widen(SourceNoise(
        name=NameNoise(muhammad=0.25, old_spelling=0.02, title=0.04, typo=0.03, nickname=0.02,
                       p_for_f=0.01, mononym=0.02),
        nik_missing=0.02, nik_typo=0.02, head_nik=0.05, swap_day_month=0.02,
        default_date=0.015, date_typo=0.01, address_missing=0.02, unmatched=0.12,
    )))  # fmt: skip
    ids = _ids("P3KE", len(v), 9)
    f = pd.DataFrame({
        "ID Anggota": ids,
        "NIK": v["nik"],
        "No KK": v["no_kk"],
        "Nama": v["full_name"],
        "Jenis Kelamin": formats.sex(v["sex"], "LP"),
        "Tanggal Lahir": formats.dates(v["birth_date"], "%d/%m/%Y"),
        "Hubungan dengan KK": v["relationship"].str.title(),
        "Alamat": formats.free_address(v, "", rng),
        "Kelurahan": v["kelurahan"],
        "Kecamatan": v["kecamatan"],
        "Desil": "Desil " + v["decile"].astype("str"),
    })  # fmt: skip
    desil = {f"Desil {i}": str(i) for i in range(1, 11)}
    spec = SourceSpec(
        id="p3ke",
        kind="csv",
        organization="ORG-P3KE",
        organization_name="Sekretariat P3KE Kota Bandung (Kemenko PMK)",
        organization_type="agency",
        delimiter=",",
        header_row=2,
        title="DATA PENSASARAN PERCEPATAN PENGHAPUSAN KEMISKINAN EKSTREM (P3KE) KOTA BANDUNG",
        date_formats=["%d/%m/%Y"],
        columns={
            "ID Anggota": "source_record_id", "NIK": "nik", "No KK": "no_kk", "Nama": "full_name",
            "Jenis Kelamin": "sex", "Tanggal Lahir": "birth_date",
            "Hubungan dengan KK": "relationship", "Alamat": "address", "Kelurahan": "kelurahan",
            "Kecamatan": "kecamatan", "Desil": "welfare_decile",
        },
        values={
            "sex": formats.sex_value_map("LP"),
            "relationship": {"Kepala": "KEPALA", "Istri": "ISTRI", "Suami": "SUAMI",
                             "Anak": "ANAK", "Orang Tua": "ORANG TUA"},
            "welfare_decile": desil,
        },
    )  # fmt: skip
    return _emit(spec, f, ids, v)


_HEALTH_PPKS = ("PPKS05", "PPKS09", "PPKS16", "PPKS17")


def dinkes(pop: Population, rng: np.random.Generator, profile: Profile = _STANDARD) -> Emission:
    p = pop.people
    codes = p["ppks"].fillna("")
    health = np.zeros(len(p), bool)
    for code in _HEALTH_PPKS:
        health |= codes.str.contains(code, regex=False).to_numpy()
    take = (
        (health & (rng.random(len(p)) < 0.9))
        | ((p["age"].to_numpy() >= 60) & (rng.random(len(p)) < 0.35))
        | ((p["decile"].to_numpy() <= 4) & (rng.random(len(p)) < 0.15))
    )
    rows = np.flatnonzero(take)
    v = observe(pop, rows, np.zeros(len(rows), bool), rng, profile.widen(SourceNoise(
        name=NameNoise(muhammad=0.4, old_spelling=0.04, title=0.06, typo=0.05, nickname=0.05,
                       p_for_f=0.03, mononym=0.06, drop_first=0.02, call_name=0.01),
        nik_missing=0.05, nik_typo=0.03, head_nik=0.04, kk_missing=0.6, swap_day_month=0.03,
        default_date=0.03, year_slip=0.02, date_typo=0.02, phone_missing=0.2, unmatched=0.2,
    )))  # fmt: skip
    kept = v["ppks"].fillna("")
    health_codes = pd.Series("", index=v.index, dtype="str")
    for code in _HEALTH_PPKS:
        has = kept.str.contains(code, regex=False)
        health_codes = health_codes.where(~has, health_codes + ";" + code)
    health_codes = health_codes.str.lstrip(";").replace("", None)
    ids = _ids("RM-", len(v), 8)
    decile = v["decile"].to_numpy()
    pbi = pd.Series(np.select([decile <= 4, decile <= 6], ["PBI-JK", "PBI-DAERAH"], ""))
    pbi = pbi.replace("", None)
    date = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 180, len(v)), unit="D")
    visit = formats.dates(pd.Series(date), "%Y-%m-%d")
    f = pd.DataFrame({
        "id_pasien": ids,
        "nik": v["nik"],
        "no_kk": v["no_kk"],
        "nama": v["full_name"],
        "jk": formats.sex(v["sex"], "LP"),
        "tgl_lahir": formats.dates(v["birth_date"], "%d-%m-%Y"),
        "alamat": formats.free_address(v, "", rng),
        "kelurahan": v["kelurahan"],
        "no_hp": v["phone"],
        "kategori_ppks": health_codes,
        "jaminan": pbi,
        "tgl_kunjungan": visit.where(pbi.notna().to_numpy(), None),
    })  # fmt: skip
    spec = SourceSpec(
        id="dinkes",
        kind="json",
        organization="ORG-DINKES",
        organization_name="Dinas Kesehatan Kota Bandung",
        organization_type="agency",
        date_formats=["%d-%m-%Y", "%Y-%m-%d"],
        columns={
            "id_pasien": "source_record_id", "nik": "nik", "no_kk": "no_kk", "nama": "full_name",
            "jk": "sex", "tgl_lahir": "birth_date", "alamat": "address",
            "kelurahan": "kelurahan", "no_hp": "phone", "kategori_ppks": "ppks",
        },
        values={"sex": formats.sex_value_map("LP")},
        services={"program": "jaminan", "service_date": "tgl_kunjungan"},
    )  # fmt: skip
    return _emit(spec, f, ids, v)


def disdik(pop: Population, rng: np.random.Generator, profile: Profile = _STANDARD) -> Emission:
    p = pop.people
    age, dec = p["age"].to_numpy(), p["decile"].to_numpy()
    take = (p["role"].to_numpy() == CHILD) & (age >= 6) & (age <= 18) & (dec <= 5)
    rows = np.flatnonzero(take & (rng.random(len(p)) < 0.7))
    v = observe(pop, rows, np.zeros(len(rows), bool), rng, profile.widen(SourceNoise(
        name=NameNoise(muhammad=0.4, typo=0.04, nickname=0.02, p_for_f=0.02, mononym=0.02,
                       call_name=0.01),
        nik_missing=0.03, nik_typo=0.02, head_nik=0.03, kk_missing=0.3, swap_day_month=0.02,
        date_typo=0.01, unmatched=0.15,
        phone_missing=1.0,
    )))  # fmt: skip
    heads = p.loc[p["role"].isin([HEAD, SPOUSE])]
    mother = heads.loc[heads["female"]].groupby("household")["full_name"].first()
    ids = "00" + pd.Series(80_000_000 + np.arange(len(v)) * 7).astype("str")
    city = v["decile"].to_numpy() > 3
    level = np.select([v["age"] < 13, v["age"] < 16], [450_000, 750_000], 1_000_000)
    date = pd.Timestamp("2024-07-15") + pd.to_timedelta(rng.integers(0, 300, len(v)), unit="D")
    f = pd.DataFrame({
        "NISN": ids,
        "NIK Siswa": v["nik"],
        "No KK": v["no_kk"],
        "Nama Siswa": v["full_name"],
        "L/P": formats.sex(v["sex"], "LP"),
        "Tempat Lahir": v["birth_place"],
        "Tanggal Lahir": formats.dates(v["birth_date"], formats.INDONESIAN_LONG),
        "Nama Ibu Kandung": mother.reindex(v["household"]).to_numpy(),
        "Alamat": formats.free_address(v, "", rng),
        "Kelurahan": v["kelurahan"],
        "Jenis Bantuan": np.where(city, "Beasiswa Kota", "PIP/KIP"),
        "Tanggal Cair": formats.dates(pd.Series(date), "%d-%m-%Y"),
        "Nominal": np.where(city, 1_200_000, level),
        "Sumber Dana": np.where(city, "APBD Kota", "APBN"),
    })  # fmt: skip
    spec = SourceSpec(
        id="disdik",
        kind="csv",
        organization="ORG-DISDIK",
        organization_name="Dinas Pendidikan Kota Bandung",
        organization_type="agency",
        delimiter=",",
        date_formats=[formats.INDONESIAN_LONG, "%d-%m-%Y"],
        columns={
            "NISN": "source_record_id", "NIK Siswa": "nik", "No KK": "no_kk",
            "Nama Siswa": "full_name", "L/P": "sex", "Tempat Lahir": "birth_place",
            "Tanggal Lahir": "birth_date", "Alamat": "address", "Kelurahan": "kelurahan",
        },
        values={
            "sex": formats.sex_value_map("LP"),
            "program": {"PIP/KIP": "KIP", "Beasiswa Kota": "BEASISWA-KOTA"},
            "funder": {"APBN": "APBN", "APBD Kota": "APBD_KOTA"},
        },
        services={"program": "Jenis Bantuan", "service_date": "Tanggal Cair",
                  "amount": "Nominal", "funder": "Sumber Dana"},
    )  # fmt: skip
    return _emit(spec, f, ids, v)


AGENCY_SOURCES: tuple[Callable[[Population, np.random.Generator, Profile], Emission], ...] = (
    disdukcapil,
    dtks,
    dtsen,
    p3ke,
    dinkes,
    disdik,
)
