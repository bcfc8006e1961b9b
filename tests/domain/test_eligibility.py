"""Eligibility rules as data: the catalogue's rules on hand-made households,
word for word, and the load-time checks of a rules file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.reference import ELIGIBILITY_RULES, eligibility_rules, programs
from domain.eligibility import Eligibility, RuleError, household_facts, load_rules

ON = date(2026, 12, 1)


def member(born: str, *ppks: str, status: str = "active") -> dict[str, object]:
    return {"birth_date": date.fromisoformat(born), "ppks": list(ppks), "status": status}


def eligibility(program: str, decile: int | None, *members: dict[str, object]) -> Eligibility:
    facts = household_facts(decile, members, ON)
    (found,) = eligibility_rules().evaluate(facts, ON, {program})
    return found


def said(e: Eligibility) -> list[tuple[str, bool, str]]:
    return [(c.name, c.held, c.explanation) for c in e.conditions]


def test_pkh_family_with_a_child_in_decile_3_is_eligible_and_says_why() -> None:
    e = eligibility("PKH", 3, member("1985-02-01"), member("2015-06-30"))
    assert e.eligible and e.rule_version == "2024.1"
    assert said(e) == [
        ("desil", True, "Keluarga berada di desil 3, dalam batas desil 1 sampai 4."),
        ("anak", True, "Ada 1 anak di bawah 18 tahun dalam keluarga."),
        ("ibu_hamil", False, "Tidak tercatat anggota keluarga yang sedang hamil."),
        ("lansia", False, "Tidak ada anggota keluarga berusia 60 tahun ke atas."),
        ("disabilitas", False, "Tidak tercatat anggota keluarga penyandang disabilitas."),
    ]
    assert [c.explanation_en for c in e.conditions][:2] == [
        "The family is in decile 3, within deciles 1 to 4.",
        "There are 1 children under 18 in the family.",
    ]


def test_pkh_family_in_decile_5_fails_on_the_decile_only() -> None:
    e = eligibility("PKH", 5, member("1950-01-01"), member("1990-01-01", "PPKS09"))
    assert not e.eligible
    assert said(e) == [
        ("desil", False, "Keluarga berada di desil 5, di luar batas desil 1 sampai 4."),
        ("anak", False, "Tidak ada anak di bawah 18 tahun dalam keluarga."),
        ("ibu_hamil", False, "Tidak tercatat anggota keluarga yang sedang hamil."),
        ("lansia", True, "Ada 1 anggota keluarga berusia 60 tahun ke atas."),
        ("disabilitas", True, "Ada 1 anggota keluarga penyandang disabilitas."),
    ]


def test_pkh_poor_family_of_adults_only_is_not_eligible() -> None:
    e = eligibility("PKH", 1, member("1980-01-01"), member("2008-12-01"))  # 18 on ON
    assert not e.eligible
    assert [c.name for c in e.failed] == ["anak", "ibu_hamil", "lansia", "disabilitas"]


def test_a_child_turning_18_tomorrow_still_counts() -> None:
    assert eligibility("PKH", 4, member("1980-01-01"), member("2008-12-02")).eligible


def test_a_member_who_died_counts_for_nothing() -> None:
    e = eligibility("PKH", 2, member("1980-01-01"), member("1940-01-01", status="deceased"))
    assert not e.eligible


@pytest.mark.parametrize("program", ["BPNT", "PBI-JK"])
def test_bpnt_and_pbi_jk_take_deciles_1_to_5(program: str) -> None:
    adult = member("1970-03-03")
    assert said(eligibility(program, 5, adult)) == [
        ("desil", True, "Keluarga berada di desil 5, dalam batas desil 1 sampai 5."),
    ]
    assert said(eligibility(program, 6, adult)) == [
        ("desil", False, "Keluarga berada di desil 6, di luar batas desil 1 sampai 5."),
    ]


def test_an_unrecorded_decile_fails_and_says_so() -> None:
    e = eligibility("BPNT", None, member("1970-03-03"))
    assert said(e) == [
        (
            "desil",
            False,
            "Keluarga berada di desil tidak tercatat, di luar batas desil 1 sampai 5.",
        ),
    ]
    assert e.conditions[0].explanation_en == (
        "The family is in decile not recorded, outside deciles 1 to 5."
    )


def test_city_elderly_cash_needs_a_neglected_elder() -> None:
    e = eligibility("BANSOS-LANSIA-KOTA", 2, member("1945-01-01", "PPKS08"))
    assert e.eligible
    assert said(e)[1] == (
        "lansia_terlantar",
        True,
        "Ada anggota keluarga yang tercatat sebagai lanjut usia terlantar.",
    )
    assert not eligibility("BANSOS-LANSIA-KOTA", 2, member("1945-01-01")).eligible


def test_school_aid_needs_a_child_of_school_age() -> None:
    e = eligibility("KIP", 4, member("1980-01-01"), member("2014-01-01"))
    assert e.eligible
    assert said(e)[1] == ("anak_sekolah", True, "Ada 1 anak usia sekolah (6 sampai 21 tahun).")
    toddler = eligibility("KIP", 4, member("1980-01-01"), member("2023-01-01"))
    assert said(toddler)[1] == (
        "anak_sekolah",
        False,
        "Tidak ada anak usia sekolah (6 sampai 21 tahun).",
    )


def test_every_rule_names_a_catalogue_program_and_explains_every_condition() -> None:
    book = eligibility_rules()
    assert set(book.programs) <= {p.code for p in programs()}
    facts = household_facts(3, [member("1980-01-01")], ON)
    for e in book.evaluate(facts, ON):
        assert e.conditions and all(c.explanation and c.explanation_en for c in e.conditions)


def test_what_if_pkh_cut_off_3_changes_the_copy_only() -> None:
    book = eligibility_rules()
    changed = book.what_if("PKH", ON, params={"decile_max": 3})
    facts = household_facts(4, [member("1985-01-01"), member("2016-01-01")], ON)
    assert not changed.evaluate(facts).eligible
    assert changed.evaluate(facts).conditions[0].explanation == (
        "Keluarga berada di desil 4, di luar batas desil 1 sampai 3."
    )
    assert book.rule("PKH", ON) is not None
    assert book.rule("PKH", ON).evaluate(facts).eligible  # type: ignore[union-attr]


def test_what_if_with_a_bad_expression_is_refused() -> None:
    with pytest.raises(RuleError, match="unknown condition kaya"):
        eligibility_rules().what_if("PKH", ON, when="desil && kaya")


# --- load-time checks -----------------------------------------------------------

CONDITION = """
[condition.desil]
when = "decile != null && decile <= decile_max"
held = "ya"
failed = "tidak"
held_en = "yes"
failed_en = "no"
"""


def rule(program: str = "PKH", version: str = "1", when: str = "desil", dates: str = "") -> str:
    return (
        f'\n[[rule]]\nprogram = "{program}"\nversion = "{version}"\n'
        f'valid_from = 2024-01-01\n{dates}when = "{when}"\nparams = {{ decile_max = 4 }}\n'
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text('version = "t"\n' + text, encoding="utf-8")
    return path


def test_a_syntax_error_names_file_line_and_rule(tmp_path: Path) -> None:
    path = write(tmp_path, CONDITION + rule(when="desil &&"))
    with pytest.raises(RuleError, match=rf"{path} line 10, rule PKH 1: the expression does not"):
        load_rules(path)


def test_an_unknown_condition_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, CONDITION + rule(when="desil || miskin"))
    with pytest.raises(RuleError, match="line 10, rule PKH 1: unknown condition miskin"):
        load_rules(path)


def test_an_unknown_variable_in_a_condition_is_named(tmp_path: Path) -> None:
    text = CONDITION.replace("decile <= decile_max", "desile <= decile_max")
    path = write(tmp_path, text + rule())
    with pytest.raises(RuleError, match=r"condition desil .line 3. reads unknown variable desile"):
        load_rules(path)


def test_a_missing_parameter_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, CONDITION + rule().replace("params = { decile_max = 4 }\n", ""))
    with pytest.raises(RuleError, match="reads unknown variable decile_max"):
        load_rules(path)


def test_overlapping_versions_of_one_program_are_refused(tmp_path: Path) -> None:
    first = rule(version="1", dates="valid_to = 2025-06-30\n")
    second = rule(version="2").replace("2024-01-01", "2025-06-01")
    path = write(tmp_path, CONDITION + first + second)
    with pytest.raises(
        RuleError,
        match=r"line 18, rule PKH 2: valid from 2025-06-01, while "
        r"version 1 .* is still valid then",
    ):
        load_rules(path)


def test_consecutive_versions_are_chosen_by_date(tmp_path: Path) -> None:
    first = rule(version="1", dates="valid_to = 2025-06-30\n")
    second = rule(version="2").replace("2024-01-01", "2025-07-01")
    book = load_rules(write(tmp_path, CONDITION + first + second))
    assert book.rule("PKH", date(2025, 6, 30)).version == "1"  # type: ignore[union-attr]
    assert book.rule("PKH", date(2025, 7, 1)).version == "2"  # type: ignore[union-attr]
    assert book.rule("PKH", date(2023, 12, 31)) is None


def test_a_program_outside_the_catalogue_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, CONDITION + rule(program="PKHH"))
    with pytest.raises(RuleError, match="program PKHH is not in the program catalogue"):
        load_rules(path, {"PKH"})


def test_the_catalogue_file_loads() -> None:
    assert load_rules(ELIGIBILITY_RULES).version
