"""Sundanese and Indonesian names, and the ways they get written differently.

Lists are ordered roughly by how common a name is; `draw` favours the front,
so a synthetic Bandung has as many Aseps and Euises as the real one.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

MALE_FIRST: Final[tuple[str, ...]] = (
    "Asep", "Ujang", "Dedi", "Cecep", "Agus", "Yayan", "Dadang", "Jajang", "Iwan",
    "Hermawan", "Kurniawan", "Setiawan", "Ridwan", "Dede", "Ahmad", "Budi", "Rudi",
    "Hendra", "Yusuf", "Deden", "Aep", "Ade", "Dodi", "Wahyu", "Rizki", "Fajar",
    "Firman", "Rahmat", "Hidayat", "Suryadi", "Supriatna", "Mulyana", "Sutisna",
    "Abdullah", "Iskandar", "Eko", "Andi", "Dani", "Irfan", "Ilham", "Gilang",
    "Rangga", "Bayu", "Teguh", "Tatang", "Endang", "Ajat", "Oman", "Usep", "Enjang",
    "Yudi", "Jaja", "Engkos", "Odang", "Ucup", "Jujun", "Yana", "Nandang", "Cucu",
    "Tajudin", "Fauzi", "Fikri", "Farhan", "Arif", "Saepul", "Syarif",
)  # fmt: skip

FEMALE_FIRST: Final[tuple[str, ...]] = (
    "Euis", "Siti", "Nurhayati", "Neneng", "Imas", "Enung", "Iis", "Yati", "Tati",
    "Entin", "Ai", "Rina", "Fitri", "Fitriani", "Lilis", "Eti", "Nining", "Dewi",
    "Sri", "Yuyun", "Nenden", "Rohimah", "Komariah", "Sumarni", "Nani", "Yeni",
    "Rini", "Wulan", "Dian", "Putri", "Anisa", "Nurul", "Intan", "Elis", "Popon",
    "Juju", "Oneng", "Teti", "Ratna", "Ani", "Lina", "Nia", "Farida", "Syifa",
    "Aisyah", "Cicih", "Encah", "Aah", "Yuli", "Fatimah", "Jubaedah", "Yanti",
    "Nurjanah", "Cucum", "Fajriah", "Rosita",
)  # fmt: skip

MALE_LAST: Final[tuple[str, ...]] = (
    "Suryana", "Sudrajat", "Permana", "Hidayat", "Kurniawan", "Setiawan", "Gunawan",
    "Saputra", "Hermawan", "Ramdani", "Firmansyah", "Maulana", "Hakim", "Mulyadi",
    "Sumarna", "Supriadi", "Jaelani", "Sopandi", "Rustandi", "Sukmana", "Sobari",
    "Gumilar", "Nugraha", "Pratama", "Ramadhan", "Fauzi", "Sulaeman", "Syahputra",
    "Kusnadi", "Suherman", "Rohman", "Juanda", "Hendrayana", "Wijaya", "Yusuf",
    "Jajang", "Cahyadi", "Taufik", "Rizal", "Fadilah",
)  # fmt: skip

FEMALE_LAST: Final[tuple[str, ...]] = (
    "Rahmawati", "Nurjanah", "Lestari", "Sari", "Wahyuni", "Kartika", "Rosita",
    "Handayani", "Susilawati", "Komalasari", "Fitriani", "Marlina", "Nurlaela",
    "Rahayu", "Yuliani", "Hasanah", "Maryati", "Suryani", "Purnamasari", "Fauziah",
    "Agustina", "Sumiati", "Rohayati", "Kurniasih", "Cahyani", "Yulianti",
)  # fmt: skip

#: How the Muhammad at the start of a name is spelled, with weights.
MUHAMMAD: Final[tuple[tuple[str, float], ...]] = (
    ("Muhammad", 0.34), ("Muhamad", 0.16), ("Mochamad", 0.12), ("Mohammad", 0.08),
    ("Moch.", 0.07), ("M.", 0.07), ("Moh.", 0.04), ("Mohamad", 0.03), ("Mochammad", 0.02),
    ("Muchammad", 0.01), ("Mukhamad", 0.01), ("Muh.", 0.01), ("Mhd.", 0.01),
    ("Muchamad", 0.01), ("Mochamat", 0.005), ("Mohamed", 0.005), ("Moch", 0.005),
    ("M", 0.005), ("Mukhammad", 0.005), ("Muhamat", 0.005),
)  # fmt: skip

#: Full name -> the nickname people answer to (and give to a foundation).
NICKNAMES: Final[tuple[tuple[str, str], ...]] = (
    ("Hermawan", "Wawan"), ("Kurniawan", "Iwan"), ("Setiawan", "Wawan"), ("Ridwan", "Iwan"),
    ("Asep", "Aa"), ("Rahmat", "Amat"), ("Abdullah", "Dul"), ("Suryadi", "Yadi"),
    ("Hidayat", "Dayat"), ("Mulyana", "Yana"), ("Sutisna", "Tisna"), ("Iskandar", "Iis"),
    ("Nurhayati", "Yati"), ("Sumarni", "Marni"), ("Komariah", "Kokom"), ("Rohimah", "Imah"),
    ("Fitriani", "Fitri"), ("Fatimah", "Imah"), ("Jubaedah", "Edah"), ("Supriatna", "Atna"),
    ("Yusuf", "Ucup"), ("Dadang", "Dang"), ("Tajudin", "Ajud"), ("Nurjanah", "Nur"),
    ("Saepul", "Epul"), ("Syarif", "Arif"), ("Farida", "Ida"), ("Aisyah", "Ais"),
)  # fmt: skip

TITLES_BEFORE: Final[tuple[str, ...]] = ("H.", "Hj.", "Drs.", "Ir.", "Hj", "H", "Dra.")
TITLES_AFTER: Final[tuple[str, ...]] = ("S.Pd.", "S.E.", "S.Ag.", "A.Md.", "S.Pd.I", "S.Kom")

BIRTH_PLACES: Final[tuple[str, ...]] = (
    "Garut", "Tasikmalaya", "Cianjur", "Sumedang", "Ciamis", "Kuningan", "Sukabumi",
    "Jakarta", "Cimahi", "Majalengka", "Subang", "Purwakarta", "Bogor", "Cirebon",
)  # fmt: skip

GANG_NAMES: Final[tuple[str, ...]] = (
    "Mesjid", "Sukamaju", "H. Ali", "Kenanga", "Melati", "Babakan", "Bojong", "Pesantren",
    "Sekolah", "Sukarasa", "Mawar", "Cempaka", "Sauyunan", "Rahayu", "Jambu", "Nangka",
)  # fmt: skip

CITY_STREETS: Final[tuple[str, ...]] = (
    "Jl. Soekarno-Hatta", "Jl. Kopo", "Jl. Cibaduyut Raya", "Jl. Terusan Jakarta",
    "Jl. Jend. Ahmad Yani", "Jl. Kiaracondong", "Jl. Holis", "Jl. Sukajadi",
    "Jl. Setiabudi", "Jl. Pasirkoja", "Jl. Cicaheum", "Jl. Moch. Toha", "Jl. Gedebage",
    "Jl. Ujungberung Raya", "Jl. Cijerah", "Jl. Caringin",
)  # fmt: skip


def _zipf_weights(n: int) -> np.ndarray:
    w = 1.0 / (np.arange(n) + 4.0)
    return np.asarray(w / w.sum())


def draw(rng: np.random.Generator, names: tuple[str, ...], n: int) -> np.ndarray:
    """`n` names from `names`, the first ones more often."""
    idx = rng.choice(len(names), size=n, p=_zipf_weights(len(names)))
    return np.asarray(names, dtype=object)[idx]


def full_names(rng: np.random.Generator, female: np.ndarray) -> pd.Series:
    """Registered names: mononyms, two or three words, Muhammad and Siti prefixes."""
    n = len(female)
    first = np.where(female, draw(rng, FEMALE_FIRST, n), draw(rng, MALE_FIRST, n))
    last = np.where(female, draw(rng, FEMALE_LAST, n), draw(rng, MALE_LAST, n))
    shape = rng.random(n)
    spellings, weights = zip(*MUHAMMAD, strict=True)
    p = np.asarray(weights) / sum(weights)
    muhammad = np.asarray(spellings, dtype=object)[rng.choice(len(spellings), size=n, p=p)]
    prefix = np.where(female, "Siti", muhammad)
    has_prefix = rng.random(n) < np.where(female, 0.07, 0.14)
    name = pd.Series(first, dtype="str")
    two = (shape >= 0.3) & (first != last)
    name = name.where(~two, name + " " + pd.Series(last, dtype="str"))
    name = name.where(~has_prefix, pd.Series(prefix, dtype="str") + " " + name)
    return name
