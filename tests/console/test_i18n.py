"""The label catalogue: every label the templates and pages use exists, in
Bahasa Indonesia and in English."""

from __future__ import annotations

import re
from pathlib import Path

from console.i18n import CATALOGUE, Labels

CONSOLE = Path(__file__).resolve().parents[2] / "console"
USE = re.compile(r"""labels\[\s*["']([a-z_]+)["']\s*\]|Labels\(\)\[\s*["']([a-z_]+)["']\s*\]""")


def test_every_label_used_is_in_the_catalogue_in_both_languages() -> None:
    used = {
        a or b
        for path in [
            *CONSOLE.glob("templates/*.html"),
            *(CONSOLE / name for name in ("app.py", "casework.py", "service_desk.py", "public.py")),
        ]
        for a, b in USE.findall(path.read_text(encoding="utf-8"))
    }
    assert used, "no label use found: the pattern no longer matches the templates"
    assert used <= set(CATALOGUE), used - set(CATALOGUE)
    for key in used:
        assert Labels("id")[key].strip() and Labels("en")[key].strip(), key


def test_bahasa_indonesia_comes_first_and_unknown_languages_fall_back_to_it() -> None:
    assert Labels()["nav_search"] == "Cari"
    assert Labels("en")["nav_search"] == "Search"
    assert Labels("xx").lang == "id"


def test_the_nik_digits_a_resident_gives_are_the_domains_count_everywhere() -> None:
    from domain.service_desk import NIK_SUFFIX_DIGITS, request_message

    said = [
        (lang, key, text)
        for lang in ("id", "en")
        for key, text in ((k, Labels(lang)[k]) for k in CATALOGUE)
        if re.search(r"angka terakhir NIK|digits of .*NIK", text)
    ]
    assert len(said) >= 8, said  # the receipt and Cek status, in both languages
    for lang, key, text in said:
        counts = re.findall(r"(\d+) (?:angka|digits)", text)
        assert counts == [str(NIK_SUFFIX_DIGITS)], (lang, key, text)
    assert f"{NIK_SUFFIX_DIGITS} angka terakhir NIK" in request_message("SP-X", "REGISTERED")
