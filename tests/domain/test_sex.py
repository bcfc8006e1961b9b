"""Sex words: the whole word counts, never its first letter."""

from __future__ import annotations

import pytest

from domain.sex import sex_code


@pytest.mark.parametrize(
    ("word", "code"),
    [("L", "L"), ("LK", "L"), ("Laki-laki", "L"), ("LAKI - LAKI", "L"), ("laki laki", "L"),
     ("PRIA", "L"), ("pria", "L"), ("M", "L"), ("Male", "L"),
     ("P", "P"), ("PR", "P"), ("Perempuan", "P"), ("WANITA", "P"), ("W", "P"), ("F", "P"),
     ("Female", "P"), ("X", None), ("Pak", None), ("", None), (None, None)],
)  # fmt: skip
def test_sex_words(word: str | None, code: str | None) -> None:
    assert sex_code(word) == code
