"""About 300 foundations (yayasan), zakat bodies and CSR programmes.

Each keeps its own small list of the people it helped, one row per aid given,
in its own sheet: its own headers, date and sex styles, often no NIK, a
free-text address, sometimes a title row above the header. Every foundation
works in one to three kecamatan and has a focus (elderly, children, disabled,
the poor). Rows are chosen and damaged for all foundations at once; only the
final formatting runs per foundation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from connectors import reference
from simulator import formats
from simulator.noise import NameNoise
from simulator.observe import SourceNoise, observe
from simulator.population import Population
from simulator.profile import PROFILES, Profile
from simulator.sources import ppks_names, ppks_value_map
from simulator.spec import Emission, SourceSpec

NOISE: Final = SourceNoise(
    name=NameNoise(muhammad=0.6, old_spelling=0.06, title=0.08, patronym=0.03, typo=0.07,
                   nickname=0.2, p_for_f=0.06, mononym=0.2, drop_first=0.05, call_name=0.02),
    nik_missing=0.45, nik_typo=0.05, head_nik=0.06, kk_missing=0.1, swap_day_month=0.06,
    default_date=0.05, year_slip=0.03, date_typo=0.03, birth_missing=0.08, phone_missing=0.15,
    address_missing=0.05, unmatched=0.25,
)  # fmt: skip

# canonical (or service) field -> header, one dict per house style
HEADERS: Final[tuple[dict[str, str], ...]] = (
    {"source_record_id": "No", "full_name": "Nama Lengkap", "nik": "NIK", "no_kk": "No. KK",
     "birth_date": "Tanggal Lahir", "sex": "Jenis Kelamin", "address": "Alamat",
     "phone": "No HP", "ppks": "Kategori", "program": "Jenis Bantuan", "service_date": "Tanggal",
     "amount": "Nominal", "funder": "Sumber Dana", "rt": "RT", "rw": "RW",
     "kelurahan": "Kelurahan"},
    {"source_record_id": "ID", "full_name": "NAMA", "nik": "NIK", "no_kk": "KK",
     "birth_date": "TGL LAHIR", "sex": "L/P", "address": "ALAMAT", "phone": "TELP",
     "ppks": "PPKS", "program": "BANTUAN", "service_date": "TGL SALUR",
     "amount": "JUMLAH (Rp)", "funder": "DANA", "rt": "RT", "rw": "RW", "kelurahan": "KEL"},
    {"source_record_id": "no", "full_name": "nama penerima", "nik": "nik", "no_kk": "nkk",
     "birth_date": "tgl_lahir", "sex": "jk", "address": "alamat_lengkap", "phone": "hp",
     "ppks": "kategori_ppks", "program": "jenis", "service_date": "tanggal", "amount": "nilai",
     "funder": "sumber", "rt": "rt", "rw": "rw", "kelurahan": "kelurahan"},
    {"source_record_id": "Kode Penerima", "full_name": "Nama Penerima Manfaat",
     "nik": "Nomor Induk Kependudukan", "no_kk": "Nomor KK", "birth_date": "Tanggal Lahir",
     "sex": "Jenis Kelamin", "address": "Alamat Rumah", "phone": "No. WhatsApp",
     "ppks": "Masalah Sosial", "program": "Bantuan", "service_date": "Tgl Penyerahan",
     "amount": "Besaran", "funder": "Donatur", "rt": "RT", "rw": "RW",
     "kelurahan": "Desa/Kelurahan"},
)  # fmt: skip

DATE_FORMATS: Final[tuple[str, ...]] = (
    "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", formats.INDONESIAN_LONG,
)  # fmt: skip

WORDS: Final[tuple[str, ...]] = (
    "Peduli", "Al-Ikhlas", "Nurul Huda", "Darul Hikmah", "Bina Sejahtera", "Kasih Bunda",
    "Harapan Bangsa", "Insan Mandiri", "Baitul Maal", "Rahmatan", "Cahaya Umat", "Sauyunan",
    "Silih Asih", "Mitra Dhuafa", "Berkah", "Amanah", "Al-Falah", "Pelita Hati",
)  # fmt: skip

COMPANIES: Final[tuple[str, ...]] = (
    "PT Parahyangan Tekstil", "PT Bandung Raya Energi", "PT Priangan Pangan",
    "PT Sinar Cibaduyut", "PT Kopo Logistik", "Bank Pasundan",
)  # fmt: skip

# focus -> (who it helps, its aid kinds: program code -> the words it writes)
FOCI: Final[tuple[str, ...]] = ("lansia", "anak", "disabilitas", "fakir_miskin", "umum")


@dataclass(frozen=True)
class Foundation:
    number: int
    kind: str  # foundation | zakat | csr
    name: str
    focus: str
    kecamatan: tuple[str, ...]
    file_kind: str  # csv | xlsx
    style: int
    date_format: str
    sex_style: str
    case: str  # title | upper | lower
    fields: tuple[str, ...]
    split_address: bool
    title_row: bool
    delimiter: str
    encoding: str
    rows: int
    bare: bool = False  # knows only a name, a free-text address and a household phone

    @property
    def id(self) -> str:
        return f"yayasan-{self.number:03d}"


#: What a bare list (a mosque's, an RT head's) writes: who, where, a phone, what was given.
BARE_FIELDS: Final[tuple[str, ...]] = (
    "source_record_id", "full_name", "address", "phone", "program", "service_date", "amount",
    "funder",
)  # fmt: skip


def _profile(
    rng: np.random.Generator,
    number: int,
    kec: list[tuple[str, str]],
    rows: int,
    profile: Profile = PROFILES["standard"],
) -> Foundation:
    kind = str(rng.choice(["foundation", "zakat", "csr"], p=[0.8, 0.12, 0.08]))
    area = [
        kec[i] for i in sorted(rng.choice(len(kec), size=int(rng.integers(1, 4)), replace=False))
    ]
    place = area[0][1]
    word = WORDS[int(rng.integers(0, len(WORDS)))]
    name = {
        "foundation": f"Yayasan {word} {place}",
        "zakat": f"LAZ {word} {place}",
        "csr": f"CSR {COMPANIES[int(rng.integers(0, len(COMPANIES)))]} - {place}",
    }[kind]
    fields = ["source_record_id", "full_name", "address", "program", "service_date", "amount",
              "funder"]  # fmt: skip
    optional = {"nik": 0.45, "no_kk": 0.2, "birth_date": 0.6, "sex": 0.7, "phone": 0.75,
                "ppks": 0.25}  # fmt: skip
    fields += [f for f, p in optional.items() if rng.random() < p]
    file_kind = "xlsx" if rng.random() < 0.4 else "csv"
    # drawn in this order so that the standard profile's cities stay byte-identical
    focus = FOCI[int(rng.integers(0, len(FOCI)))]
    style = int(rng.integers(0, len(HEADERS)))
    date_format = DATE_FORMATS[int(rng.integers(0, len(DATE_FORMATS)))]
    sex_style = str(rng.choice(["LP", "long", "digit", "pria"]))
    case = str(rng.choice(["title", "upper", "lower"], p=[0.6, 0.35, 0.05]))
    split_address = bool(rng.random() < 0.3)
    title_row = bool(rng.random() < (0.45 if file_kind == "xlsx" else 0.15))
    delimiter = str(rng.choice([",", ";"]))
    encoding = str(rng.choice(["utf-8", "utf-8-sig", "cp1252"], p=[0.6, 0.3, 0.1]))
    bare = False
    if not profile.standard:  # no extra draws for the standard profile
        bare = bool(rng.random() < profile.foundation_bare)
        split_address = split_address and not bare and bool(rng.random() >= profile.free_address)
        fields = list(BARE_FIELDS) if bare else fields
    return Foundation(
        number=number,
        kind=kind,
        name=name,
        focus=focus,
        kecamatan=tuple(code for code, _ in area),
        file_kind=file_kind,
        style=style,
        date_format=date_format,
        sex_style=sex_style,
        case=case,
        fields=tuple(fields),
        split_address=split_address,
        title_row=title_row,
        delimiter=delimiter,
        encoding=encoding,
        rows=rows,
        bare=bare,
    )


def profiles(
    rng: np.random.Generator,
    count: int,
    households: int,
    profile: Profile = PROFILES["standard"],
) -> list[Foundation]:
    kec = [(k.code, k.name) for k in reference.kecamatan()]
    mean = max(12.0, households * 0.3 / max(count, 1))
    sizes = np.maximum(8, rng.lognormal(np.log(mean), 0.6, count)).astype(int)
    return [_profile(rng, i + 1, kec, int(sizes[i]), profile) for i in range(count)]


def _focus_mask(p: pd.DataFrame, focus: str) -> np.ndarray:
    age, dec = p["age"].to_numpy(), p["decile"].to_numpy()
    codes = p["ppks"].fillna("")
    disabled = (codes.str.contains("PPKS09") | codes.str.contains("PPKS05")).to_numpy()
    masks: dict[str, np.ndarray] = {
        "lansia": (age >= 60) & (dec <= 6),
        "anak": (age < 18) & (dec <= 5),
        "disabilitas": disabled | ((dec <= 3) & (age >= 18)),
        "fakir_miskin": dec <= 3,
        "umum": dec <= 5,
    }
    return masks[focus]


def _choose(pop: Population, rng: np.random.Generator, found: list[Foundation]) -> pd.DataFrame:
    """(foundation, person) rows: one per aid given."""
    p = pop.people
    kec = p["kec_code"].astype("str").to_numpy()
    pools = {
        focus: {code: np.flatnonzero(m & (kec == code)) for code in np.unique(kec)}
        for focus, m in ((f, _focus_mask(p, f)) for f in FOCI)
    }
    parts = []
    for f in found:
        pool = np.concatenate([pools[f.focus].get(c, np.zeros(0, np.int64)) for c in f.kecamatan])
        if len(pool) == 0:
            pool = np.flatnonzero(p["decile"].to_numpy() <= 5)
        people = rng.choice(pool, size=max(1, f.rows * 3 // 4), replace=len(pool) < f.rows)
        events = np.concatenate([people, people[rng.random(len(people)) < 0.33]])[: f.rows]
        parts.append(pd.DataFrame({"foundation": f.number - 1, "row": events}))
    return pd.concat(parts, ignore_index=True)


_AID: Final[dict[str, tuple[tuple[str, str, str, int, int], ...]]] = {
    # kind -> (words written, program code, funder words, min amount, max amount)
    "foundation": (
        ("Santunan", "SANTUNAN-YAYASAN", "Dana Yayasan", 100_000, 500_000),
        ("Paket Sembako", "SEMBAKO-YAYASAN", "Donatur", 150_000, 300_000),
        ("Sembako", "SEMBAKO-YAYASAN", "Swadaya", 100_000, 250_000),
    ),
    "zakat": (
        ("Zakat", "ZAKAT", "Zakat", 200_000, 1_000_000),
        ("Santunan Zakat", "ZAKAT", "ZIS", 150_000, 600_000),
    ),
    "csr": (("Bantuan Pangan CSR", "CSR-PANGAN", "CSR", 200_000, 400_000),),
}
_FUNDER_TYPES: Final[dict[str, str]] = {
    "Dana Yayasan": "FOUNDATION", "Donatur": "FOUNDATION", "Swadaya": "FOUNDATION",
    "Zakat": "ZAKAT", "ZIS": "ZAKAT", "CSR": "CSR",
}  # fmt: skip


def emissions(
    pop: Population,
    rng: np.random.Generator,
    found: list[Foundation],
    profile: Profile = PROFILES["standard"],
) -> list[Emission]:
    chosen = _choose(pop, rng, found)
    old = pop.people["moved"].to_numpy()[chosen["row"]] & (rng.random(len(chosen)) < 0.4)
    v = observe(pop, chosen["row"].to_numpy(), old, rng, profile.widen(NOISE))
    v["foundation"] = chosen["foundation"].to_numpy()
    bare = np.asarray([f.bare for f in found])[v["foundation"].to_numpy()]
    if bare.any():  # a bare list writes the household's phone, whoever answered it
        v["phone"] = v["phone"].where(~bare, v["household_phone"])
    v["address_text"] = formats.free_address(v, "", rng)
    v["phone_text"] = formats.phone(v["phone"].fillna("0"), rng).where(v["phone"].notna(), None)
    v["draw"] = rng.random(len(v))
    v["amount_step"] = rng.random(len(v))
    days = rng.integers(0, 540, len(v))
    v["service_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    out = []
    for f, group in v.groupby("foundation", sort=True):
        out.append(_emit(found[int(str(f))], group.reset_index(drop=True)))
    return out


def _case(s: pd.Series, case: str) -> pd.Series:
    return {"title": s, "upper": s.str.upper(), "lower": s.str.lower()}[case]


def _emit(f: Foundation, v: pd.DataFrame) -> Emission:
    h = HEADERS[f.style]
    aid = _AID[f.kind]
    kind = np.minimum((v["draw"] * len(aid)).astype(int), len(aid) - 1).to_numpy()
    words = np.asarray([a[0] for a in aid], dtype=object)[kind]
    lo = np.asarray([a[3] for a in aid])[kind]
    hi = np.asarray([a[4] for a in aid])[kind]
    amount = ((lo + (hi - lo) * v["amount_step"].to_numpy()) // 50_000 * 50_000).astype(np.int64)
    ids = pd.Series(np.arange(1, len(v) + 1)).astype("str")
    if f.style in (1, 3):
        ids = f"Y{f.number:03d}-" + ids.str.zfill(4)
    cols: dict[str, object] = {
        "source_record_id": ids,
        "full_name": _case(v["full_name"], f.case),
        "nik": v["nik"],
        "no_kk": v["no_kk"],
        "birth_date": formats.dates(v["birth_date"], f.date_format),
        "sex": formats.sex(v["sex"], f.sex_style),
        "address": v["street"] + " No. " + v["house_number"].astype("str")
        if f.split_address
        else v["address_text"],
        "rt": v["rt"].astype("str"),
        "rw": v["rw"].astype("str"),
        "kelurahan": v["kelurahan"],
        "phone": v["phone_text"],
        "ppks": v["ppks"],
        "program": words,
        "service_date": formats.dates(v["service_date"], f.date_format),
        "amount": amount,
        "funder": np.asarray([a[2] for a in aid], dtype=object)[kind],
    }
    fields = list(f.fields) + (["rt", "rw", "kelurahan"] if f.split_address else [])
    frame = pd.DataFrame({h[k]: cols[k] for k in fields})
    service = ("program", "service_date", "amount", "funder")
    values: dict[str, dict[str, str]] = {
        "program": {a[0]: a[1] for a in aid},
        "funder": {a[2]: _FUNDER_TYPES[a[2]] for a in aid},
    }
    if "sex" in fields:
        values["sex"] = formats.sex_value_map(f.sex_style)
    if "ppks" in fields and f.style % 2 == 1:
        frame[h["ppks"]] = ppks_names(v["ppks"], upper=False)
        values["ppks"] = ppks_value_map(upper=False)
    spec = SourceSpec(
        id=f.id,
        kind=f.file_kind,
        organization=f"ORG-YAYASAN-{f.number:03d}",
        organization_name=f.name,
        organization_type="foundation",
        columns={h[k]: k for k in fields if k not in service},
        services={k: h[k] for k in service},
        values=values,
        date_formats=[f.date_format],
        encoding="utf-8" if f.file_kind == "xlsx" else f.encoding,
        delimiter=f.delimiter if f.file_kind == "csv" else None,
        header_row=2 if f.title_row else None,
        title=f"DATA PENERIMA BANTUAN {f.name.upper()}" if f.title_row else None,
        sheet=("Penerima", "Sheet1", "Data")[f.number % 3] if f.file_kind == "xlsx" else None,
    )
    return Emission(spec, frame, ids, v["person"], v["household"])
