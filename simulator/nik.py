"""NIK and No. KK numbers built by the real rules, for whole arrays at once.

NIK: PPKKCC DDMMYY NNNN. PPKKCC is the province, regency/city and kecamatan of
first registration, DDMMYY the birth date with 40 added to the day for women,
NNNN a serial that makes the number unique. No. KK has the same shape with
the issuing kecamatan and the issue date (no +40).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _date_part(dates: np.ndarray, female: np.ndarray | None) -> np.ndarray:
    d = pd.DatetimeIndex(dates)
    day = d.day.to_numpy(dtype=np.int64)
    if female is not None:
        day = day + 40 * female.astype(np.int64)
    return np.asarray(day * 10_000 + d.month.to_numpy(dtype=np.int64) * 100 + d.year % 100)


def _serials(key: np.ndarray) -> np.ndarray:
    """1, 2, 3... within each group of equal keys, in input order."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1]
    run = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    out = np.empty(len(key), dtype=np.int64)
    out[order] = run + 1
    return out


def numbers(prefix6: np.ndarray, dates: np.ndarray, female: np.ndarray | None) -> pd.Series:
    """16-digit numbers (as text) unique over the inputs."""
    key = prefix6.astype(np.int64) * 1_000_000 + _date_part(dates, female)
    value = key * 10_000 + _serials(key)
    return pd.Series(value).astype("str")


def with_typo(nik: pd.Series, rng: np.random.Generator) -> pd.Series:
    """One digit changed at a random place (a clerk's slip)."""
    if len(nik) == 0:
        return nik
    digits = np.frombuffer("".join(nik.tolist()).encode("ascii"), dtype=np.uint8).copy()
    digits = digits.reshape(len(nik), 16)
    rows = np.arange(len(nik))
    pos = rng.integers(6, 16, size=len(nik))
    old = digits[rows, pos] - 48
    digits[rows, pos] = (old + rng.integers(1, 10, size=len(nik))) % 10 + 48
    return pd.Series(digits.view("S16").ravel().astype(str), index=nik.index, dtype="str")
