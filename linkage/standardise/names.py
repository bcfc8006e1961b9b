"""Names: cleaning, canonical words, a phonetic key for Indonesian names.

A name is cleaned as one string (upper case, accents and apostrophes gone,
dotted degrees glued, punctuation to spaces, leading honorifics and trailing
degrees dropped, a leading `M` read as Muhammad, `bin`/`binti` and what
follows split off). Its words are then made canonical once per distinct word
(a small dictionary) and joined back, so the cost grows with the number of
distinct words, not of rows.

Canonical word (`name_word_canonical`):

1. Pre-1972 spelling (Ejaan Van Ophuijsen/Soewandi). A word that shows an
   unmistakable old digraph (OE, DJ, TJ or SJ) is old spelling as a whole, so
   every *other* J in it was a Y: SOEJONO -> SUYONO, DJAJA -> JAYA,
   TJAHJONO -> CAHYONO, while DJADJANG -> JAJANG keeps its J's (they came from
   DJ). Then OE -> U, DJ -> J, TJ -> C, SJ -> SY. A word with no such digraph
   keeps its J (JAJANG, JUJUN are modern); the few old words without a digraph
   (JUSUF, JAHJA, SURJADI, ...) are listed in `name_variants.csv`.
2. Every spelling of Muhammad becomes MUHAMMAD: the regex
   `^M[UO]+[CK]?H+A*M+[AE]*[DT]+$` (Muhamad, Mochammad, Mukhamad, Mohammed,
   Muhammat, ...) plus the abbreviations in `name_variants.csv` (Moh, Moch,
   Muh, Mhd, Mohd, Md, ...). A lone `M` is Muhammad only as the first word.
3. `name_variants.csv` (Achmad -> AHMAD, Rizky -> RIZKI, ...).

Phonetic key of a word (`name_word_phonetic`), applied to the canonical word;
it is loose on purpose, for blocking and one comparison level:

1. old spelling again (OE -> U, DJ -> J, TJ -> C, SJ -> SY);
2. a final Y, IE or EY -> I (Yeny/Yeni, Tatie/Tati);
3. KH and CH -> H (Mukhtar/Muchtar/Muhtar, Achmad/Ahmad, Khairul/Chairul);
4. H after B, D, G, J, P, S or T is dropped (Thamrin/Tamrin, Dhani/Dani,
   Sholihin/Solihin, Syarif -> SYARIF -> SARIF);
5. SY -> S (Syaefudin/Saefudin);
6. a final H after a vowel is dropped (Dedeh/Dede, Fatimah/Fatima);
7. Z, DZ -> J (Sundanese: Zaenal/Jaenal, Zakaria/Jakaria);
8. F, V, PH -> P (Sundanese p/f: Fitri/Pitri, Sofyan/Sopyan);
9. Q -> K, X -> KS;
10. AE -> AI (Saepudin/Saipudin, Zaenal/Zainal);
11. Y after a consonant -> I, then IY -> I and UW -> U (Sopyan/Sopian/Sopiyan);
12. runs of one letter -> one letter (Saifuddin/Saifudin, Aa/A, Yully/Yuli).

Vowels are kept (they carry most of the difference between short names),
and nothing is dropped from the start of a word.
"""

from __future__ import annotations

from typing import Final

from linkage.standardise import vocabulary

MUHAMMAD_PATTERN: Final[str] = "^M[UO]+[CK]?H+A*M+[AE]*[DT]+$"

#: (function, pattern, replacement), applied in order; see the module docstring.
PHONETIC_STEPS: Final[tuple[tuple[str, str, str], ...]] = (
    ("regexp_replace", "IE$|EY$|Y$", "I"),
    ("replace", "KH", "H"),
    ("replace", "CH", "H"),
    ("regexp_replace_all", "([BDGJPST])H", "\\1"),
    ("replace", "SY", "S"),
    ("regexp_replace", "([AEIOU])H$", "\\1"),
    ("replace", "DZ", "J"),
    ("replace", "Z", "J"),
    ("replace", "F", "P"),
    ("replace", "V", "P"),
    ("replace", "Q", "K"),
    ("replace", "X", "KS"),
    ("replace", "AE", "AI"),
    ("regexp_replace_all", "([^AEIOUY])Y", "\\1I"),
    ("replace", "IY", "I"),
    ("replace", "UW", "U"),
)


_PHONETIC_INPUT = "name_word_modern(regexp_replace(upper(w), '[^A-Z]', '', 'g'))"


def _phonetic_steps(word: str) -> str:
    sql = word
    for function, pattern, replacement in PHONETIC_STEPS:
        if function == "regexp_replace_all":
            sql = f"regexp_replace({sql}, '{pattern}', '{replacement}', 'g')"
        else:
            sql = f"{function}({sql}, '{pattern}', '{replacement}')"
    return sql


MACROS: Final[tuple[str, ...]] = (
    # Old spelling of one upper-case word; the digits are placeholders.
    """CREATE OR REPLACE TEMP MACRO name_word_modern(w) AS
    CASE WHEN regexp_matches(w, 'OE|DJ|TJ|SJ') THEN
        replace(replace(replace(replace(replace(replace(replace(replace(
            w, 'DJ', '1'), 'TJ', '2'), 'SJ', '3'), 'J', 'Y'),
            '1', 'J'), '2', 'C'), '3', 'SY'), 'OE', 'U')
    ELSE w END""",
    # Each argument is named once (a macro argument is pasted in wherever it is
    # named): the pattern is anchored, so the replace is all or nothing.
    f"""CREATE OR REPLACE TEMP MACRO name_word_rules(w) AS
    regexp_replace(name_word_modern(w), '{MUHAMMAD_PATTERN}', 'MUHAMMAD')""",
    """CREATE OR REPLACE TEMP MACRO squeeze_letters(s) AS
    list_transform([s], lambda x: array_to_string(
        list_filter(string_split(x, ''), lambda c, i: i = 1 OR c <> x[i - 1]), ''))[1]""",
    f"""CREATE OR REPLACE TEMP MACRO name_word_phonetic(w) AS
    nullif(squeeze_letters({_phonetic_steps(_PHONETIC_INPUT)}), '')""",
)
"""Word-level macros, registered by `register_macros`."""


def clean_name_sql(column: str) -> str:
    """SQL for the cleaned name string (words separated by single spaces)."""
    join_degree, join_degree_more = vocabulary.degree_join_patterns()
    text = f"upper(strip_accents({column}))"
    text = f"regexp_replace({text}, '[''`´‘’]', '', 'g')"
    text = f"regexp_replace({text}, '{join_degree}', '\\1\\2', 'g')"
    text = f"regexp_replace({text}, '{join_degree_more}', '\\1\\2', 'g')"
    text = f"trim(regexp_replace({text}, '[^A-Z]+', ' ', 'g'))"
    text = f"regexp_replace({text}, '{vocabulary.prefix_pattern()}', '')"
    text = f"regexp_replace({text}, '{vocabulary.degree_pattern()}', '', 'g')"
    return f"regexp_replace(trim({text}), '^M ', 'MUHAMMAD ')"


PATRONYM_SPLIT: Final[str] = " (?:BIN|BINTI|BINT|BT) "
