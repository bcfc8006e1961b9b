"""Household context: a record with only a name, placed in a family, is that family's member.

A foundation's row often has neither NIK nor birth date: a noisy name ("Wawan",
"Moh. Dodi", "Nining Handayain"), a free-text address and the household's phone.
Scored pair by pair it agrees with every member of the family on the household
comparison and with one of them, loosely, on the name, which the person model
cannot tell from a relative. Once households are grouped, though, the row sits
in one family (through its phone, dwelling or family block), and within one
family a name seldom fits two people.

The rule (batch, after households are grouped): a person none of whose records
has a NIK of its own (none, or one with no birth date beside it that another
person carries too: the head's, written for a member) joins the one member of
its household whose name it fits best, when that member is the only one at that
level, their sexes (where both are known) agree, and their birth years (where
both are known) are at most one apart. Levels, best first:

3. the same name: same words in any order, same sound, or two typos apart;
2. every word of one name is a word of the other ("Hermawan" in "Hermawan
   Kurniawan"), by spelling or by sound, or the first name is a nickname of the
   other's ("Iwan" for "Ridwan") and the surnames do not differ;
1. every word of one name is close (Jaro-Winkler >= 0.9) to a word of the other
   ("Muhama" for "Muhammad").

Two members at the best level (father and son both "Muhammad ...") leave the
row unlinked: a wrong link there is worse than a missed one.
"""

from __future__ import annotations

import duckdb

from linkage._sql import scalar

__all__ = ["CONTEXT_LEVELS", "NAME_FIT_SQL", "WEAK_SQL", "link_in_household"]

#: A standardised record without a valid NIK (most have no birth date either).
WEAK_SQL = "({t}.nik_clean IS NULL)"

#: Label of each level of NAME_FIT_SQL.
CONTEXT_LEVELS: dict[int, str] = {
    3: "same name (words in any order, sound, or two typos)",
    2: "every word of one name in the other, or a nickname of the first name",
    1: "every word of one name close to a word of the other",
}


def _within(inner: str, outer: str) -> str:
    return (
        f"(len({inner}) >= 1 AND len(list_intersect({outer}, {inner})) "
        f"= len(list_distinct({inner})))"
    )


def _close_within(inner: str, outer: str) -> str:
    return (
        f"(len({inner}) >= 1 AND list_bool_and(list_transform({inner}, lambda x: "
        f"list_bool_or(list_transform({outer}, lambda y: jaro_winkler_similarity(x, y) >= 0.9)))))"
    )


def _name_fit(a: str, b: str) -> str:
    tokens_a, tokens_b = f"{a}.name_tokens", f"{b}.name_tokens"
    sound_a = f"string_split({a}.name_phonetic, ' ')"
    sound_b = f"string_split({b}.name_phonetic, ' ')"
    same = (
        f"{a}.name_key = {b}.name_key OR {a}.name_phonetic = {b}.name_phonetic "
        f"OR (least(length({a}.name_clean), length({b}.name_clean)) >= 8 "
        f"AND damerau_levenshtein({a}.name_clean, {b}.name_clean) <= 2)"
    )
    nickname = (
        f"(list_has_any({a}.first_name_alias_keys, {b}.first_name_alias_keys) "
        f"AND ({a}.last_name IS NULL OR {b}.last_name IS NULL "
        f"OR jaro_winkler_similarity({a}.last_name, {b}.last_name) >= 0.85))"
    )
    within = " OR ".join(
        (
            _within(tokens_a, tokens_b),
            _within(tokens_b, tokens_a),
            _within(sound_a, sound_b),
            _within(sound_b, sound_a),
            nickname,
        )
    )
    close = f"{_close_within(tokens_a, tokens_b)} OR {_close_within(tokens_b, tokens_a)}"
    return f"CASE WHEN {same} THEN 3 WHEN {within} THEN 2 WHEN {close} THEN 1 ELSE 0 END"


#: How well record `w`'s name fits record `m`'s (3 best, 0 not at all); SQL over
#: two standardised records aliased w and m.
NAME_FIT_SQL = _name_fit("w", "m")


