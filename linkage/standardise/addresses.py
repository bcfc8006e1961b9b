"""Addresses: RT/RW, street, house number, and kelurahan/kecamatan codes.

RT (rukun tetangga) and RW (rukun warga) are the neighbourhood units under a
kelurahan (urban village), itself under a kecamatan (district). Free text is
read in upper case with old spelling folded (Djl. Tjiumbuleuit -> Ciumbuleuit):

- RT/RW: "RT/RW 003/005", "RT 003/RW 005", "RT.3 RW.5", "RT 03 RW 05",
  "Rt3/Rw5", "RT 03/05", and a bare "03/05" when the text names no RT or RW
  (after the house number, "No. 12/3", is taken out). Each becomes three
  digits, zero-padded; 0 is NULL.
- house number: the text after "No"/"Nomor", else a number that ends the
  street part.
- street: the text before the first comma, house number, RT/RW, kelurahan,
  kecamatan, city or regency marker; JALAN/JLN/JL -> JL, GANG/GG -> GG,
  KOMPLEK(S)/KOMP -> KOMP, PERUMAHAN -> PERUM, KAMPUNG/KP -> KP, BLK -> BLOK.
- kelurahan: the text after "Kel."/"Kelurahan"/"Desa"/"Ds."; kecamatan: after
  "Kec."/"Kecamatan". Structured fields win over the free text.
- without such a prefix, a kelurahan (or kecamatan) named anywhere after the
  street part ("RT 07 RW 09 Cisaranten Kidul Gedebage", "Jl. Kopo No 12
  Babakan Ciparay"): the words left once the street, numbers, RT/RW, city and
  the other kind's prefixed phrase are taken out are cut into runs of 1 to 3
  words; a run matches a gazetteer name exactly, or (6 letters or more) with a
  Jaro-Winkler similarity of at least 0.90 and a length within 2 letters, and
  only when it beats every other name by 0.02. The run with the most words
  wins (Babakan Ciparay over Babakan), then the most similar, then the first.
  An address whose street part runs to its end (no comma, number, RT/RW or
  prefix after the street name) is not searched: "Jl. Kopo" is a street.
  The run found goes through the same gazetteer matching as a prefixed name.

Place names are matched to the gazetteer (`ref_kelurahan`, `ref_kecamatan`)
on a key of letters only (spaces, punctuation and prefixes dropped), first
exactly, then by Jaro-Winkler similarity over distinct keys only: the best
candidate is taken when its similarity is at least 0.90 (0.80 inside the
kecamatan the record names) and beats the runner-up by 0.02. A kelurahan in
the named kecamatan gets a 0.10 bonus in that ranking.
"""

from __future__ import annotations

from typing import Final

SIMILARITY_MIN: Final[float] = 0.90
SIMILARITY_MIN_IN_KECAMATAN: Final[float] = 0.80
KECAMATAN_BONUS: Final[float] = 0.10
MARGIN: Final[float] = 0.02

