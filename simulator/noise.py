"""Error injection: the ways real clerks and exports get a person wrong.

Every function takes a column (pandas Series), a random generator and a rate,
and returns a new column where about `rate` of the rows are damaged. All of
them work on whole columns; none loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator import names, nik

_MUHAMMAD_RE = "^(" + "|".join(s.replace(".", r"\.") for s, _ in names.MUHAMMAD) + r")(\s|$)"

# (pattern, replacement): slips of the hand and ear, each applied once
_TYPOS: tuple[tuple[str, str], ...] = (
    (r"i\b", "y"),  # Dedi -> Dedy
    (r"y", "i"),
    (r"h", ""),  # Rahmat -> Ramat
    (r"([aiueo])([bcdgjklmnprst])", r"\1\2\2"),  # double a consonant
    (r"a", "e"),
    (r"e", "i"),
    (r"([bcdgjklmnprst])\1", r"\1"),  # undouble
    (r"n", "m"),
    (r"([a-z])([a-z])$", r"\2\1"),  # swap the last two letters
    (r"ar", "ra"),
    (r"(\w)\w$", r"\1"),  # drop the last letter
)

# pre-1972 spelling: j -> dj, c -> tj, y -> j, u -> oe; applied in this order
_OLD_SPELLING: tuple[tuple[str, str], ...] = (
    ("j", "dj"),
    ("J", "Dj"),
    ("c", "tj"),
    ("C", "Tj"),
    ("y", "j"),
    ("Y", "J"),
    ("u", "oe"),
    ("U", "Oe"),
)


@dataclass(frozen=True)
class NameNoise:
    """Rates of each kind of name damage in one source."""

    muhammad: float = 0.0  # share of Muhammad names respelled
    old_spelling: float = 0.0
    title: float = 0.0
    patronym: float = 0.0  # "bin"/"binti" and the father's name appended
    typo: float = 0.0
    nickname: float = 0.0
    call_name: float = 0.0  # a Sundanese call name for the first word: Ujang, Neng, Aa
    p_for_f: float = 0.0  # Sundanese p/f: Fitri -> Pitri
    mononym: float = 0.0  # only the first word kept
    drop_first: float = 0.0  # "Rizki" for "Muhammad Rizki"
    kh_ch: float = 0.0  # older Arabic spellings: Chairul for Khairul, Sjarif for Syarif


def pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    return np.asarray(rng.random(n) < rate)


def _apply(s: pd.Series, mask: np.ndarray, pattern: str, repl: str, n: int = 1) -> pd.Series:
    if not mask.any():
        return s
    out = s.copy()
    out[mask] = s[mask].str.replace(pattern, repl, n=n, regex=True)
    return out


def muhammad(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    has = s.str.contains(_MUHAMMAD_RE.replace("(", "(?:"), regex=True, na=False).to_numpy()
    mask = has & pick(rng, len(s), rate)
    spellings = [sp for sp, _ in names.MUHAMMAD]
    choice = rng.integers(0, len(spellings), len(s))
    for i, spelling in enumerate(spellings):
        s = _apply(s, mask & (choice == i), _MUHAMMAD_RE, spelling.replace("\\", "") + r"\2")
    return s


def typos(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    mask = pick(rng, len(s), rate)
    kind = rng.integers(0, len(_TYPOS), len(s))
    for i, (pattern, repl) in enumerate(_TYPOS):
        s = _apply(s, mask & (kind == i), pattern, repl)
    return s


def old_spelling(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    mask = pick(rng, len(s), rate)
    only = rng.integers(-1, len(_OLD_SPELLING) // 2, len(s))  # -1: every rule
    for i, (pattern, repl) in enumerate(_OLD_SPELLING):
        s = _apply(s, mask & ((only == -1) | (only == i // 2)), pattern, repl, n=-1)
    return s


def old_arabic(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """Older spellings of Arabic sounds: Chairul for Khairul, Sjarif for Syarif."""
    mask = pick(rng, len(s), rate)
    for pattern, repl in (("Kh", "Ch"), ("kh", "ch"), ("Sy", "Sj"), ("sy", "sj")):
        s = _apply(s, mask, pattern, repl, n=-1)
    return s


def p_for_f(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    mask = pick(rng, len(s), rate)
    s = _apply(s, mask, "F", "P", n=-1)
    return _apply(s, mask, "f", "p", n=-1)


def nicknames(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    mask = pick(rng, len(s), rate)
    for full, short in names.NICKNAMES:
        s = _apply(s, mask, rf"\b{full}\b", short)
    return s


def titles(s: pd.Series, female: np.ndarray, rng: np.random.Generator, rate: float) -> pd.Series:
    mask = pick(rng, len(s), rate)
    n = len(s)
    before = np.asarray(names.TITLES_BEFORE, dtype=object)[rng.integers(0, 7, n)]
    before = np.where(female & np.isin(before, ("H.", "H")), "Hj.", before)
    after = np.asarray(names.TITLES_AFTER, dtype=object)[rng.integers(0, 6, n)]
    use_before = rng.random(n) < 0.7
    titled = pd.Series(np.where(use_before, before + " ", ""), index=s.index, dtype="str") + s
    titled = titled + pd.Series(np.where(use_before, "", ", " + after), index=s.index, dtype="str")
    return s.where(~mask, titled)


def patronym(
    s: pd.Series, father: pd.Series, female: np.ndarray, rng: np.random.Generator, rate: float
) -> pd.Series:
    mask = pick(rng, len(s), rate) & father.notna().to_numpy()
    word = pd.Series(np.where(female, " binti ", " bin "), index=s.index, dtype="str")
    return s.where(~mask, s + word + father)


#: Call names (panggilan) that stand for any first name: a boy is "Ujang", a girl "Neng".
CALL_MALE: tuple[str, ...] = ("Ujang", "Aa", "Asep", "Jang")
CALL_FEMALE: tuple[str, ...] = ("Neng", "Euis", "Nyai")


def call_name(s: pd.Series, female: np.ndarray, rng: np.random.Generator, rate: float) -> pd.Series:
    """The first word replaced by a call name; the surname, if any, stays."""
    mask = pick(rng, len(s), rate) & s.str.contains(" ", regex=False, na=False).to_numpy()
    if not mask.any():
        return s
    n = len(s)
    word = np.where(
        female,
        np.asarray(CALL_FEMALE, dtype=object)[rng.integers(0, len(CALL_FEMALE), n)],
        np.asarray(CALL_MALE, dtype=object)[rng.integers(0, len(CALL_MALE), n)],
    )
    rest = s.str.replace(r"^\S+", "", n=1, regex=True)
    return s.where(~mask, pd.Series(word, index=s.index, dtype="str") + rest)


def first_word(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    return _apply(s, pick(rng, len(s), rate), r"^(\S+)\s.*$", r"\1")


def drop_first_word(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    return _apply(s, pick(rng, len(s), rate), r"^\S+\s+(\S)", r"\1")


def name(
    s: pd.Series,
    female: np.ndarray,
    father: pd.Series,
    rng: np.random.Generator,
    rates: NameNoise,
) -> pd.Series:
    s = muhammad(s, rng, rates.muhammad)
    s = nicknames(s, rng, rates.nickname)
    s = call_name(s, female, rng, rates.call_name)
    s = first_word(s, rng, rates.mononym)
    s = drop_first_word(s, rng, rates.drop_first)
    s = old_spelling(s, rng, rates.old_spelling)
    s = p_for_f(s, rng, rates.p_for_f)
    s = typos(s, rng, rates.typo)
    if rates.kh_ch > 0:  # no draw at rate 0: older profiles stay byte-identical
        s = old_arabic(s, rng, rates.kh_ch)
    s = patronym(s, father, female, rng, rates.patronym)
    return titles(s, female, rng, rates.title)


def nik_typos(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    mask = pick(rng, len(s), rate) & s.notna().to_numpy() & (s.str.len() == 16).to_numpy()
    out = s.copy()
    out[mask] = nik.with_typo(s[mask], rng)
    return out


def missing(s: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    return s.where(~pick(rng, len(s), rate), None)


def swap_day_month(d: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """Day and month exchanged where both are valid months (a US-style slip)."""
    day, month = d.dt.day, d.dt.month
    mask = pick(rng, len(d), rate) & (day <= 12).to_numpy() & (day != month).to_numpy()
    swapped = pd.to_datetime(
        {"year": d.dt.year[mask], "month": day[mask], "day": month[mask]}, errors="coerce"
    )
    out = d.copy()
    out[mask] = swapped
    return out


def default_date(d: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """Unknown birthdays recorded as 1 July or 31 December of the right year."""
    mask = pick(rng, len(d), rate)
    july = rng.random(len(d)) < 0.7
    filled = pd.to_datetime(
        {"year": d.dt.year, "month": np.where(july, 7, 12), "day": np.where(july, 1, 31)}
    )
    return d.where(~mask, filled)


def year_slip(d: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    mask = pick(rng, len(d), rate)
    years = rng.choice(np.asarray([-1, 1]), len(d))
    return d.where(~mask, d + pd.to_timedelta(years * 365, unit="D"))


def date_typo(d: pd.Series, rng: np.random.Generator, rate: float) -> pd.Series:
    """A slip in one digit group: the day off by ten, or the year's last two digits swapped."""
    n = len(d)
    mask = pick(rng, n, rate) & d.notna().to_numpy()
    day, month, year = d.dt.day, d.dt.month, d.dt.year
    day_slip = rng.random(n) < 0.5
    new_day = np.where(day <= 18, day + 10, day - 10)
    swapped = (year // 100) * 100 + (year % 10) * 10 + (year // 10) % 10
    new_year = np.where(swapped > 2024, year + 1, swapped)
    slipped = pd.to_datetime(
        {
            "year": np.where(day_slip, year, new_year)[mask],
            "month": month[mask],
            "day": np.where(day_slip, new_day, day)[mask],
        },
        errors="coerce",
    )
    out = d.copy()
    out[mask] = slipped.to_numpy()
    return out


def invalid_nik(
    s: pd.Series, kk: pd.Series, rng: np.random.Generator, mask: np.ndarray
) -> pd.Series:
    """NIKs that fail the Dukcapil check: empty, the KK number, cut short, a placeholder."""
    n = len(s)
    kind = rng.choice(4, size=n, p=[0.55, 0.2, 0.15, 0.1])
    out = s.where(~(mask & (kind == 0)), None)
    out = out.where(~(mask & (kind == 1)), kk)
    out = out.where(~(mask & (kind == 2)), s.str.slice(0, 15))
    placeholder = pd.Series(
        rng.choice(np.asarray(["0", "-", "0000000000000000"]), n), index=s.index
    )
    return out.where(~(mask & (kind == 3)), placeholder)


def same_for_household(
    values: pd.Series, household: np.ndarray, head_value: pd.Series, hh_mask: np.ndarray
) -> pd.Series:
    """The head's value written for every member of the households in `hh_mask`."""
    rows = hh_mask[household]
    return values.where(~rows, head_value)