def _choose(fits: str) -> str:
    """From `fits(weak, member, level, via_w, via_m)`, the member each weak person joins:
    the only one at the best level."""
    return f"""
        WITH best AS (
            SELECT weak, member, max(level) AS level,
                   arg_max(via_w, level) AS via_w, arg_max(via_m, level) AS via_m
            FROM {fits} WHERE level > 0 GROUP BY ALL),
        ranked AS (
            SELECT *, max(level) OVER (PARTITION BY weak) AS top,
                   count(*) OVER (PARTITION BY weak, level) AS at_level
            FROM best)
        SELECT weak, member, level, via_w, via_m FROM ranked
        WHERE level = top AND at_level = 1"""


def link_in_household(
    con: duckdb.DuckDBPyConnection, records: str, persons: str, households: str
) -> int:
    """Join persons without a NIK to the one member of their household their name fits.

    `persons(record_key, cluster_key)` is updated in place; `households(record_key,
    cluster_key)` is read (a person's records are all in one household). Each link
    is kept in `context_links(record_key_l, record_key_r, level, detail)`, and a
    clerk's 'not same' answer for a pair between the two people is respected.
    Returns the number of weak persons joined.
    """
    weak = WEAK_SQL.format(t="r")
    # a NIK on a row with no birth date, carried by another person too, is most
    # often the head's written for a member: it neither identifies the row nor
    # tells its sex
    borrowed = (
        "(r.nik_clean IS NOT NULL AND r.birth_date_clean IS NULL "
        "AND count(DISTINCT p.cluster_key) OVER (PARTITION BY r.nik_clean) > 1)"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ctx_rec AS
            SELECT r.record_key, p.cluster_key AS person, h.cluster_key AS household,
                   {weak} OR {borrowed} AS weak,
                   CASE WHEN {borrowed} THEN r.sex_clean
                        ELSE coalesce(r.sex_clean, r.nik_sex) END AS sex,
                   year(r.birth_date_clean) AS birth_year,
                   r.name_clean, r.name_tokens, r.name_key, r.name_phonetic, r.last_name,
                   r.first_name_alias_keys
            FROM {records} r JOIN {persons} p USING (record_key)
            JOIN {households} h USING (record_key)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ctx_person AS
           SELECT person, any_value(household) AS household, bool_and(weak) AS weak,
                  coalesce(list_distinct(list(sex) FILTER (WHERE sex IS NOT NULL)), []) AS sexes,
                  coalesce(list_distinct(list(birth_year) FILTER (WHERE birth_year IS NOT NULL)),
                           []) AS years
           FROM _ctx_rec GROUP BY person"""
    )
    decided = (
        """AND NOT EXISTS (SELECT 1 FROM review_decisions d, _ctx_rec x, _ctx_rec y
                  WHERE d.decision = 'not_same' AND x.person = w.person AND y.person = m.person
                    AND d.record_key_l = least(x.record_key, y.record_key)
                    AND d.record_key_r = greatest(x.record_key, y.record_key))"""
        if scalar(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'review_decisions'",
        )
        else ""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ctx_fits AS
            SELECT w.person AS weak, m.person AS member, {NAME_FIT_SQL} AS level,
                   w.record_key AS via_w, m.record_key AS via_m
            FROM _ctx_person wp JOIN _ctx_rec w ON w.person = wp.person
            JOIN _ctx_person mp ON mp.household = wp.household AND mp.person <> wp.person
                 AND NOT mp.weak
                 AND (len(wp.sexes) = 0 OR len(mp.sexes) = 0
                      OR len(list_intersect(wp.sexes, mp.sexes)) > 0)
                 AND (len(wp.years) = 0 OR len(mp.years) = 0
                      OR list_bool_or(list_transform(wp.years, lambda x: list_bool_or(
                             list_transform(mp.years, lambda y: abs(x - y) <= 1)))))
            JOIN _ctx_rec m ON m.person = mp.person
            WHERE wp.weak {decided}"""
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ctx_join AS {_choose('_ctx_fits')}")
    labels = " ".join(f"WHEN {k} THEN '{v}'" for k, v in CONTEXT_LEVELS.items())
    con.execute(
        f"""CREATE OR REPLACE TABLE context_links AS
            SELECT via_w AS record_key_l, via_m AS record_key_r, level,
                   'no NIK or birth date; in the household of ' || via_m
                   || '; name fits only that member: ' || CASE level {labels} END AS detail
            FROM _ctx_join"""
    )
    con.execute(
        f"""UPDATE {persons} SET cluster_key = j.member
            FROM _ctx_join j WHERE {persons}.cluster_key = j.weak"""
    )
    return scalar(con, "SELECT count(*) FROM _ctx_join")
