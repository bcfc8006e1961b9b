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
    # A macro argument is pasted in wherever it is named: `[d]` with a lambda
    # names the (long) argument once, so it is bound and computed once.
    """CREATE OR REPLACE TEMP MACRO phone_62(d) AS
    list_transform([d], lambda v: regexp_replace(
        CASE WHEN v LIKE '0062%' THEN substr(v, 3)
             WHEN v LIKE '62%' THEN v
             WHEN v LIKE '0%' THEN '62' || substr(v, 2)
             WHEN v LIKE '8%' THEN '62' || v END,
        '^620+', '62'))[1]""",
    """CREATE OR REPLACE TEMP MACRO phone_plausible(p) AS
    list_transform([p], lambda v:
        CASE WHEN ((v LIKE '628%' AND length(v) BETWEEN 11 AND 15)
                   OR (regexp_matches(v, '^62[2-7]') AND length(v) BETWEEN 10 AND 13))
                  AND replace(substr(v, 4), substr(v, 4, 1), '') <> ''
             THEN v END)[1]""",
    "CREATE OR REPLACE TEMP MACRO phone_clean(x) AS phone_plausible(phone_62(phone_digits(x)))",
)
"""Phone macros, registered by `register_macros`."""
