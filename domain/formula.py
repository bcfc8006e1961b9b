"""Spreadsheet formula injection: the one rule for text that a spreadsheet would
run as a formula, flagged on the way in and escaped on the way out.

A cell is *formula-like* when it is text that starts with `=`, `@`, a tab or a
carriage return, or with `+` or `-` followed by anything but a plain number
(digits, spaces and `.,/()+-`). So `=HYPERLINK(...)`, `@SUM(A1)` and
`+cmd|' /C calc'!A0` are formula-like, while a phone written as `+62 812-3456-7890`,
a negative amount written as `-25000` and a lone `-` (an empty cell in many
sheets) are not: a spreadsheet computes nothing dangerous from them.

    formula_like(text)         the test, in Python
    formula_like_sql(expr)     the same test as a DuckDB condition (staging's flag)
    escape_cell(value)         what every CSV, sheet and HTML writer of the hub applies:
                               formula-like text gets a leading `'` (OWASP's advice);
                               numbers, dates and other text pass unchanged
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

#: The first characters that can start a formula.
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
#: One pattern for Python's `re` and DuckDB's RE2 alike (`(?s)`: `.` also matches newlines).
FORMULA_PATTERN: Final = r"(?s)^(?:[=@\t\r]|[+-].*[^0-9 .,/()+-])"
_FORMULA = re.compile(FORMULA_PATTERN)
#: The escape: a leading apostrophe makes a spreadsheet read the cell as text.
ESCAPE: Final = "'"


def formula_like(text: str) -> bool:
    return text[:1] in FORMULA_PREFIXES and _FORMULA.match(text) is not None


def escape_cell(value: Any) -> Any:
    """`value`, with a leading `'` when it is formula-like text; anything else as it is."""
    if isinstance(value, str) and formula_like(value):
        return ESCAPE + value
    return value


def escape_row(row: Iterable[Any]) -> list[Any]:
    return [escape_cell(v) for v in row]


def formula_like_sql(expr: str) -> str:
    """A DuckDB condition, true when the VARCHAR `expr` is formula-like (NULL when it is NULL).

    The first character is compared before the regular expression runs, since
    nearly no cell starts with one of the prefixes."""
    codes = ", ".join(str(ord(c)) for c in FORMULA_PREFIXES)
    pattern = FORMULA_PATTERN.replace("'", "''")
    return (
        f"(CASE WHEN ascii({expr}) IN ({codes}) "
        f"THEN regexp_matches({expr}, '{pattern}') ELSE false END)"
    )


__all__ = [
    "ESCAPE",
    "FORMULA_PATTERN",
    "FORMULA_PREFIXES",
    "escape_cell",
    "escape_row",
    "formula_like",
    "formula_like_sql",
]