_RT_RW_PAIR = r"\bRT\s*[./]?\s*RW\s*[.:]?\s*(\d{1,3})\s*[/-]\s*(\d{1,3})"
_RT = r"\bRT\s*[.:]?\s*(\d{1,3})"
_RW = r"\bRW\s*[.:]?\s*(\d{1,3})"
_RT_SLASH = r"\bRT\s*[.:]?\s*\d{1,3}\s*[/-]\s*(\d{1,3})"
_BARE = r"(?:^|[\s,])(\d{1,3})\s*/\s*(\d{1,3})(?:$|[\s,])"
_HOUSE_NO = r"\bNO(?:MOR)?\s*[.:]?\s*(\d+\s*[A-Z]?(?:\s*[/-]\s*\d+[A-Z]?)?)\b"
_STREET_END = (
    r"(?:,|\bNO(?:MOR)?\s*[.:]?\s*\d|\bRT|\bRW|\bKEL(?:URAHAN)?\b|\bKEC(?:AMATAN)?\b"
    r"|\bDESA\b|\bDS\b|\bKOTA\b|\bKAB(?:UPATEN)?\b|\d{1,3}\s*/\s*\d{1,3}).*$"
)
# A place name runs over letters and spaces, up to a keyword that starts the next part.
_KELURAHAN = r"\b(?:KELURAHAN|KEL|DESA|DS)\b\.?\s*([A-Z][A-Z ]*)"
_KECAMATAN = r"\b(?:KECAMATAN|KEC)\b\.?\s*([A-Z][A-Z ]*)"
_PLACE_END = r"\s*\b(?:KEL|KELURAHAN|DESA|DS|KEC|KECAMATAN|KOTA|KAB|KABUPATEN|RT|RW|NO)\b.*$"
# A prefixed place phrase, dropped before searching the text for the other kind.
KELURAHAN_PHRASE: Final[str] = r"\b(?:KELURAHAN|KEL|DESA|DS)\b\.?\s*[A-Z ]*"
KECAMATAN_PHRASE: Final[str] = r"\b(?:KECAMATAN|KEC)\b\.?\s*[A-Z ]*"
_STREET_WORD = (
    r"\b(?:JALAN|JLN|JL|GANG|GG|KOMPLEKS|KOMPLEK|KOMPL|KOMP|PERUMAHAN|PERUM|KAMPUNG|KAMP|KP"
    r"|BLOK|BLK)\b"
)
_REGION_PHRASE = r"\b(?:KOTA|KAB|KABUPATEN|PROV|PROVINSI)\b\.?\s*[A-Z]*"
_MARKER_WORD = r"\b(?:RT|RW|NO|NOMOR|KELURAHAN|KEL|DESA|DS|KECAMATAN|KEC)\b"
#: Anywhere search: shortest run looked up, shortest matched with typos, and
#: the largest difference in letters between a run and a gazetteer name.
FIND_MIN_LETTERS: Final[int] = 4
FIND_MIN_LETTERS_FUZZY: Final[int] = 6
FIND_MAX_LENGTH_GAP: Final[int] = 2
FIND_MAX_WORDS: Final[int] = 3
_STREET_WORDS: Final[tuple[tuple[str, str], ...]] = (
    (r"\b(?:JALAN|JLN|JL)\b", "JL"),
    (r"\b(?:GANG|GG)\b", "GG"),
    (r"\b(?:KOMPLEKS|KOMPLEK|KOMPL|KOMP)\b", "KOMP"),
    (r"\b(?:PERUMAHAN|PERUM)\b", "PERUM"),
    (r"\b(?:KAMPUNG|KAMP|KP)\b", "KP"),
    (r"\b(?:BLOK|BLK)\b", "BLOK"),
)


_STREET_WORDS_INPUT = "regexp_replace(address_text(s), '[^A-Z0-9]+', ' ', 'g')"


def _street_words(sql: str) -> str:
    for pattern, word in _STREET_WORDS:
        sql = f"regexp_replace({sql}, '{pattern}', '{word}', 'g')"
    return sql


