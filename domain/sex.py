"""Sex as the sources write it, read as 'L' (laki-laki, male) or 'P' (perempuan, female).

The whole word counts, never its first letter: PRIA is a man, PEREMPUAN a woman.
Case and spaces around or inside the word do not matter ("Laki - laki").
`domain.sql.sex_code` is the same rule in SQL.
"""

from __future__ import annotations

from typing import Final

#: Every word the hub reads as a sex, upper-case and without spaces, with its code.
SEX_WORDS: Final[dict[str, str]] = {
    **dict.fromkeys(
        ("L", "LK", "LAKI-LAKI", "LAKILAKI", "LAKI2", "LAKI", "PRIA", "M", "MALE"), "L"
    ),
    **dict.fromkeys(("P", "PR", "PEREMPUAN", "WANITA", "W", "F", "FEMALE"), "P"),
}


def sex_key(text: str) -> str:
    """`text` as `SEX_WORDS` spells its keys: upper case, spaces dropped."""
    return text.replace(" ", "").upper()


def sex_code(text: str | None) -> str | None:
    """'L', 'P', or None when `text` is empty or not a sex word."""
    if text is None:
        return None
    return SEX_WORDS.get(sex_key(text))


__all__ = ["SEX_WORDS", "sex_code", "sex_key"]
