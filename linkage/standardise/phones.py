"""Phone numbers, normalised to the international form without a plus: 62...

The first number of a list ("0812.../0813...") is kept. +62, 0062, 62, 0 and
a bare 8 (mobile) prefixes all become 62; a 0 written after the country
code (+62 0812...) is dropped. A mobile number (628...) must have 11 to 15
digits, a landline (62 followed by 2-7, e.g. 6222 for Bandung) 10 to 13;
anything else, or a number made of one repeated digit, is NULL.
"""

from __future__ import annotations

from typing import Final

MACROS: Final[tuple[str, ...]] = (
    """CREATE OR REPLACE TEMP MACRO phone_digits(x) AS
    regexp_replace(regexp_extract(CAST(x AS VARCHAR), '^[^/,;]*'), '[^0-9]', '', 'g')""",
    """CREATE OR REPLACE TEMP MACRO phone_62(d) AS
    regexp_replace(
        CASE WHEN d LIKE '0062%' THEN substr(d, 3)
             WHEN d LIKE '62%' THEN d
             WHEN d LIKE '0%' THEN '62' || substr(d, 2)
             WHEN d LIKE '8%' THEN '62' || d END,
        '^620+', '62')""",
    """CREATE OR REPLACE TEMP MACRO phone_plausible(p) AS
    CASE WHEN ((p LIKE '628%' AND length(p) BETWEEN 11 AND 15)
               OR (regexp_matches(p, '^62[2-7]') AND length(p) BETWEEN 10 AND 13))
              AND replace(substr(p, 4), substr(p, 4, 1), '') <> ''
         THEN p END""",
    "CREATE OR REPLACE TEMP MACRO phone_clean(x) AS phone_plausible(phone_62(phone_digits(x)))",
)
"""Phone macros, registered by `register_macros`."""