MACROS: Final[tuple[str, ...]] = (
    """CREATE OR REPLACE TEMP MACRO address_text(x) AS
    replace(replace(replace(upper(strip_accents(CAST(x AS VARCHAR))),
        'OE', 'U'), 'DJ', 'J'), 'TJ', 'C')""",
    # `x` appears once: a macro argument is pasted in wherever it is named, and
    # address_rt/address_rw pass whole expressions (binding time doubled).
    """CREATE OR REPLACE TEMP MACRO rt_rw_pad(x) AS
    lpad(CAST(nullif(TRY_CAST(nullif(regexp_extract(CAST(x AS VARCHAR), '(\\d{1,3})', 1), '')
                              AS INTEGER), 0) AS VARCHAR), 3, '0')""",
    f"""CREATE OR REPLACE TEMP MACRO address_bare_rt_rw(a, i) AS
    CASE WHEN NOT regexp_matches(a, '\\bR[TW]') THEN nullif(regexp_extract(
        regexp_replace(a, '{_HOUSE_NO}', ' ', 'g'), '{_BARE}', i), '') END""",
    # `[a]` with a lambda names the argument once (see rt_rw_pad).
    f"""CREATE OR REPLACE TEMP MACRO address_rt(a) AS
    list_transform([a], lambda v: rt_rw_pad(coalesce(
        nullif(regexp_extract(v, '{_RT_RW_PAIR}', 1), ''),
        nullif(regexp_extract(v, '{_RT}', 1), ''),
        address_bare_rt_rw(v, 1))))[1]""",
    f"""CREATE OR REPLACE TEMP MACRO address_rw(a) AS
    list_transform([a], lambda v: rt_rw_pad(coalesce(
        nullif(regexp_extract(v, '{_RT_RW_PAIR}', 2), ''),
        nullif(regexp_extract(v, '{_RW}', 1), ''),
        nullif(regexp_extract(v, '{_RT_SLASH}', 1), ''),
        address_bare_rt_rw(v, 2))))[1]""",
    f"""CREATE OR REPLACE TEMP MACRO address_house_number(a) AS
    nullif(regexp_replace(regexp_extract(a, '{_HOUSE_NO}', 1), '\\s+', '', 'g'), '')""",
    f"""CREATE OR REPLACE TEMP MACRO street_normalise(s) AS
    nullif(trim(regexp_replace({_street_words(_STREET_WORDS_INPUT)}, '\\s+', ' ', 'g')), '')""",
    f"""CREATE OR REPLACE TEMP MACRO address_street_part(a) AS
    street_normalise(regexp_replace(a, '{_STREET_END}', ''))""",
    # Both take the street part (`address_street_part`), not the whole address.
    """CREATE OR REPLACE TEMP MACRO address_street(part) AS
    nullif(regexp_replace(part, ' ?\\d+[A-Z]?$', ''), '')""",
    """CREATE OR REPLACE TEMP MACRO address_street_number(part) AS
    nullif(regexp_extract(part, ' (\\d+[A-Z]?)$', 1), '')""",
    f"""CREATE OR REPLACE TEMP MACRO address_kelurahan(a) AS
    nullif(trim(regexp_replace(regexp_extract(a, '{_KELURAHAN}', 1), '{_PLACE_END}', '')), '')""",
    f"""CREATE OR REPLACE TEMP MACRO address_kecamatan(a) AS
    nullif(trim(regexp_replace(regexp_extract(a, '{_KECAMATAN}', 1), '{_PLACE_END}', '')), '')""",
    # The text searched for a place name without prefix: what follows the street
    # part (all of it when there is no street word), then runs of words split by
    # '|' once the other kind's prefixed phrase, city, RT/RW and numbers are out.
    f"""CREATE OR REPLACE TEMP MACRO address_place_tail(a) AS
    coalesce(nullif(regexp_extract(a, '{_STREET_END}', 0), ''),
             CASE WHEN NOT regexp_matches(a, '{_STREET_WORD}') THEN a END)""",
    f"""CREATE OR REPLACE TEMP MACRO address_place_words(tail, drop_phrase) AS
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        tail, drop_phrase, '|', 'g'), '{_REGION_PHRASE}', '|', 'g'),
        '{_MARKER_WORD}', '|', 'g'), '[^A-Z ]+', '|', 'g')""",
    """CREATE OR REPLACE TEMP MACRO place_key(x) AS
    nullif(regexp_replace(regexp_replace(address_text(x),
        '^\\s*(?:KELURAHAN|KEL|DESA|DS|KECAMATAN|KEC)\\b\\.?', ''), '[^A-Z]', '', 'g'), '')""",
)
"""Address macros, registered by `register_macros`."""


def match_kecamatan_sql(keys: str, ref_kecamatan: str) -> str:
    """SELECT (kec_key, kecamatan_code, kecamatan_name) for each distinct key in `keys`."""
    return f"""
    WITH q AS (SELECT DISTINCT kec_key FROM {keys} WHERE kec_key IS NOT NULL),
    ref AS (SELECT CAST(code AS VARCHAR) AS code, name, place_key(name) AS key
            FROM {ref_kecamatan}),
    c AS (SELECT q.kec_key, ref.code, ref.name,
                 CASE WHEN q.kec_key = ref.key THEN 1.0
                      ELSE jaro_winkler_similarity(q.kec_key, ref.key) END AS sim
          FROM q CROSS JOIN ref),
    r AS (SELECT *, row_number() OVER w AS rn, lead(sim) OVER w AS next_sim
          FROM c WINDOW w AS (PARTITION BY kec_key ORDER BY sim DESC, code))
    SELECT kec_key, code AS kecamatan_code, name AS kecamatan_name FROM r
    WHERE rn = 1 AND sim >= {SIMILARITY_MIN}
      AND (next_sim IS NULL OR next_sim <= sim - {MARGIN})"""


