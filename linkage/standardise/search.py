"""Search tokens for one typed name, with the same rules as the bulk
standardisation: titles and degrees dropped, Muhammad variants to MUHAMMAD,
old spelling folded, known variants to their canonical word.

`NameTokens` keeps one in-memory DuckDB with the macros and lookup tables
registered once, so a name costs one small query, and repeats are cached.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import duckdb

from linkage.standardise import names, vocabulary
from linkage.standardise.macros import register_macros


class NameTokens:
    def __init__(self, cache_size: int = 4096) -> None:
        self._con = duckdb.connect()
        self._lock = threading.Lock()
        register_macros(self._con)
        variants, _ = vocabulary.create_lookup_tables(self._con)
        split = names.PATRONYM_SPLIT
        self._sql = f"""
            WITH cleaned AS (
                SELECT regexp_replace({names.clean_name_sql("n")}, '{split}.*$', '') AS name
                FROM (SELECT CAST($1 AS VARCHAR) AS n)),
            words AS (
                SELECT unnest(string_split(name, ' ')) AS word,
                       generate_subscripts(string_split(name, ' '), 1) AS pos
                FROM cleaned WHERE name <> '')
            SELECT list(coalesce(v1.canonical, v2.canonical, name_word_rules(w.word))
                        ORDER BY w.pos)
            FROM words w
            LEFT JOIN {variants} v1 ON v1.variant = w.word
            LEFT JOIN {variants} v2 ON v2.variant = name_word_rules(w.word)"""
        self.tokens = lru_cache(maxsize=cache_size)(self._tokens)

    def __call__(self, text: str) -> list[str]:
        return list(self.tokens(text))

    def _tokens(self, text: str) -> tuple[str, ...]:
        with self._lock:
            row = self._con.execute(self._sql, [text]).fetchone()
        words = row[0] if row and row[0] else []
        return tuple(str(w) for w in words if w)

    def close(self) -> None:
        self._con.close()


__all__ = ["NameTokens"]
