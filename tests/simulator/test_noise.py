"""The harder errors: rows that failed the Dukcapil check, call names, date slips."""

import numpy as np
import pandas as pd

from simulator import noise, population, sources


def test_invalid_nik_only_on_masked_rows_and_never_a_valid_nik() -> None:
    rng = np.random.default_rng(1)
    nik = pd.Series(["3273011203850001"] * 2000)
    kk = pd.Series(["3273010101100001"] * 2000)
    mask = np.arange(2000) < 1000
    out = noise.invalid_nik(nik, kk, rng, mask)
    assert (out[~mask] == nik[~mask]).all()
    bad = out[mask]
    assert not (bad == nik[mask]).any()
    kinds = {"missing": bad.isna().sum(), "kk": (bad == kk[mask]).sum()}
    kinds["short"] = (bad.str.len() == 15).sum()
    assert all(v > 50 for v in kinds.values()), kinds


def test_date_typo_changes_one_digit_group() -> None:
    rng = np.random.default_rng(2)
    d = pd.Series(pd.to_datetime(["1975-03-17"] * 500))
    out = noise.date_typo(d, rng, 1.0)
    changed = out[out != d]
    assert len(changed) > 400
    slips = set(zip(changed.dt.day, changed.dt.year, strict=True))
    assert slips == {(27, 1975), (17, 1957)}


def test_call_name_keeps_the_surname() -> None:
    rng = np.random.default_rng(3)
    s = pd.Series(["Dedi Suryana", "Euis Rahmawati", "Asep"] * 100)
    female = np.asarray([False, True, False] * 100)
    out = noise.call_name(s, female, rng, 1.0)
    assert (out[2::3] == "Asep").all()  # a mononym has no first word to replace
    assert out[0::3].str.endswith(" Suryana").all()
    assert out[1::3].str.split(" ").str[0].isin(noise.CALL_FEMALE).all()


def test_dtks_has_about_a_sixth_without_a_valid_nik() -> None:
    rng = np.random.default_rng(4)
    pop = population.build(rng, 3000)
    emission = sources.dtks(pop, rng)
    nik = emission.frame["NIK"]
    invalid = (nik.isna() | (nik.str.len() != 16) | (nik == emission.frame["NOKK"])).mean()
    assert 0.13 < invalid < 0.23
    padan = emission.frame["KET_PADAN"] == "BELUM PADAN"
    assert padan.mean() > 0.1