def match_kelurahan_sql(keys: str, ref_kelurahan: str) -> str:
    """SELECT (kel_key, kec_code, kelurahan_code, kelurahan_name, kelurahan_kecamatan_code)
    for each distinct (kel_key, kec_code) in `keys`, `kec_code` the matched kecamatan."""
    return f"""
    WITH q AS (SELECT DISTINCT kel_key, kec_code FROM {keys} WHERE kel_key IS NOT NULL),
    ref AS (SELECT CAST(code AS VARCHAR) AS code, name,
                   CAST(kecamatan_code AS VARCHAR) AS kecamatan_code, place_key(name) AS key
            FROM {ref_kelurahan}),
    c AS (SELECT q.kel_key, q.kec_code, ref.code, ref.name, ref.kecamatan_code,
                 CASE WHEN q.kel_key = ref.key THEN 1.0
                      ELSE jaro_winkler_similarity(q.kel_key, ref.key) END AS sim,
                 coalesce(ref.kecamatan_code = q.kec_code, false) AS in_kec
          FROM q CROSS JOIN ref),
    s AS (SELECT *, sim + CASE WHEN in_kec THEN {KECAMATAN_BONUS} ELSE 0 END AS score FROM c),
    r AS (SELECT *, row_number() OVER w AS rn, lead(score) OVER w AS next_score
          FROM s WINDOW w AS (PARTITION BY kel_key, kec_code ORDER BY score DESC, code))
    SELECT kel_key, kec_code, code AS kelurahan_code, name AS kelurahan_name,
           kecamatan_code AS kelurahan_kecamatan_code
    FROM r
    WHERE rn = 1
      AND (sim >= {SIMILARITY_MIN} OR (in_kec AND sim >= {SIMILARITY_MIN_IN_KECAMATAN}))
      AND (next_score IS NULL OR next_score <= score - {MARGIN})"""


def find_place_sql(relation: str, text_column: str, ref: str) -> str:
    """SELECT (address, place_key): the gazetteer name (as typed) found in each
    `text_column` of `relation` (see `address_place_words`), once per distinct text."""
    return f"""
    WITH texts AS (
        SELECT DISTINCT address, string_split({text_column}, '|') AS segments
        FROM {relation} WHERE {text_column} IS NOT NULL),
    segments AS (
        SELECT address, generate_subscripts(segments, 1) AS seg, unnest(segments) AS segment
        FROM texts),
    words AS (
        SELECT address, seg, list_filter(string_split(trim(segment), ' '), lambda w: w <> '') AS w
        FROM segments),
    starts AS (SELECT address, seg, w, unnest(range(1, len(w) + 1)) AS i FROM words),
    grams AS (
        SELECT address, seg, i, n, array_to_string(w[i:i + n - 1], '') AS key
        FROM starts CROSS JOIN range(1, {FIND_MAX_WORDS + 1}) AS r(n)
        WHERE i + n - 1 <= len(w)),
    ref AS (SELECT DISTINCT place_key(name) AS key FROM {ref}),
    q AS (SELECT DISTINCT key FROM grams WHERE length(key) >= {FIND_MIN_LETTERS}),
    c AS (SELECT q.key, ref.key AS ref_key,
                 CASE WHEN q.key = ref.key THEN 1.0
                      ELSE jaro_winkler_similarity(q.key, ref.key) END AS sim
          FROM q JOIN ref ON abs(length(q.key) - length(ref.key)) <= {FIND_MAX_LENGTH_GAP}),
    r AS (SELECT *, row_number() OVER w AS rn, lead(sim) OVER w AS next_sim
          FROM c WINDOW w AS (PARTITION BY key ORDER BY sim DESC, ref_key)),
    found AS (
        SELECT key, sim FROM r
        WHERE rn = 1
          AND (sim = 1.0 OR (sim >= {SIMILARITY_MIN}
                             AND length(key) >= {FIND_MIN_LETTERS_FUZZY}))
          AND (next_sim IS NULL OR next_sim <= sim - {MARGIN})),
    best AS (
        SELECT g.address, g.key, row_number() OVER (
            PARTITION BY g.address ORDER BY g.n DESC, f.sim DESC, g.seg, g.i) AS rn
        FROM grams g JOIN found f USING (key))
    SELECT address, key AS place_key FROM best WHERE rn = 1"""
